"""Password policy and argon2id hashing, with a bound on concurrent hashes."""

from __future__ import annotations

import secrets
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from convonet_mcp.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
DEFAULT_MAX_CONCURRENT = 4


class Argon2Hasher:
    """argon2id hashing where at most ``max_concurrent`` hashes run at once.

    Each hash holds ``memory_cost`` KiB (64 MiB by default, RFC 9106's low-memory
    profile) while it runs, so the semaphore caps the memory a burst of logins can take.
    """

    def __init__(
        self, *, max_concurrent: int = DEFAULT_MAX_CONCURRENT, hasher: PasswordHasher | None = None
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.max_concurrent = max_concurrent
        self.hasher = hasher or PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, secret: str) -> str:
        """Return the encoded argon2id hash of ``secret``."""
        with self._slots:
            return str(self.hasher.hash(secret))

    def verify(self, encoded: str, secret: str) -> bool:
        """True when ``secret`` matches ``encoded``; a malformed hash never matches."""
        with self._slots:
            try:
                return bool(self.hasher.verify(encoded, secret))
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, encoded: str) -> bool:
        """True when ``encoded`` was made with other parameters than the current ones."""
        try:
            return bool(self.hasher.check_needs_rehash(encoded))
        except (InvalidHashError, ValueError):
            return True

    def dummy_verify(self) -> None:
        """Spend the time of one verification, for accounts that do not exist."""
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self.hash(secrets.token_urlsafe(16))
            encoded = self._dummy_hash
        self.verify(encoded, secrets.token_urlsafe(16))


_hasher = Argon2Hasher()


def configure_hashing(
    *, max_concurrent: int = DEFAULT_MAX_CONCURRENT, hasher: PasswordHasher | None = None
) -> Argon2Hasher:
    """Replace the process-wide hasher (call once at startup; tests may pick cheap parameters).

    Args:
        max_concurrent: How many argon2 hashes may run at the same time.
        hasher: An argon2-cffi ``PasswordHasher``; RFC 9106 low-memory argon2id by default.

    Returns:
        The previous hasher, so a caller can restore it.
    """
    global _hasher
    previous, _hasher = _hasher, Argon2Hasher(max_concurrent=max_concurrent, hasher=hasher)
    return previous


def restore_hashing(previous: Argon2Hasher) -> None:
    """Put back a hasher returned by :func:`configure_hashing`."""
    global _hasher
    _hasher = previous


def current_hasher() -> Argon2Hasher:
    """Return the process-wide hasher (shared by passwords and PINs)."""
    return _hasher


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_password_policy(password: str) -> str:
    """Return the NFKC-normalised password, or raise InvalidInput saying what is wrong."""
    if not isinstance(password, str):
        raise InvalidInput("The password must be text.")
    normalised = _normalise(password)
    if len(normalised) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(normalised) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if len(set(normalised)) == 1:
        raise InvalidInput("The password must not be a single character repeated.")
    return normalised


def hash_password(password: str) -> str:
    """Check the policy, then return the argon2id hash of ``password``.

    Raises:
        InvalidInput: when the password breaks the policy.
    """
    return _hasher.hash(check_password_policy(password))


def verify_password(encoded: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash (argon2's comparison is constant-time).

    A missing hash or an over-long password still spends one verification's time.
    """
    if encoded is None or not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH * 4:
        _hasher.dummy_verify()
        return False
    return _hasher.verify(encoded, _normalise(password))


def needs_rehash(encoded: str) -> bool:
    """True when the stored hash should be replaced after a successful login."""
    return _hasher.needs_rehash(encoded)


def dummy_verify() -> None:
    """Spend one verification's time, so unknown accounts answer as slowly as known ones."""
    _hasher.dummy_verify()
