"""WeCom: the encrypted callback and the chat commands (see docs/architecture.md, "The WeCom bot").

The outbox dispatcher that delivers every push lives in ``app/services/dispatcher.py``.
"""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("bot", __name__, url_prefix="/wecom", enable_openapi=False)


from bot import callback  # noqa: E402,F401  (routes register on bp)
