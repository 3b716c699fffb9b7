"""People tools: find teammates, and the user's own profile."""

from __future__ import annotations

from typing import Annotated

from fastmcp import FastMCP
from pydantic import Field
from sqlalchemy.orm import Session

from convonet_mcp.models import User
from convonet_mcp.services import people
from convonet_mcp.tools._kit import Registrar, Runtime
from convonet_mcp.tools.schemas import PersonOut, Result, TeamOut


class PeopleList(Result):
    people: list[PersonOut]


class Profile(Result):
    me: PersonOut
    timezone: str
    phone_number: str | None
    has_voice_pin: bool
    teams: list[TeamOut]
    open_todos: int
    pending_reminders: int
    upcoming_events: int


def register(mcp: FastMCP, rt: Runtime) -> None:
    """Add the two people tools."""
    tool = Registrar(mcp, rt, "people")

    @tool("read", "Find people")
    def search_users(
        query: Annotated[
            str, Field(min_length=1, max_length=254, description="Name, username or email.")
        ],
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> PeopleList:
        """Find people in the user's teams by name, or anyone by their exact email address."""

        def act(s: Session, a: User) -> PeopleList:
            found = [PersonOut.of(u) for u in people.search_users(s, a, query=query, limit=limit)]
            listed = ", ".join(f"{p.name} ({p.email})" for p in found[:5])
            summary = f"Found {len(found)}: {listed}." if found else f'Nobody matches "{query}".'
            return PeopleList(summary=summary, people=found)

        return rt.run(act)

    @tool("read", "My profile")
    def get_my_profile() -> Profile:
        """Who the user is: name, email, timezone, teams and roles, and what is open."""

        def act(s: Session, a: User) -> Profile:
            found = people.get_profile(s, a)
            user = found.user
            teams = [TeamOut.of(tr.team, tr.role) for tr in found.teams]
            summary = (
                f"You are {user.full_name}, in the {user.timezone} timezone, with "
                f"{found.open_todos} open todos and {found.pending_reminders} pending reminders."
            )
            return Profile(
                summary=summary,
                me=PersonOut.of(user),
                timezone=user.timezone,
                phone_number=user.phone_number,
                has_voice_pin=user.voice_pin_hash is not None,
                teams=teams,
                open_todos=found.open_todos,
                pending_reminders=found.pending_reminders,
                upcoming_events=found.upcoming_events,
            )

        return rt.run(act)
