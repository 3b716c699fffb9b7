"""The call-state store: in process and in Redis, and two workers sharing one call through Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.secrets import Secrets
from convonet_voice.sessions import (
    MemorySessionStore,
    RedisSessionStore,
    SessionStore,
    get_json,
    make_session_store,
    set_json,
)
from convonet_voice.settings import VoiceSettings
from factories import cheap_hashing
from twilio_helpers import (
    PIN,
    Call,
    GatedAgent,
    add_caller,
    build_app,
    listens,
    phone,
    spoken,
    voice_settings,
)

REDIS_URL = os.environ.get("CONVONET_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="CONVONET_TEST_REDIS_URL is not set")
KINDS = ["memory", pytest.param("redis", marks=[needs_redis, pytest.mark.redis])]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _cleanup(prefix: str) -> None:
    assert REDIS_URL
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=KINDS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore()
        return
    assert REDIS_URL
    prefix = f"convonet-test:{uuid.uuid4().hex}:"
    redis_store = RedisSessionStore(Redis.from_url(REDIS_URL), prefix=prefix)
    try:
        yield redis_store
    finally:
        await redis_store.aclose()
        await _cleanup(prefix)


async def test_values_are_stored_added_once_counted_and_deleted(store: SessionStore) -> None:
    assert await store.get("a") is None
    await store.set("a", "one", ttl=60)
    assert await store.get("a") == "one"
    assert await store.add("a", "two", ttl=60) is False
    assert await store.add("b", "two", ttl=60) is True
    assert [await store.incr("n", ttl=60) for _ in range(3)] == [1, 2, 3]
    await set_json(store, "j", {"stage": "pin", "tries": [1, 2]}, ttl=60)
    assert await get_json(store, "j") == {"stage": "pin", "tries": [1, 2]}
    await store.delete("a", "b", "n")
    assert (await store.get("a"), await store.get("b"), await store.get("n")) == (None, None, None)


async def test_wait_returns_a_value_set_later_and_none_after_its_timeout(
    store: SessionStore,
) -> None:
    waiting = asyncio.create_task(store.wait("late", timeout=5))
    await asyncio.sleep(0)  # let the waiter start before the value lands
    await store.set("late", "here", ttl=60)
    assert await asyncio.wait_for(waiting, 5) == "here"
    assert await store.wait("never", timeout=0.01) is None


def test_memory_values_expire_after_their_ttl() -> None:
    clock = Clock()
    store = MemorySessionStore(clock=clock)

    async def scenario() -> None:
        await store.set("k", "v", ttl=10)
        assert await store.incr("c", ttl=10) == 1
        clock.now += 9.9
        assert await store.get("k") == "v"
        assert await store.incr("c", ttl=10) == 2  # a hit does not extend the window
        clock.now += 0.2
        assert await store.get("k") is None
        assert await store.incr("c", ttl=10) == 1
        assert await store.add("k", "again", ttl=10)

    asyncio.run(scenario())


@needs_redis
@pytest.mark.redis
async def test_redis_values_carry_a_ttl_under_the_prefix() -> None:
    assert REDIS_URL
    prefix = f"convonet-test:{uuid.uuid4().hex}:"
    store = make_session_store(VoiceSettings(redis_url=REDIS_URL), prefix=prefix)
    assert isinstance(store, RedisSessionStore)
    client = Redis.from_url(REDIS_URL)
    try:
        await store.set("k", "v", ttl=30)
        await store.incr("c", ttl=30)
        for key in ("k", "c"):
            ttl = await client.pttl(f"{prefix}{key}")
            assert 0 < ttl <= 30_000
    finally:
        await client.aclose()
        await store.aclose()
        await _cleanup(prefix)


def test_without_redis_the_store_is_in_process() -> None:
    assert isinstance(make_session_store(VoiceSettings(redis_url=None)), MemorySessionStore)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"convonet-test:{uuid.uuid4().hex}:"
    yield prefix
    asyncio.run(_cleanup(prefix))


@needs_redis
@pytest.mark.redis
def test_two_workers_on_redis_share_one_call_including_a_late_turn(
    factory: sessionmaker[Session], redis_prefix: str
) -> None:
    assert REDIS_URL
    secrets = Secrets.generate()
    settings = voice_settings(webhook_timeout=0.5)
    agent = GatedAgent()
    with cheap_hashing():
        add_caller(factory, secrets, "ann", phone="+14155550123")
        workers = [
            build_app(
                settings,
                factory,
                secrets,
                agent,
                sessions=RedisSessionStore(Redis.from_url(REDIS_URL), prefix=redis_prefix),
            )
            for _ in range(2)
        ]
        with phone(workers[0]) as first, phone(workers[1]) as second:
            on_first = Call(first, caller="+14155550123")
            on_second = Call(second, caller="+14155550123", sid=on_first.sid)
            on_first.post("call")
            on_second.last = on_first.last
            assert "signed in" in spoken(on_second.keys(PIN))  # the PIN reaches the other worker

            on_first.last = on_second.last
            holding = on_first.say("add a todo to call the bank")  # runs on the first worker
            assert "One moment" in spoken(holding)
            agent.gate.set()
            on_second.last = holding
            answer = on_second.follow()  # the other worker picks up the finished turn
            assert "You said: add a todo to call the bank." in spoken(answer)
            assert listens(answer)
            assert agent.turns == ["add a todo to call the bank"]
