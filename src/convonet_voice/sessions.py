"""Short-lived call and conversation state with a TTL: in process, or in Redis for many workers.

Every value is a string (callers store JSON). With ``CONVONET_REDIS_URL`` set, all state
lives in Redis so any worker can answer the next webhook of a call; the in-process
store is the zero-config default for a single worker.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from convonet_mcp.auth.limits import INCR_IN_WINDOW_LUA
from convonet_mcp.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

DEFAULT_PREFIX = "convonet:voice:"
_POLL_SECONDS = 0.025


class SessionStore(Protocol):
    """String values and counters that expire ``ttl`` seconds after they are written."""

    async def get(self, key: str) -> str | None:
        """Return the value of ``key``, or None when absent or expired."""
        ...

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        ...

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        """Store ``value`` only when ``key`` is absent; True when it was stored."""
        ...

    async def incr(self, key: str, *, ttl: float) -> int:
        """Add one to the counter ``key`` (its TTL starts on the first hit); return it."""
        ...

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        ...

    async def wait(self, key: str, *, timeout: float) -> str | None:
        """Return the value of ``key`` as soon as it is set, or None after ``timeout``."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemorySessionStore:
    """A single-process store; ``clock`` (monotonic seconds) is injectable for tests."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[str, float]] = {}
        self._waiters: dict[str, list[asyncio.Future[str]]] = {}
        self._writes = 0

    def _live(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[key]
            return None
        return entry[0]

    def _put(self, key: str, value: str, ttl: float) -> None:
        self._writes += 1
        if self._writes % 1024 == 0:
            now = self._clock()
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
        self._entries[key] = (value, self._clock() + ttl)
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(value)

    async def get(self, key: str) -> str | None:
        """Return the value of ``key``."""
        return self._live(key)

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        """Store ``value`` under ``key``."""
        self._put(key, value, ttl)

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        """Store ``value`` when ``key`` is absent."""
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    async def incr(self, key: str, *, ttl: float) -> int:
        """Add one to ``key``."""
        current = self._live(key)
        if current is None:
            self._put(key, "1", ttl)
            return 1
        count = int(current) + 1
        self._entries[key] = (str(count), self._entries[key][1])
        return count

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        for key in keys:
            self._entries.pop(key, None)

    async def wait(self, key: str, *, timeout: float) -> str | None:
        """Return the value of ``key`` once set, or None after ``timeout``."""
        value = self._live(key)
        if value is not None:
            return value
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(waiter)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None
        finally:
            pending = self._waiters.get(key)
            if pending is not None and waiter in pending:
                pending.remove(waiter)
                if not pending:
                    del self._waiters[key]

    async def aclose(self) -> None:
        """Nothing to release."""


class RedisSessionStore:
    """State shared by every worker, in Redis under ``prefix``."""

    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._incr = client.register_script(INCR_IN_WINDOW_LUA)

    async def get(self, key: str) -> str | None:
        """Return the value of ``key``."""
        value = await self._client.get(self._prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        """Store ``value`` under ``key``."""
        await self._client.set(self._prefix + key, value, px=_millis(ttl))

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        """Store ``value`` when ``key`` is absent."""
        return bool(await self._client.set(self._prefix + key, value, px=_millis(ttl), nx=True))

    async def incr(self, key: str, *, ttl: float) -> int:
        """Add one to ``key``."""
        return int(await self._incr(keys=[self._prefix + key], args=[_millis(ttl)]))

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        if keys:
            await self._client.delete(*(self._prefix + key for key in keys))

    async def wait(self, key: str, *, timeout: float) -> str | None:
        """Poll for ``key`` every 25 ms until it is set or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.get(key)
            left = deadline - time.monotonic()
            if value is not None or left <= 0:
                return value
            await asyncio.sleep(min(_POLL_SECONDS, left))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _millis(ttl: float) -> int:
    return max(1, math.ceil(ttl * 1000))


def make_session_store(settings: Settings, *, prefix: str = DEFAULT_PREFIX) -> SessionStore:
    """Return a Redis store when ``CONVONET_REDIS_URL`` is set, else an in-process one."""
    if settings.redis_url:
        from redis.asyncio import Redis

        return RedisSessionStore(Redis.from_url(settings.redis_url), prefix=prefix)
    return MemorySessionStore()


async def get_json(store: SessionStore, key: str) -> Any:
    """Return the JSON value under ``key``, or None."""
    raw = await store.get(key)
    return json.loads(raw) if raw is not None else None


async def set_json(store: SessionStore, key: str, value: Any, *, ttl: float) -> None:
    """Store ``value`` as JSON under ``key``."""
    await store.set(key, json.dumps(value, separators=(",", ":")), ttl=ttl)
