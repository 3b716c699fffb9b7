"""Accounts: registration, password login, profile, lookup, and voice PIN login with lockout."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth import Secrets
from convonet_mcp.auth.limits import CounterStore, MemoryCounterStore
from convonet_mcp.auth.passwords import configure_hashing, restore_hashing
from convonet_mcp.auth.pins import pin_matches
from convonet_mcp.db import make_engine, session_factory
from convonet_mcp.errors import Conflict, ConvonetError, InvalidInput
from convonet_mcp.models import Base, User, utcnow
from convonet_mcp.services.accounts import (
    AuthenticationFailed,
    PinRejected,
    authenticate,
    change_pin,
    find_account,
    register_user,
    set_pin,
    update_profile,
    verify_pin,
)

REDIS_URL = os.environ.get("CONVONET_TEST_REDIS_URL")
PIN = "730194"
PASSWORD = "correct horse battery"


pytestmark = pytest.mark.usefixtures("fast_hashing")


def register(session: Session, secrets: Secrets, handle: str = "ann", **extra: str) -> User:
    return register_user(
        session,
        email=f"{handle}@example.com",
        username=handle,
        password=PASSWORD,
        secrets=secrets,
        **extra,
    )


# --- registration -----------------------------------------------------------------------


def test_registration_normalises_and_stores_only_hashes(session: Session, secrets: Secrets) -> None:
    user = register_user(
        session,
        email="  Ann.Lee@Example.COM ",
        username=" Ann_Lee ",
        password=PASSWORD,
        first_name=" Ann ",
        last_name="Lee",
        timezone="Europe/London",
        phone="+44 20 7946 0958",
        voice_pin=PIN,
        secrets=secrets,
    )
    assert (user.email, user.username) == ("ann.lee@example.com", "ann_lee")
    assert (user.first_name, user.last_name) == ("Ann", "Lee")
    assert (user.timezone, user.phone_number) == ("Europe/London", "+442079460958")
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert user.voice_pin_hash is not None and pin_matches(user.voice_pin_hash, PIN, secrets)
    assert user.is_active and user.pin_failures == 0
    assert session.scalar(select(User).where(User.id == user.id)) is user


def test_registration_without_password_or_pin_leaves_them_unset(
    session: Session, secrets: Secrets
) -> None:
    user = register_user(session, email="bo@example.com", username="bob", secrets=secrets)
    assert user.password_hash is None and user.voice_pin_hash is None
    assert user.timezone == "UTC" and user.phone_number is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "not a valid email"),
        ("email", "ann@", "not a valid email"),
        ("email", "a" * 250 + "@example.com", "not a valid email|at most 254"),
        ("username", "ab", "3 to 64 characters"),
        ("username", "a" * 65, "3 to 64 characters"),
        ("username", "ann lee", "3 to 64 characters"),
        ("username", "ann@x", "3 to 64 characters"),
        ("timezone", "Mars/Olympus", "not a known IANA timezone"),
        ("phone", "4155552671", "international form"),
        ("phone", "+1 000 000 0000", "not a valid phone number"),
        ("phone", "call me", "international form"),
        ("first_name", "x" * 101, "first name must be at most 100"),
        ("last_name", "x" * 101, "last name must be at most 100"),
        ("password", "short", "at least 8 characters"),
        ("password", "zzzzzzzzzz", "single character repeated"),
        ("voice_pin", "1234", "too easy to guess"),
        ("voice_pin", "12", "4 to 6 digits"),
    ],
)
def test_registration_refuses_malformed_fields_and_writes_nothing(
    session: Session, secrets: Secrets, field: str, value: str, message: str
) -> None:
    fields = {"email": "ann@example.com", "username": "ann", field: value}
    with pytest.raises(InvalidInput, match=message):
        register_user(session, secrets=secrets, **fields)
    assert session.scalars(select(User)).all() == []


@pytest.mark.parametrize(
    ("clash", "field"),
    [
        ({"email": "ANN@example.com", "username": "other"}, "email"),
        ({"email": "other@example.com", "username": "ANN"}, "username"),
        (
            {"email": "o@example.com", "username": "oth", "phone": "+1 (415) 555-2671"},
            "phone number",
        ),
    ],
)
def test_duplicates_are_a_conflict_naming_the_field(
    session: Session, secrets: Secrets, clash: dict[str, str], field: str
) -> None:
    register(session, secrets, phone="+14155552671")
    with pytest.raises(Conflict, match=f"this {field} already exists"):
        register_user(session, secrets=secrets, **clash)


# --- password login ---------------------------------------------------------------------


def test_users_log_in_by_email_or_username_in_any_case(session: Session, secrets: Secrets) -> None:
    ann = register(session, secrets)
    assert ann.last_login_at is None
    assert authenticate(session, login="ANN@example.com", password=PASSWORD, secrets=secrets) is ann
    assert ann.last_login_at is not None
    assert authenticate(session, login=" Ann ", password=PASSWORD) is ann


def test_an_unknown_login_and_a_wrong_password_fail_alike(
    session: Session, secrets: Secrets
) -> None:
    register(session, secrets)
    register_user(session, email="nopw@example.com", username="nopw", secrets=secrets)
    failures = []
    for login, password in [("ann", "wrong password"), ("nobody", PASSWORD), ("nopw", PASSWORD)]:
        with pytest.raises(AuthenticationFailed) as caught:
            authenticate(session, login=login, password=password, secrets=secrets)
        failures.append((type(caught.value), caught.value.message))
    assert len(set(failures)) == 1
    assert issubclass(AuthenticationFailed, ConvonetError)


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


def test_an_unknown_login_spends_as_long_as_a_known_one(session: Session, secrets: Secrets) -> None:
    register(session, secrets)
    counting = CountingHasher()
    previous = configure_hashing(hasher=counting)
    try:
        for login in ("ann", "nobody"):
            with pytest.raises(AuthenticationFailed):
                authenticate(session, login=login, password="wrong password")
    finally:
        restore_hashing(previous)
    assert counting.verifications == 2


def test_an_inactive_user_is_refused_even_with_the_right_password(
    session: Session, secrets: Secrets
) -> None:
    ann = register(session, secrets)
    ann.is_active = False
    with pytest.raises(AuthenticationFailed, match="disabled"):
        authenticate(session, login="ann", password=PASSWORD)
    with pytest.raises(AuthenticationFailed, match="Wrong login or password"):
        authenticate(session, login="ann", password="wrong password")
    assert ann.last_login_at is None


def test_a_login_rehashes_a_password_made_with_old_parameters(
    session: Session, secrets: Secrets
) -> None:
    ann = register(session, secrets)
    old_hash = ann.password_hash
    previous = configure_hashing(hasher=PasswordHasher(time_cost=2, memory_cost=2048))
    try:
        authenticate(session, login="ann", password=PASSWORD)
    finally:
        restore_hashing(previous)
    assert ann.password_hash is not None and ann.password_hash != old_hash
    assert extract_parameters(ann.password_hash).time_cost == 2


# --- PINs and profile -------------------------------------------------------------------


def test_set_pin_replaces_the_pin_and_clears_a_lock(session: Session, secrets: Secrets) -> None:
    ann = register(session, secrets, voice_pin=PIN)
    ann.pin_failures, ann.pin_locked_until = 3, utcnow() + timedelta(minutes=5)
    set_pin(session, ann, pin="58203", secrets=secrets)
    assert (ann.pin_failures, ann.pin_locked_until) == (0, None)
    assert pin_matches(ann.voice_pin_hash, "58203", secrets)
    assert not pin_matches(ann.voice_pin_hash, PIN, secrets)
    with pytest.raises(InvalidInput, match="too easy"):
        set_pin(session, ann, pin="0000", secrets=secrets)


def test_change_pin_needs_the_current_password(session: Session, secrets: Secrets) -> None:
    ann = register(session, secrets, voice_pin=PIN)
    with pytest.raises(AuthenticationFailed, match="current password"):
        change_pin(
            session, ann, current_password="wrong password", new_pin="58203", secrets=secrets
        )
    assert pin_matches(ann.voice_pin_hash, PIN, secrets)
    change_pin(session, ann, current_password=PASSWORD, new_pin="58203", secrets=secrets)
    assert pin_matches(ann.voice_pin_hash, "58203", secrets)
    nopw = register_user(session, email="n@example.com", username="nopw", secrets=secrets)
    with pytest.raises(AuthenticationFailed):
        change_pin(session, nopw, current_password="", new_pin="58203", secrets=secrets)


def test_update_profile_changes_only_the_given_fields(session: Session, secrets: Secrets) -> None:
    ann = register(session, secrets, first_name="Ann", last_name="Lee")
    update_profile(session, ann, first_name=" Annie ", timezone="America/New_York")
    assert (ann.first_name, ann.last_name, ann.timezone) == ("Annie", "Lee", "America/New_York")
    update_profile(session, ann, phone="+1 415 555 2671")
    assert ann.phone_number == "+14155552671"
    update_profile(session, ann, phone="+14155552671")  # one's own number is no conflict
    update_profile(session, ann, phone="")
    assert ann.phone_number is None


def test_update_profile_refuses_bad_values_and_a_phone_taken_by_another(
    session: Session, secrets: Secrets
) -> None:
    ann = register(session, secrets)
    register(session, secrets, "bob", phone="+14155552671")
    with pytest.raises(Conflict, match="phone number"):
        update_profile(session, ann, phone="+1 415 555 2671")
    with pytest.raises(InvalidInput, match="IANA"):
        update_profile(session, ann, timezone="Nowhere/Land")
    with pytest.raises(InvalidInput, match="phone"):
        update_profile(session, ann, phone="12")
    with pytest.raises(InvalidInput, match="at most 100"):
        update_profile(session, ann, last_name="x" * 101)
    assert ann.phone_number is None and ann.timezone == "UTC"


def test_find_account_by_phone_email_or_username_but_never_by_pin(
    session: Session, secrets: Secrets
) -> None:
    ann = register(session, secrets, phone="+14155552671", voice_pin=PIN)
    assert find_account(session, identifier="+1 (415) 555-2671") is ann
    assert find_account(session, identifier=" ANN@example.com ") is ann
    assert find_account(session, identifier="Ann") is ann
    for other in (PIN, "+19999", "+14155550000", "", "   ", "zed", "zed@example.com"):
        assert find_account(session, identifier=other) is None


# --- PIN login, lockout and the per-caller limit ----------------------------------------


def pin_user(session: Session, secrets: Secrets, handle: str = "ann") -> User:
    user = register(session, secrets, handle, voice_pin=PIN)
    session.commit()
    return user


def attempt(session: Session, user: User | None, pin: str, secrets: Secrets, **kw: object) -> None:
    options: dict[str, object] = {"caller": None, "store": MemoryCounterStore()} | kw
    verify_pin(session, user=user, pin=pin, secrets=secrets, **options)  # type: ignore[arg-type]


def test_the_right_pin_is_accepted(session: Session, secrets: Secrets) -> None:
    ann = pin_user(session, secrets)
    attempt(session, ann, PIN, secrets)
    attempt(session, ann, "730 194", secrets)


def test_five_wrong_pins_lock_the_account_and_then_even_the_right_pin_is_refused(
    session: Session, secrets: Secrets
) -> None:
    ann = pin_user(session, secrets)
    remaining = []
    for _ in range(4):
        with pytest.raises(PinRejected) as caught:
            attempt(session, ann, "58203", secrets)
        assert not caught.value.locked
        remaining.append(caught.value.remaining_attempts)
    assert remaining == [4, 3, 2, 1]
    with pytest.raises(PinRejected) as caught:
        attempt(session, ann, "58203", secrets)
    assert caught.value.locked and caught.value.remaining_attempts == 0
    assert 14 * 60 < caught.value.retry_after <= 15 * 60
    with pytest.raises(PinRejected, match="locked") as caught:
        attempt(session, ann, PIN, secrets)
    assert caught.value.locked


def test_a_success_resets_the_count_of_wrong_pins(session: Session, secrets: Secrets) -> None:
    ann = pin_user(session, secrets)
    for _ in range(4):
        with pytest.raises(PinRejected):
            attempt(session, ann, "58203", secrets)
    attempt(session, ann, PIN, secrets)
    assert ann.pin_failures == 0
    with pytest.raises(PinRejected) as caught:
        attempt(session, ann, "58203", secrets)
    assert caught.value.remaining_attempts == 4


def test_the_limits_follow_the_given_max_failures_and_lock_minutes(
    session: Session, secrets: Secrets
) -> None:
    ann = pin_user(session, secrets)
    with pytest.raises(PinRejected):
        attempt(session, ann, "58203", secrets, max_failures=2, lock_minutes=60)
    with pytest.raises(PinRejected) as caught:
        attempt(session, ann, "58203", secrets, max_failures=2, lock_minutes=60)
    assert caught.value.locked and caught.value.retry_after > 59 * 60


def test_pin_login_opens_again_once_the_lock_has_expired(
    session: Session, secrets: Secrets
) -> None:
    ann = pin_user(session, secrets)
    for _ in range(5):
        with pytest.raises(PinRejected):
            attempt(session, ann, "58203", secrets)
    session.execute(
        text("UPDATE users SET pin_locked_until = :t WHERE id = :id"),
        {"t": utcnow() - timedelta(seconds=1), "id": ann.id.hex if _sqlite(session) else ann.id},
    )
    session.commit()
    attempt(session, ann, PIN, secrets)
    assert (ann.pin_failures, ann.pin_locked_until) == (0, None)


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def test_a_wrong_pin_is_counted_even_when_the_caller_rolls_back(
    session: Session, factory: sessionmaker[Session], secrets: Secrets
) -> None:
    ann = pin_user(session, secrets)
    with pytest.raises(PinRejected):
        attempt(session, ann, "58203", secrets)
    session.rollback()
    with factory() as fresh:
        assert fresh.get(User, ann.id).pin_failures == 1  # type: ignore[union-attr]


def test_the_lock_survives_a_restart(session: Session, database_url: str, secrets: Secrets) -> None:
    ann = pin_user(session, secrets)
    ann_id = ann.id
    for _ in range(5):
        with pytest.raises(PinRejected):
            attempt(session, ann, "58203", secrets)
        session.rollback()
    session.close()
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as restarted:
            again = restarted.get(User, ann_id)
            with pytest.raises(PinRejected) as caught:
                attempt(restarted, again, PIN, secrets)
            assert caught.value.locked
    finally:
        engine.dispose()


def test_a_failure_inside_a_transaction_that_already_wrote_the_user_still_counts(
    session: Session, secrets: Secrets
) -> None:
    ann = pin_user(session, secrets)
    update_profile(session, ann, first_name="Annie")
    with pytest.raises(PinRejected) as caught:
        attempt(session, ann, "58203", secrets)
    assert caught.value.remaining_attempts == 4
    session.commit()
    session.expire_all()
    assert (ann.first_name, ann.pin_failures) == ("Annie", 1)


def test_unknown_inactive_and_pinless_accounts_are_refused_like_a_wrong_pin(
    session: Session, secrets: Secrets
) -> None:
    ann = pin_user(session, secrets)
    nopin = register(session, secrets, "nopin")
    session.commit()
    messages = set()
    for user in (None, nopin):
        with pytest.raises(PinRejected) as caught:
            attempt(session, user, PIN, secrets)
        assert not caught.value.locked
        messages.add(caught.value.message)
    ann.is_active = False
    session.commit()
    with pytest.raises(PinRejected) as caught:
        attempt(session, ann, PIN, secrets)
    messages.add(caught.value.message)
    assert messages == {"That PIN is not right."}


def test_one_caller_spraying_pins_across_accounts_is_stopped_after_ten_failures(
    session: Session, secrets: Secrets, counter_store: CounterStore
) -> None:
    users = [pin_user(session, secrets, f"user{i}") for i in range(4)]
    caller = "+14155552671"
    for n in range(10):
        with pytest.raises(PinRejected) as caught:
            attempt(session, users[n % 3], "58203", secrets, caller=caller, store=counter_store)
    assert caught.value.remaining_attempts == 0
    with pytest.raises(PinRejected, match="from this line") as caught:
        attempt(session, users[3], PIN, secrets, caller=caller, store=counter_store)
    assert caught.value.locked and caught.value.retry_after > 0
    assert all(u.pin_locked_until is None for u in users)  # no account reached its own limit
    attempt(session, users[3], PIN, secrets, caller="203.0.113.9", store=counter_store)


def test_unknown_accounts_count_toward_the_caller_limit(
    session: Session, secrets: Secrets, counter_store: CounterStore
) -> None:
    ann = pin_user(session, secrets)
    for _ in range(10):
        with pytest.raises(PinRejected):
            attempt(session, None, PIN, secrets, caller="203.0.113.9", store=counter_store)
    with pytest.raises(PinRejected, match="from this line"):
        attempt(session, ann, PIN, secrets, caller="203.0.113.9", store=counter_store)


def test_plaintext_pins_appear_in_no_row_message_or_log(
    session: Session, secrets: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "581739"
    ann = register(session, secrets, voice_pin=PIN, phone="+14155552671")
    session.commit()
    set_pin(session, ann, pin=PIN, secrets=secrets)
    attempt(session, ann, PIN, secrets, caller="+14155552671")
    errors = []
    for _ in range(6):
        with pytest.raises(PinRejected) as caught:
            attempt(session, ann, wrong, secrets)
        errors.append(caught.value.message + repr(caught.value.__dict__))
    with pytest.raises(InvalidInput) as weak:
        set_pin(session, ann, pin="123456", secrets=secrets)
    errors.append(weak.value.message)
    session.commit()
    dump = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            dump.extend(str(value) for value in row)
    for pin in (PIN, wrong, "123456"):
        assert not any(pin in value for value in dump)
        assert pin not in caplog.text
        assert not any(pin in message for message in errors)
    assert "Wrong voice PIN" in caplog.text  # the failures were logged, without the PIN
