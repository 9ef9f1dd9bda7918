"""Per-client rate limits: fixed windows counted in the worker's memory or in a shared store
(SEARCH_RATELIMIT_STORAGE_URL), the ``X-RateLimit-*`` headers, and 429 with ``Retry-After``.

A check is one dictionary look-up per limit in memory, or one Redis round trip per limit and
one for the window's expiry. The ``limits`` library parses the limit strings (the syntax the
settings document, e.g. ``20/second;600/minute``), names the counters (the same keys
flask-limiter used, so a rolling restart sharing a Redis keeps its counts) and talks to shared
stores. Its own in-memory storage is not used: it starts a timer thread every 10 ms under load
to expire counters, where a sweep in passing does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import Response
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string

# How often the in-memory counters drop the windows that have ended (seconds).
SWEEP_EVERY = 60.0


@dataclass(frozen=True)
class Counted:
    """Where a client stands in the limit its headers report."""

    limit: int
    remaining: int
    reset: float  # Unix time the window ends
    broken: str | None = None  # the limit this request is over, as in "3 per 1 minute"

    def add_headers(self, response: Response) -> None:
        reset_at = int(self.reset + 1)
        add = response.headers.add  # the limiter alone sets these
        add("X-RateLimit-Limit", str(self.limit))
        add("X-RateLimit-Remaining", str(self.remaining))
        add("X-RateLimit-Reset", str(reset_at))
        if response.status_code == 429:
            add("Retry-After", str(max(int(reset_at - time.time()), 1)))


class LocalWindows:
    """Fixed windows in this process: key → [end, hits]. A window starts at a key's first hit."""

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = time.time() + SWEEP_EVERY

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        """Count one request; the window's hits so far and when it ends."""
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.get(key)
            if window is None or window[0] <= now:
                window = self._windows[key] = [now + seconds, 0]
            window[1] += 1
            return int(window[1]), window[0]

    def _sweep(self, now: float) -> None:
        self._windows = {key: w for key, w in self._windows.items() if w[0] > now}
        self._next_sweep = now + SWEEP_EVERY


class SharedWindows:
    """Fixed windows in a store every worker and machine reaches (``redis://...``)."""

    def __init__(self, url: str) -> None:
        self.storage = storage_from_string(url)

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        hits = self.storage.incr(key, seconds)
        return hits, self.storage.get_expiry(key)


class RateLimiter:
    """Counts a client's requests against a budget (a scope and its limits)."""

    def __init__(self, storage_url: str, key_prefix: str) -> None:
        local = storage_url.split("://", 1)[0] == "memory"
        self.windows = LocalWindows() if local else SharedWindows(storage_url)
        self.key_prefix = key_prefix

    def hit(self, limits: str, client: str, scope: str) -> Counted:
        """One request of ``client`` against ``scope``'s ``limits`` (the shortest window first;
        past a broken one no further window is counted)."""
        counted = None
        for item in parsed(limits):
            key = item.key_for(self.key_prefix, client, scope)
            hits, reset = self.windows.hit(key, item.get_expiry())
            if hits > item.amount:
                return Counted(item.amount, 0, reset, broken=str(item))
            if counted is None:
                counted = Counted(item.amount, item.amount - hits, reset)
        assert counted is not None
        return counted


@lru_cache(maxsize=64)
def parsed(limits: str) -> tuple[RateLimitItem, ...]:
    """``20/second;600/minute`` → its limits, the shortest window first."""
    return tuple(sorted(parse_many(limits), key=lambda item: item.GRANULARITY.seconds))
