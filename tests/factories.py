"""Types of the factory fixtures in conftest.py, importable by test modules."""

from __future__ import annotations

from collections.abc import Callable

from convonet_mcp.models import Team, User

MakeUser = Callable[..., User]
MakeTeam = Callable[..., Team]
