"""Checking what the sandbox received: duplicates and rate-window violations, from receive times."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any


def window_violations(times: Iterable[float], limit: int, window: float) -> int:
    """How many sends were the ``limit+1``-th inside some rolling ``window`` (any window, not fixed buckets)."""
    ordered = sorted(times)
    return sum(1 for i in range(limit, len(ordered)) if ordered[i] - ordered[i - limit] < window)


def violations_by_target(messages: Iterable[dict[str, Any]], limit: int, window: float) -> dict[str, int]:
    times: dict[str, list[float]] = defaultdict(list)
    for message in messages:
        times[message["target"]].append(message["received_at"])
    return {target: n for target, stamps in times.items() if (n := window_violations(stamps, limit, window))}


def duplicates(messages: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> int:
    """Messages received more than once (by ``key``): the number of extra copies."""
    counts = Counter(key(m) for m in messages)
    return sum(n - 1 for n in counts.values() if n > 1)
