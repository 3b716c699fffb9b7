"""Accounts: registration, password login, profile, and voice PIN login with lockout."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.attributes import set_committed_value

from convonet_mcp.auth.durable import write_apart
from convonet_mcp.auth.limits import CounterStore, FixedWindowLimit
from convonet_mcp.auth.passwords import (
    check_password_policy,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from convonet_mcp.auth.pins import check_pin_policy, hash_pin, pin_matches, pin_needs_rehash
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.dates import zone
from convonet_mcp.errors import Conflict, ConvonetError, InvalidInput
from convonet_mcp.models import User, utcnow

logger = logging.getLogger("convonet.accounts")

USERNAME = re.compile(r"[a-z0-9_.-]{3,64}")
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
CALLER_LIMIT = 10
CALLER_WINDOW = timedelta(minutes=15)
_BAD_LOGIN = "Wrong login or password."
_BAD_PIN = "That PIN is not right."


class AuthenticationFailed(ConvonetError):
    """Login failed; the message never says whether the account exists."""

    code = "authentication_failed"


class PinRejected(ConvonetError):
    """A voice PIN was refused; ``locked`` says whether PIN login is blocked for now."""

    code = "pin_rejected"

    def __init__(
        self, message: str, *, locked: bool, remaining_attempts: int, retry_after: int = 0
    ) -> None:
        super().__init__(message)
        self.locked = locked
        self.remaining_attempts = remaining_attempts
        self.retry_after = retry_after  # seconds, when locked


def normalise_email(email: str) -> str:
    """Return the lowercased, validated address, or raise InvalidInput."""
    text = email.strip() if isinstance(email, str) else ""
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f'"{text}" is not a valid email address.') from exc
    normalised = valid.normalized.lower()
    if len(normalised) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"An email address must be at most {MAX_EMAIL_LENGTH} characters.")
    return normalised


def normalise_username(username: str) -> str:
    """Return the lowercased username, or raise InvalidInput."""
    value = username.strip().lower() if isinstance(username, str) else ""
    if not USERNAME.fullmatch(value):
        raise InvalidInput(
            "A username must be 3 to 64 characters: letters, digits, '_', '.' or '-'."
        )
    return value


def normalise_phone(phone: str) -> str:
    """Return the number in E.164 form (``+14155552671``), or raise InvalidInput."""
    text = phone.strip() if isinstance(phone, str) else ""
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            f'"{text}" is not a phone number in international form, e.g. +14155552671.'
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(f'"{text}" is not a valid phone number.')
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _name(value: str, field: str) -> str:
    text = value.strip()
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {field} must be at most {MAX_NAME_LENGTH} characters.")
    return text


def _timezone(value: str) -> str:
    return zone(value.strip()).key


def _ensure_free(
    session: Session, column: InstrumentedAttribute[Any], value: str, field: str, me: User | None
) -> None:
    query = select(User.id).where(column == value)
    if me is not None:
        query = query.where(User.id != me.id)
    if session.scalar(query) is not None:
        raise Conflict(f"An account with this {field} already exists.")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "An account with this email, username or phone number already exists."
        ) from exc


def register_user(
    session: Session,
    *,
    email: str,
    username: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    timezone: str = "UTC",
    phone: str | None = None,
    voice_pin: str | None = None,
    secrets: Secrets,
) -> User:
    """Create an account.

    Raises:
        InvalidInput: for a malformed email, username, timezone, phone number or name,
            or a password or PIN that breaks the policy.
        Conflict: when the email, username or phone number is taken (the message names it).
    """
    user = User(
        email=normalise_email(email),
        username=normalise_username(username),
        first_name=_name(first_name, "first name"),
        last_name=_name(last_name, "last name"),
        timezone=_timezone(timezone),
        phone_number=normalise_phone(phone) if phone else None,
    )
    if password is not None:
        check_password_policy(password)
    if voice_pin is not None:
        check_pin_policy(voice_pin)
    _ensure_free(session, User.email, user.email, "email", None)
    _ensure_free(session, User.username, user.username, "username", None)
    if user.phone_number:
        _ensure_free(session, User.phone_number, user.phone_number, "phone number", None)
    if password is not None:
        user.password_hash = hash_password(password)
    if voice_pin is not None:
        user.voice_pin_hash = hash_pin(voice_pin, secrets)
    session.add(user)
    _flush(session)
    logger.info("Registered user %s", user.id)
    return user


def authenticate(
    session: Session, *, login: str, password: str, secrets: Secrets | None = None
) -> User:
    """Return the user whose email or username and password match; records the login.

    ``secrets`` is accepted for symmetry with the PIN functions; passwords are not peppered.

    Raises:
        AuthenticationFailed: the same message for an unknown login and a wrong password;
            "This account is disabled." only after a correct password.
    """
    key = login.strip().lower() if isinstance(login, str) else ""
    user = session.scalar(select(User).where(or_(User.email == key, User.username == key)))
    if user is None or user.password_hash is None:
        dummy_verify()
        raise AuthenticationFailed(_BAD_LOGIN)
    if not verify_password(user.password_hash, password):
        raise AuthenticationFailed(_BAD_LOGIN)
    if not user.is_active:
        raise AuthenticationFailed("This account is disabled.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def set_pin(session: Session, user: User, *, pin: str, secrets: Secrets) -> None:
    """Set the user's voice PIN (the caller has authenticated them) and clear any lock.

    Raises:
        InvalidInput: when the PIN is malformed or weak.
    """
    user.voice_pin_hash = hash_pin(pin, secrets)
    user.pin_failures = 0
    user.pin_locked_until = None
    session.flush()
    logger.info("Voice PIN set for user %s", user.id)


def change_pin(
    session: Session, user: User, *, current_password: str, new_pin: str, secrets: Secrets
) -> None:
    """Change the voice PIN after checking the account password.

    Raises:
        AuthenticationFailed: when the password is wrong (or the account has none).
        InvalidInput: when the new PIN is malformed or weak.
    """
    if not verify_password(user.password_hash, current_password):
        raise AuthenticationFailed("The current password is not right.")
    set_pin(session, user, pin=new_pin, secrets=secrets)


def update_profile(
    session: Session,
    user: User,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    timezone: str | None = None,
    phone: str | None = None,
) -> User:
    """Change the given fields; ``phone=""`` removes the phone number.

    Raises:
        InvalidInput: for a malformed name, timezone or phone number.
        Conflict: when the phone number belongs to another account.
    """
    if first_name is not None:
        user.first_name = _name(first_name, "first name")
    if last_name is not None:
        user.last_name = _name(last_name, "last name")
    if timezone is not None:
        user.timezone = _timezone(timezone)
    if phone is not None:
        number = normalise_phone(phone) if phone.strip() else None
        if number is not None:
            _ensure_free(session, User.phone_number, number, "phone number", user)
        user.phone_number = number
    _flush(session)
    return user


def find_account(session: Session, *, identifier: str) -> User | None:
    """Find an account by E.164 phone number, email or username (never by PIN)."""
    text = identifier.strip() if isinstance(identifier, str) else ""
    if not text:
        return None
    if text.startswith("+"):
        try:
            number = normalise_phone(text)
        except InvalidInput:
            return None
        return session.scalar(select(User).where(User.phone_number == number))
    key = text.lower()
    column = User.email if "@" in key else User.username
    return session.scalar(select(User).where(column == key))


def _record_failure(
    session: Session, user_id: uuid.UUID, max_failures: int, lock_minutes: int
) -> tuple[int, datetime | None]:
    def work(s: Session) -> tuple[int, datetime | None] | None:
        count = s.execute(
            update(User)
            .where(User.id == user_id)
            .values(pin_failures=User.pin_failures + 1)
            .returning(User.pin_failures)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if count is None:  # the user is not committed yet: count in the caller's session
            return None
        if count < max_failures:
            return count, None
        until = utcnow() + timedelta(minutes=lock_minutes)
        s.execute(
            update(User)
            .where(User.id == user_id)
            .values(pin_failures=0, pin_locked_until=until)
            .execution_options(synchronize_session=False)
        )
        return count, until

    recorded = write_apart(session, work)
    return recorded if recorded is not None else (1, None)


def _locked(message: str, until: datetime | None) -> PinRejected:
    seconds = max(1, int((until - utcnow()).total_seconds())) if until else 0
    return PinRejected(message, locked=True, remaining_attempts=0, retry_after=seconds)


def verify_pin(
    session: Session,
    *,
    user: User | None,
    pin: str,
    secrets: Secrets,
    caller: str | None,
    store: CounterStore,
    max_failures: int = 5,
    lock_minutes: int = 15,
) -> None:
    """Check a voice PIN for a known account, counting failures against account and caller.

    ``max_failures`` wrong PINs in a row lock PIN login on the account for
    ``lock_minutes`` (kept in the database, committed even though this raises); while
    locked even the right PIN is refused. Each caller (phone number or IP) may fail 10
    times per 15 minutes across all accounts. A success resets the account's count.
    ``user=None`` (no such account) answers like a wrong PIN, in the same time.

    Raises:
        PinRejected: with ``locked`` and ``remaining_attempts``; never mentions the PIN.
    """
    spray = FixedWindowLimit(store, kind="pin-fail", limit=CALLER_LIMIT, window=CALLER_WINDOW)
    if caller and spray.exceeded(caller):
        ttl = spray.retry_after(caller)
        raise _locked(
            "Too many wrong PINs from this line. Try again later.",
            utcnow() + ttl if ttl else None,
        )
    if user is not None:
        failures, locked_until = session.execute(
            select(User.pin_failures, User.pin_locked_until).where(User.id == user.id)
        ).one()
        set_committed_value(user, "pin_failures", failures)
        set_committed_value(user, "pin_locked_until", locked_until)
        if locked_until is not None and locked_until > utcnow():
            dummy_verify()
            raise _locked(
                "PIN login is locked for a while after too many wrong PINs.", locked_until
            )
    usable = user is not None and user.is_active
    if usable and user is not None and pin_matches(user.voice_pin_hash, pin, secrets):
        if user.pin_failures or user.pin_locked_until is not None:
            user.pin_failures = 0
            user.pin_locked_until = None
        if user.voice_pin_hash and pin_needs_rehash(user.voice_pin_hash):
            user.voice_pin_hash = hash_pin(pin, secrets)
        session.flush()
        return
    if not usable:
        dummy_verify()
    caller_left = spray.hit(caller) if caller else CALLER_LIMIT
    if user is None:
        raise PinRejected(
            _BAD_PIN, locked=False, remaining_attempts=min(caller_left, max_failures - 1)
        )
    count, until = _record_failure(session, user.id, max_failures, lock_minutes)
    set_committed_value(user, "pin_failures", 0 if until else count)
    set_committed_value(user, "pin_locked_until", until if until else user.pin_locked_until)
    logger.info("Wrong voice PIN for user %s (%d in a row)", user.id, count)
    if until is not None:
        raise _locked("Too many wrong PINs: PIN login is locked for a while.", until)
    raise PinRejected(
        _BAD_PIN, locked=False, remaining_attempts=min(max_failures - count, caller_left)
    )
