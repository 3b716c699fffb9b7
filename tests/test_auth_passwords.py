"""Password policy and argon2id hashing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters

from convonet_mcp.auth.passwords import (
    Argon2Hasher,
    check_password_policy,
    configure_hashing,
    current_hasher,
    dummy_verify,
    hash_password,
    needs_rehash,
    restore_hashing,
    verify_password,
)
from convonet_mcp.errors import InvalidInput


class CountingHasher(PasswordHasher):
    """A cheap argon2 hasher that counts verifications and tracks concurrent hashes."""

    def __init__(self, barrier: threading.Barrier | None = None) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verifications = 0
        self.in_flight = 0
        self.peak = 0
        self._barrier = barrier
        self._lock = threading.Lock()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self._barrier is not None:
                self._barrier.wait()
            return super().hash(password, salt=salt)
        finally:
            with self._lock:
                self.in_flight -= 1

    def verify(self, hash: str | bytes, password: str | bytes) -> Any:
        with self._lock:
            self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def counting() -> Iterator[CountingHasher]:
    """Install a cheap counting hasher for the test, then restore the default."""
    hasher = CountingHasher()
    previous = configure_hashing(hasher=hasher)
    try:
        yield hasher
    finally:
        restore_hashing(previous)


def test_the_default_hasher_is_argon2id_with_rfc_9106_low_memory_parameters() -> None:
    encoded = hash_password("correct horse battery")
    params = extract_parameters(encoded)
    assert encoded.startswith("$argon2id$")
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert current_hasher().max_concurrent == 4
    assert verify_password(encoded, "correct horse battery")


def test_verify_password_accepts_the_right_password_and_refuses_others(
    counting: CountingHasher,
) -> None:
    encoded = hash_password("s3cret-enough")
    assert "s3cret-enough" not in encoded
    assert verify_password(encoded, "s3cret-enough")
    assert not verify_password(encoded, "s3cret-enougH")
    assert not verify_password(encoded, "")


def test_two_hashes_of_one_password_differ_by_their_salt(counting: CountingHasher) -> None:
    assert hash_password("same password") != hash_password("same password")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8 characters"),
        ("1234567", "at least 8 characters"),
        ("x" * 257, "at most 256 characters"),
        ("aaaaaaaaaa", "single character repeated"),
        ("          ", "single character repeated"),
    ],
)
def test_passwords_breaking_the_policy_are_refused_with_a_clear_message(
    password: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        hash_password(password)


def test_passwords_of_exactly_8_and_256_characters_are_accepted() -> None:
    assert check_password_policy("abcdefgh") == "abcdefgh"
    assert len(check_password_policy("ab" * 128)) == 256


def test_passwords_that_are_not_text_are_refused() -> None:
    with pytest.raises(InvalidInput, match="must be text"):
        check_password_policy(12345678)  # type: ignore[arg-type]


def test_compatibility_forms_of_unicode_verify_alike(counting: CountingHasher) -> None:
    encoded = hash_password("ﬁnal password")  # the "fi" ligature
    assert verify_password(encoded, "final password")


def test_a_missing_hash_still_spends_one_verification(counting: CountingHasher) -> None:
    assert not verify_password(None, "whatever password")
    assert counting.verifications == 1


def test_an_overlong_password_is_refused_after_a_dummy_verification(
    counting: CountingHasher,
) -> None:
    encoded = hash_password("real password")
    before = counting.verifications
    assert not verify_password(encoded, "x" * 5000)
    assert counting.verifications == before + 1


def test_a_malformed_stored_hash_never_matches(counting: CountingHasher) -> None:
    assert not verify_password("not-a-hash", "whatever password")
    assert not verify_password("$argon2id$v=19$m=1024,t=1,p=1$broken", "whatever password")


def test_dummy_verify_runs_a_real_argon2_verification(counting: CountingHasher) -> None:
    dummy_verify()
    dummy_verify()
    assert counting.verifications == 2


def test_hashes_made_with_other_parameters_need_a_rehash(counting: CountingHasher) -> None:
    current = hash_password("some password")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash("some password")
    assert not needs_rehash(current)
    assert needs_rehash(stronger)
    assert needs_rehash("garbage")
    assert verify_password(stronger, "some password")


def test_no_more_than_max_concurrent_hashes_run_at_once() -> None:
    hasher = CountingHasher(barrier=threading.Barrier(2, timeout=10))
    bounded = Argon2Hasher(max_concurrent=2, hasher=hasher)
    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = list(pool.map(bounded.hash, [f"password-{i}" for i in range(8)]))
    assert len(set(hashes)) == 8
    assert hasher.peak == 2


def test_the_concurrency_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Argon2Hasher(max_concurrent=0)


def test_configure_hashing_replaces_and_restores_the_process_hasher() -> None:
    original = current_hasher()
    previous = configure_hashing(max_concurrent=7, hasher=CountingHasher())
    try:
        assert previous is original
        assert current_hasher().max_concurrent == 7
    finally:
        restore_hashing(previous)
    assert current_hasher() is original
