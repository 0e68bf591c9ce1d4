"""Security events on one logger an admin can route: ``wenming.security``.

Failed binds, refused tokens and authorization refusals are logged as one line each: the event, who
(account, staff), what (the request's method and path, the target), from where (the client address),
as ``key=value`` pairs with JSON-quoted values (so a name cannot forge a line). Callers never pass a
secret: no tokens, codes, keys or phone numbers. The same fields travel as ``record.security`` for a
structured handler.
"""

from __future__ import annotations

import json
import logging

from flask import has_request_context, request

logger = logging.getLogger("wenming.security")


def _value(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)[:200]


def security_event(event: str, **fields: object) -> None:
    """Log ``event`` with its fields and, inside a request, the address, method and path."""
    if has_request_context():
        fields = {**fields, "address": request.remote_addr, "method": request.method, "path": request.path}
    present = {name: value for name, value in fields.items() if value is not None}
    line = " ".join(f"{name}={_value(value)}" for name, value in present.items())
    logger.warning("%s %s", event, line, extra={"security": {"event": event, **present}})
