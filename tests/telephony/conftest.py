"""Fixtures shared by the phone-line tests: cheap PIN hashing and Ann's account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import User
from factories import cheap_hashing
from twilio_helpers import ANN, add_caller


@pytest.fixture(autouse=True)
def _quick_pins() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture
def ann(factory: sessionmaker[Session], secrets: Secrets) -> User:
    """Ann, registered with the phone number ``ANN`` and the test PIN."""
    return add_caller(factory, secrets, "ann", phone=ANN)
