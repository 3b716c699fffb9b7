"""Voice PINs: policy (4-6 digits, no weak patterns) and peppered argon2id hashing.

A PIN is first keyed with the server's pepper (HMAC-SHA256), then hashed with argon2id,
so the ten thousand-odd possible PINs cannot be brute-forced from a leaked database
without the pepper. PINs are never stored, logged or returned in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from itertools import pairwise

from convonet_mcp.auth.passwords import current_hasher
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.errors import InvalidInput

MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 6
_PIN = re.compile(r"[0-9]{4,6}")
_SEPARATORS = re.compile(r"[\s\-.]")

# Frequent PINs that the pattern rules below do not already catch (keypad shapes,
# dates, words), after published analyses of leaked PIN sets.
COMMON_PINS = frozenset(
    {
        "1004", "2000", "2001", "1122", "1313", "6969", "1984", "1999", "2580", "0852",
        "1357", "2468", "1379", "1397", "5683", "4455", "7410", "0007", "1001", "2525",
        "112233", "159753", "147258", "123321", "520520", "696969", "258258", "142536",
        "102030", "246810", "135790", "987654", "123654", "147852", "741852", "852963",
    }
)  # fmt: skip


def normalise_pin(pin: str) -> str:
    """Drop spaces, dashes and dots that a keypad or transcript may put between digits."""
    return _SEPARATORS.sub("", pin) if isinstance(pin, str) else ""


def _is_run(pin: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    return steps in ({1}, {9})


def _is_repeated_block(pin: str) -> bool:
    return any(
        len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in (1, 2, 3)
    )


def weakness(pin: str) -> str | None:
    """Say why a well-formed PIN is weak, or return None when it is acceptable."""
    if len(set(pin)) == 1:
        return "repeats one digit"
    if _is_run(pin):
        return "is a run of consecutive digits"
    if _is_repeated_block(pin):
        return "repeats a short pattern"
    if pin in COMMON_PINS:
        return "is one of the most common PINs"
    return None


def check_pin_policy(pin: str) -> str:
    """Return the normalised PIN, or raise InvalidInput (the message never contains it)."""
    value = normalise_pin(pin)
    if not _PIN.fullmatch(value):
        raise InvalidInput(f"A PIN must be {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} digits.")
    reason = weakness(value)
    if reason is not None:
        raise InvalidInput(f"That PIN is too easy to guess: it {reason}. Choose another.")
    return value


def _keyed(pin: str, secrets: Secrets) -> str:
    digest = hmac.new(secrets.pin_pepper.encode(), pin.encode(), hashlib.sha256)
    return digest.hexdigest()


def hash_pin(pin: str, secrets: Secrets) -> str:
    """Check the policy, then return argon2id(HMAC-SHA256(pepper, pin)).

    Raises:
        InvalidInput: when the PIN is malformed or weak.
    """
    return current_hasher().hash(_keyed(check_pin_policy(pin), secrets))


def pin_matches(encoded: str | None, pin: str, secrets: Secrets) -> bool:
    """True when ``pin`` matches the stored hash; always spends one verification's time."""
    hasher = current_hasher()
    value = normalise_pin(pin)
    if encoded is None or not _PIN.fullmatch(value):
        hasher.dummy_verify()
        return False
    return hasher.verify(encoded, _keyed(value, secrets))


def pin_needs_rehash(encoded: str) -> bool:
    """True when the stored PIN hash uses outdated argon2 parameters."""
    return current_hasher().needs_rehash(encoded)
