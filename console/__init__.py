"""The web console (/console): server-rendered pages for the 创建办, department liaisons and leaders.

Jinja2 templates and static files live in this package (Bootstrap and htmx vendored under
``static/vendor``: no CDN). Views parse a form, call one service from ``app.services`` and render.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
bp.enable_openapi = False  # APIFlask's spec lists JSON APIs only; the console is HTML


def init_app(app: Flask) -> None:
    from console import auth, errors, security
    from console.views import audit_log, dashboard, events, notices, people, push, schedule, sign_in, wishes  # noqa: F401 (routes)
    from console.views import inspections  # noqa: F401 (routes)
    from console.views import ledger  # noqa: F401 (routes)
    from console.views import pledges, selections  # noqa: F401 (routes)

    auth.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)
