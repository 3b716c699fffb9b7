"""Counters with a time-to-live, in process or in Redis, for failure and rate limits."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from convonet_mcp.settings import Settings

if TYPE_CHECKING:
    from redis import Redis

# INCR, and start the window on the first hit; atomic, so a crash never leaves a key
# without an expiry.
INCR_IN_WINDOW_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
"""


class CounterStore(Protocol):
    """Fixed-window counters: the first ``incr`` of a key starts its window of ``ttl``."""

    def incr(self, key: str, *, ttl: timedelta) -> int:
        """Add one to ``key`` and return the new count."""
        ...

    def get(self, key: str) -> int:
        """Return the current count of ``key`` (0 when absent or expired)."""
        ...

    def ttl(self, key: str) -> timedelta | None:
        """Return the time until ``key`` expires, or None when it is absent."""
        ...

    def reset(self, key: str) -> None:
        """Forget ``key``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class MemoryCounterStore:
    """A thread-safe in-process store; ``clock`` (monotonic seconds) is injectable for tests."""

    _SWEEP_EVERY = 1024

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, float]] = {}
        self._writes = 0

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] <= now:
            del self._entries[key]
            return None
        return entry

    def incr(self, key: str, *, ttl: timedelta) -> int:
        """Add one to ``key`` and return the new count."""
        with self._lock:
            now = self._clock()
            self._writes += 1
            if self._writes % self._SWEEP_EVERY == 0:
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            entry = self._live(key, now)
            count, expires = entry if entry else (0, now + ttl.total_seconds())
            self._entries[key] = (count + 1, expires)
            return count + 1

    def get(self, key: str) -> int:
        """Return the current count of ``key``."""
        with self._lock:
            entry = self._live(key, self._clock())
            return entry[0] if entry else 0

    def ttl(self, key: str) -> timedelta | None:
        """Return the time left on ``key``."""
        with self._lock:
            now = self._clock()
            entry = self._live(key, now)
            return timedelta(seconds=entry[1] - now) if entry else None

    def reset(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._entries.pop(key, None)

    def close(self) -> None:
        """Nothing to release."""


class RedisCounterStore:
    """Counters shared by every worker, in Redis under ``prefix``."""

    def __init__(self, client: Redis, *, prefix: str = "convonet:") -> None:
        self._client = client
        self._prefix = prefix
        self._incr = client.register_script(INCR_IN_WINDOW_LUA)

    def incr(self, key: str, *, ttl: timedelta) -> int:
        """Add one to ``key`` and return the new count."""
        millis = max(1, math.ceil(ttl.total_seconds() * 1000))
        return int(self._incr(keys=[self._prefix + key], args=[millis]))

    def get(self, key: str) -> int:
        """Return the current count of ``key``."""
        value = self._client.get(self._prefix + key)
        return int(value) if value is not None else 0

    def ttl(self, key: str) -> timedelta | None:
        """Return the time left on ``key``."""
        millis = int(self._client.pttl(self._prefix + key))
        return timedelta(milliseconds=millis) if millis >= 0 else None

    def reset(self, key: str) -> None:
        """Forget ``key``."""
        self._client.delete(self._prefix + key)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def make_store(settings: Settings, *, prefix: str = "convonet:") -> CounterStore:
    """Return a Redis store when ``CONVONET_REDIS_URL`` is set, else an in-process one."""
    if settings.redis_url:
        from redis import Redis

        return RedisCounterStore(Redis.from_url(settings.redis_url), prefix=prefix)
    return MemoryCounterStore()


def subject_key(kind: str, subject: str) -> str:
    """Build a counter key that does not hold the subject (a phone number, an IP) in clear."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


class FixedWindowLimit:
    """At most ``limit`` hits per ``window`` for each subject, counted in a store."""

    def __init__(self, store: CounterStore, *, kind: str, limit: int, window: timedelta) -> None:
        self.store = store
        self.kind = kind
        self.limit = limit
        self.window = window

    def exceeded(self, subject: str) -> bool:
        """True when ``subject`` has used up its hits in the current window."""
        return self.store.get(subject_key(self.kind, subject)) >= self.limit

    def hit(self, subject: str) -> int:
        """Count one hit for ``subject``; return how many remain in the window."""
        count = self.store.incr(subject_key(self.kind, subject), ttl=self.window)
        return max(0, self.limit - count)

    def retry_after(self, subject: str) -> timedelta | None:
        """Time until the subject's window ends, or None when nothing is counted."""
        return self.store.ttl(subject_key(self.kind, subject))

    def reset(self, subject: str) -> None:
        """Forget the subject's hits."""
        self.store.reset(subject_key(self.kind, subject))
