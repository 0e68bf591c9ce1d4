"""Extension objects, created unbound and attached to an app in ``create_app``."""

from __future__ import annotations

import logging
import threading
import time

import limits.storage
from flask import Flask, request
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.models.base import Base


def client_address() -> str:
    """The caller's address; ProxyFix (see create_app) has already applied trusted X-Forwarded-For."""
    return request.remote_addr or "unknown"


def warn_untrusted_forwarding(app: Flask) -> None:
    """Log once when a request carries X-Forwarded-For while TRUSTED_PROXY_COUNT is 0: behind a proxy,
    every user then shares the proxy's address, and one person's failures lock everyone out of login."""
    if app.config["TRUSTED_PROXY_COUNT"]:
        return
    warned = threading.Event()

    @app.before_request
    def check_forwarding() -> None:
        if not warned.is_set() and "X-Forwarded-For" in request.headers:
            warned.set()
            logging.getLogger("wenming.security").warning(
                "requests carry X-Forwarded-For but TRUSTED_PROXY_COUNT is 0: every client is counted as %s; "
                "set TRUSTED_PROXY_COUNT to the number of proxies in front of the app",
                request.remote_addr,
            )


class MemoryStorage(limits.storage.MemoryStorage):
    """``memory://`` for the limiter without a thread per hit (this subclass takes over the scheme).

    limits' own storage starts a 10 ms ``threading.Timer`` on every hit that finds the previous one
    finished, which under steady traffic is one new thread per request (18 % of a wish claim's time in
    py-spy, issue 17). Counters and entries are already judged by their own expiry when read; the timer
    only drops expired ones from memory. Here a hit does that itself, at most once a second."""

    STORAGE_SCHEME = ["memory"]
    SWEEP_EVERY = 1.0  # seconds

    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private __schedule_expiry
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY
            self._MemoryStorage__expire_events()


class RouteLimiter(Limiter):
    """Flask-Limiter without its check before every request while no limit applies to requests at large.

    Each of this app's limits is a route's own decorator (checked by the decorator as the view runs) or
    a service's explicit hit (``limit_per_key``); none is a default, application, blueprint or meta limit,
    nor a decorated helper's endpoint hint, and there is no in-memory fallback: all the before-request
    check counts (read from Flask-Limiter 4.1's attributes, pinned in requirements.txt). It found
    nothing on every request and cost 7 % of a request's CPU under load (issue 17's profile). Should
    such a limit be added, the check runs again as before."""

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._request_wide_limits():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _request_wide_limits(self) -> bool:
        manager = self.limit_manager
        return bool(
            manager._default_limits or manager._application_limits or manager._blueprint_limits
            or manager._endpoint_hints or self._meta_limits or self._in_memory_fallback
        )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = RouteLimiter(key_func=client_address, default_limits=[], headers_enabled=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """WAL, a busy timeout and foreign keys for SQLite so concurrent writers wait instead of failing."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
