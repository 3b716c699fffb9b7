"""Helpers importable by test modules: factory fixture types and test-sized hashing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher

from convonet_mcp.auth.passwords import configure_hashing, restore_hashing
from convonet_mcp.models import Team, User

MakeUser = Callable[..., User]
MakeTeam = Callable[..., Team]


@contextmanager
def cheap_hashing() -> Iterator[None]:
    """Real argon2id with test-sized costs, so password and PIN checks are quick."""
    previous = configure_hashing(
        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    try:
        yield
    finally:
        restore_hashing(previous)
