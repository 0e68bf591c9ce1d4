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
