"""Voice PIN policy and peppered hashing, server secrets, and the counter stores behind limits."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from pydantic import SecretStr

from convonet_mcp.auth import Secrets, SecretsError, load_secrets
from convonet_mcp.auth.limits import (
    CounterStore,
    FixedWindowLimit,
    MemoryCounterStore,
    RedisCounterStore,
    make_store,
    subject_key,
)
from convonet_mcp.auth.pins import check_pin_policy, hash_pin, pin_matches, pin_needs_rehash
from convonet_mcp.errors import InvalidInput
from convonet_mcp.settings import Settings

REDIS_URL = os.environ.get("CONVONET_TEST_REDIS_URL")


pytestmark = pytest.mark.usefixtures("fast_hashing")


# --- PIN policy -------------------------------------------------------------------------


@pytest.mark.parametrize("pin", ["4829", "58203", "730194", "7391", "48 29", "4-8-2-9"])
def test_pins_of_four_to_six_unpatterned_digits_are_accepted(pin: str) -> None:
    assert check_pin_policy(pin) == pin.replace(" ", "").replace("-", "")


@pytest.mark.parametrize("pin", ["", "482", "4829301", "48a9", "١٢٣٤٥", "48.2.9.1.7.3.6", "+4829"])
def test_pins_that_are_not_four_to_six_ascii_digits_are_refused(pin: str) -> None:
    with pytest.raises(InvalidInput, match="4 to 6 digits"):
        check_pin_policy(pin)


@pytest.mark.parametrize(
    ("pin", "why"),
    [
        ("0000", "repeats one digit"),
        ("1111", "repeats one digit"),
        ("222222", "repeats one digit"),
        ("1234", "run of consecutive digits"),
        ("4321", "run of consecutive digits"),
        ("012345", "run of consecutive digits"),
        ("9876", "run of consecutive digits"),
        ("7890", "run of consecutive digits"),
        ("1212", "repeats a short pattern"),
        ("121212", "repeats a short pattern"),
        ("123123", "repeats a short pattern"),
        ("6969", "repeats a short pattern"),
        ("2580", "most common PINs"),
        ("1004", "most common PINs"),
        ("159753", "most common PINs"),
    ],
)
def test_weak_pins_are_refused_with_the_reason_but_not_the_pin(pin: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why) as caught:
        check_pin_policy(pin)
    assert pin not in caught.value.message


def test_a_pin_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="4 to 6 digits"):
        check_pin_policy(4829)  # type: ignore[arg-type]


# --- PIN hashing ------------------------------------------------------------------------


def test_a_pin_hash_is_argon2id_and_does_not_contain_the_pin(secrets: Secrets) -> None:
    encoded = hash_pin("4829", secrets)
    assert encoded.startswith("$argon2id$")
    assert "4829" not in encoded
    assert not pin_needs_rehash(encoded)


def test_the_right_pin_matches_and_others_do_not(secrets: Secrets) -> None:
    encoded = hash_pin("730194", secrets)
    assert pin_matches(encoded, "730194", secrets)
    assert pin_matches(encoded, "730 194", secrets)
    assert not pin_matches(encoded, "730195", secrets)
    assert not pin_matches(encoded, "abc", secrets)
    assert not pin_matches(None, "730194", secrets)


def test_a_leaked_hash_is_useless_without_the_pepper(secrets: Secrets) -> None:
    encoded = hash_pin("4829", secrets)
    assert not pin_matches(encoded, "4829", Secrets.generate())
    # Nor does the bare PIN verify against the hash: the pepper is part of the input.
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(encoded, "4829")


def test_weak_pins_are_never_hashed(secrets: Secrets) -> None:
    with pytest.raises(InvalidInput):
        hash_pin("1234", secrets)


# --- server secrets ---------------------------------------------------------------------


def test_the_embedded_default_generates_secrets_once_in_a_private_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = load_secrets(settings)
    path = tmp_path / "data" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "pin_pepper": first.pin_pepper,
        "jwt_secret": first.jwt_secret,
    }
    assert load_secrets(settings) == first
    assert first.pin_pepper != first.jwt_secret
    assert first.pin_pepper not in repr(first)


def test_configured_secrets_win_over_the_generated_file(tmp_path: Path) -> None:
    pepper, key = "p" * 20 + "epper-long-enough-xyz", "k" * 40
    settings = Settings(data_dir=tmp_path, pin_pepper=SecretStr(pepper), jwt_secret=SecretStr(key))
    assert load_secrets(settings) == Secrets(pin_pepper=pepper, jwt_secret=key)
    assert not (tmp_path / "secrets.json").exists()


def test_a_configured_pepper_is_completed_by_a_generated_jwt_secret(tmp_path: Path) -> None:
    pepper = "x" * 20 + "y" * 20
    loaded = load_secrets(Settings(data_dir=tmp_path, pin_pepper=SecretStr(pepper)))
    assert loaded.pin_pepper == pepper
    assert json.loads((tmp_path / "secrets.json").read_text())["jwt_secret"] == loaded.jwt_secret


def test_production_without_a_pepper_or_jwt_secret_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match="CONVONET_PIN_PEPPER and CONVONET_JWT_SECRET"):
        load_secrets(Settings(data_dir=tmp_path, production=True))
    with pytest.raises(SecretsError, match="CONVONET_JWT_SECRET must be set in production"):
        load_secrets(Settings(data_dir=tmp_path, production=True, pin_pepper=SecretStr("p" * 40)))
    assert not (tmp_path / "secrets.json").exists()


def test_production_with_both_secrets_configured_starts(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        production=True,
        pin_pepper=SecretStr("p" * 40),
        jwt_secret=SecretStr("j" * 40),
    )
    assert load_secrets(settings).jwt_secret == "j" * 40


def test_a_short_configured_secret_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, pin_pepper=SecretStr("short"))
    with pytest.raises(SecretsError, match="CONVONET_PIN_PEPPER must be at least 32"):
        load_secrets(settings)


def test_a_secrets_file_missing_a_key_is_completed_and_keeps_the_other(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"pin_pepper": "q" * 40}))
    path.chmod(0o644)
    loaded = load_secrets(Settings(data_dir=tmp_path))
    assert loaded.pin_pepper == "q" * 40
    assert json.loads(path.read_text())["jwt_secret"] == loaded.jwt_secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_readable_secrets_file_is_tightened_to_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    load_secrets(settings)
    path = tmp_path / "secrets.json"
    path.chmod(0o644)
    load_secrets(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_corrupt_secrets_file_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(SecretsError, match="not valid JSON"):
        load_secrets(Settings(data_dir=tmp_path))
    path.write_text("[1, 2]")
    with pytest.raises(SecretsError, match="JSON object"):
        load_secrets(Settings(data_dir=tmp_path))
    assert path.read_text() == "[1, 2]"


# --- counter stores (the PIN spray limit and rate limits) --------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_counters_count_up_and_reset(counter_store: CounterStore) -> None:
    window = timedelta(minutes=15)
    assert counter_store.get("a") == 0
    assert counter_store.ttl("a") is None
    assert [counter_store.incr("a", ttl=window) for _ in range(3)] == [1, 2, 3]
    assert counter_store.incr("b", ttl=window) == 1
    assert counter_store.get("a") == 3
    left = counter_store.ttl("a")
    assert left is not None
    assert timedelta(minutes=14) < left <= window
    counter_store.reset("a")
    assert counter_store.get("a") == 0
    assert counter_store.get("b") == 1


def test_the_window_starts_at_the_first_hit_and_is_not_extended(
    counter_store: CounterStore,
) -> None:
    counter_store.incr("k", ttl=timedelta(minutes=15))
    counter_store.incr("k", ttl=timedelta(hours=5))
    left = counter_store.ttl("k")
    assert left is not None
    assert left <= timedelta(minutes=15)


def test_memory_counters_expire_after_their_window() -> None:
    clock = Clock()
    store = MemoryCounterStore(clock=clock)
    store.incr("k", ttl=timedelta(seconds=60))
    store.incr("k", ttl=timedelta(seconds=60))
    clock.now += 59
    assert store.get("k") == 2
    clock.now += 1
    assert store.get("k") == 0
    assert store.incr("k", ttl=timedelta(seconds=60)) == 1


def test_memory_store_sweeps_expired_keys() -> None:
    clock = Clock()
    store = MemoryCounterStore(clock=clock)
    for i in range(1000):
        store.incr(f"old-{i}", ttl=timedelta(seconds=1))
    clock.now += 2
    for i in range(100):
        store.incr(f"new-{i}", ttl=timedelta(seconds=1))
    assert len(store._entries) <= 100


def test_redis_counters_carry_an_expiry_in_redis(redis_store: RedisCounterStore) -> None:
    redis_store.incr("k", ttl=timedelta(seconds=90))
    raw = redis_store._client.pttl(redis_store._prefix + "k")
    assert 0 < int(raw) <= 90_000  # type: ignore[arg-type]


def test_make_store_picks_redis_only_when_a_url_is_configured(tmp_path: Path) -> None:
    memory = make_store(Settings(data_dir=tmp_path))
    redis = make_store(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0"))
    try:
        assert isinstance(memory, MemoryCounterStore)
        assert isinstance(redis, RedisCounterStore)
    finally:
        memory.close()
        redis.close()


def test_subject_keys_do_not_hold_the_subject_in_clear() -> None:
    key = subject_key("pin-fail", "+14155552671")
    assert key.startswith("pin-fail:")
    assert "4155552671" not in key
    assert key == subject_key("pin-fail", " +14155552671 ")


def test_a_fixed_window_limit_counts_hits_per_subject(counter_store: CounterStore) -> None:
    limit = FixedWindowLimit(counter_store, kind="t", limit=3, window=timedelta(minutes=1))
    assert [limit.hit("alice") for _ in range(3)] == [2, 1, 0]
    assert limit.exceeded("alice")
    assert not limit.exceeded("bob")
    assert limit.retry_after("alice") is not None
    limit.reset("alice")
    assert not limit.exceeded("alice")
