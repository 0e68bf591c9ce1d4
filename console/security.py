"""Security headers for every console response and CSRF on every console POST."""

from __future__ import annotations

from flask import Flask, request
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


def protect_post() -> None:
    """Every state-changing console request carries the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
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
