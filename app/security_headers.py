"""Security headers on every answer, app-wide (``after_request``), so every face gets them.

- Every answer: ``X-Content-Type-Options: nosniff`` (a JSON or image answer is never run as a script).
- HTML pages: a Content-Security-Policy that allows scripts and styles only from this server's own
  files (no inline ``<script>``, ``<style>`` or ``style=""``; the screen's live.js and .css are static
  files), refuses framing (``frame-ancestors 'none'``, and ``X-Frame-Options`` for old browsers), and
  a ``Referrer-Policy``: ``same-origin`` by default (Flask-WTF's CSRF check over HTTPS needs the
  referrer on same-site posts); the venue screen sets ``no-referrer`` on its own pages.

A view that needs something else sets the header itself; these are defaults (``setdefault``).

Headers coming in: one longer than ``MAX_HEADER_BYTES``, or an ``Authorization`` longer than
``MAX_AUTHORIZATION_BYTES`` (a 10 KB one), is refused with the
JSON error 431 ``header_too_large``. gunicorn lets such headers through to the app up to its own
``limit_request_field_size`` (``config/gunicorn.conf.py``); beyond that gunicorn answers by itself.
"""

from __future__ import annotations

from flask import Flask, Response, request

from app.errors import AppError

MAX_HEADER_BYTES = 8190  # name, ": " and value; gunicorn's own default limit for one header line
MAX_AUTHORIZATION_BYTES = 1024  # our bearer tokens are 43 characters

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class HeaderTooLarge(AppError):
    status_code = 431
    code = "header_too_large"
    message = "请求头过大"


def refuse_oversized_headers() -> None:
    for name, value in request.headers.items():
        limit = MAX_AUTHORIZATION_BYTES if name.lower() == "authorization" else MAX_HEADER_BYTES
        if len(name) + 2 + len(value) > limit:
            shown = name if len(name) <= 40 else f"{name[:40]}…"
            raise HeaderTooLarge(f"请求头 {shown} 过大（超过 {limit} 字节），请检查登录令牌是否正确")


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_headers)
    app.after_request(add_security_headers)
