"""memory:// limits (app.extensions.MemoryStorage): the same counting as limits' own, without a thread per hit."""

from __future__ import annotations

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.extensions import MemoryStorage


def test_memory_scheme_is_the_threadless_storage(app):
    from app.extensions import limiter

    assert isinstance(storage_from_string("memory://"), MemoryStorage)
    assert isinstance(limiter.limiter.storage, MemoryStorage)


def test_hits_count_refuse_and_expire_without_starting_threads(monkeypatch):
    storage = storage_from_string("memory://")
    limiter = FixedWindowRateLimiter(storage)
    started: list[threading.Thread] = []
    original = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self), original(self))[1])
    item = parse("3/second")
    assert [limiter.hit(item, "scope", "key") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(item, "scope", "other")  # counted per key
    for _ in range(200):
        limiter.hit(parse("1000/hour"), "many", "key")
        time.sleep(0.0001)
    assert started == []
    time.sleep(1.05)
    assert limiter.hit(item, "scope", "key")  # a new window


def test_expired_counters_are_swept_from_memory(monkeypatch):
    storage = storage_from_string("memory://")
    limiter = FixedWindowRateLimiter(storage)
    monkeypatch.setattr(MemoryStorage, "SWEEP_EVERY", 0.0)
    for n in range(50):
        limiter.hit(parse("5/second"), "sweep", str(n))
    assert len(storage.storage) == 50
    time.sleep(1.05)
    limiter.hit(parse("5/second"), "sweep", "last")
    assert [key.split("/")[2] for key in storage.storage] == ["last"], dict(storage.storage)


# ---- the check before every request (app.extensions.RouteLimiter) ------------------------------------


def test_requests_skip_the_before_request_check_while_no_limit_applies_to_them(app, client, monkeypatch):
    """Every limit of this app is a route's decorator or a service's hit; the check Flask-Limiter runs
    before every request found nothing to count, and is skipped (issue 17). A decorated route's limit
    is still checked, by its decorator."""
    from flask_limiter import Limiter

    calls: list[bool] = []
    original = Limiter._check_request_limit
    monkeypatch.setattr(
        Limiter, "_check_request_limit",
        lambda self, callable_name=None, in_middleware=True: (calls.append(in_middleware),
                                                              original(self, callable_name, in_middleware))[1],
    )
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/mp/wishes").status_code == 401
    assert calls == []
    client.post("/api/mp/login", json={"code": "x"})
    assert calls == [False]  # the login route's own decorator


def test_a_limit_for_every_request_is_still_checked_before_each():
    from flask import Flask

    from app.extensions import RouteLimiter, client_address

    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    RouteLimiter(key_func=client_address, app=app, default_limits=["2/minute"])
    app.add_url_rule("/", "index", lambda: "ok")
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
