"""Flask's cookie session, only for requests that can have one."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

# The mini-program's JSON API authenticates by bearer token, and the health check not at all: neither
# reads nor writes ``session``.
SESSIONLESS_PREFIXES = ("/api/", "/healthz")


class BrowserSessions(SecureCookieSessionInterface):
    """The signed cookie session for the console, the screens and the WeCom pages; the token API and
    the health check get Flask's null session instead (writing to it raises; Flask saves none), which
    spares every such request the cookie's serializer and signature (5 % of a request's CPU under
    load, issue 17)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = BrowserSessions()
