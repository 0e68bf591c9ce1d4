"""Security headers for every console response and CSRF on every console POST."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from app.security_headers import HTML_HEADERS

# The app's HTML policy (no inline script or style, nothing from another origin: intranets have no
# internet anyway) on every console answer, whatever its type, and not opened by other windows.
HEADERS = {
    **HTML_HEADERS,
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PREFIX = "/console"


def is_console_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def room_for(limit: Callable[[Mapping], int]) -> Callable:
    """An upload view whose body may exceed ``MAX_CONTENT_LENGTH``: ``limit(app.config)`` bytes, for a
    signed-in person holding the view's capability. Set before the CSRF check reads the body."""

    def decorate(view: Callable) -> Callable:
        view.max_body = limit
        return view

    return decorate


def _make_room() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_body", None)
    capability = getattr(view, "capability", None)
    if limit and capability and current_user.is_authenticated and current_user.can(capability):
        request.max_content_length = limit(current_app.config)


def protect_post() -> None:
    """Every state-changing console request carries the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    _make_room()
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError("页面已过期或请求来源无效，请刷新页面后重试。") from exc


def add_headers(response):
    if is_console_request():
        # Console-specific and set last: stricter than any app-wide default for these pages.
        for name, value in HEADERS.items():
            response.headers[name] = value
        if request.endpoint != "console.static":
            response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    app.jinja_env.globals["csrf_token"] = generate_csrf
