"""Finding people the actor works with, and the actor's own profile."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from convonet_mcp.errors import InvalidInput
from convonet_mcp.models import (
    CalendarEvent,
    Reminder,
    Role,
    Team,
    TeamMembership,
    Todo,
    User,
    utcnow,
)
from convonet_mcp.services.access import teammate_ids
from convonet_mcp.services.agenda import events_visible_to
from convonet_mcp.services.todo_lists import visible_to as todos_visible_to

logger = logging.getLogger("convonet.people")

_MAX_LIMIT = 100


@dataclass(frozen=True)
class TeamRole:
    """One of the actor's teams and their role in it."""

    team: Team
    role: Role


@dataclass(frozen=True)
class Profile:
    """The actor, their teams, and how much is on their plate."""

    user: User
    teams: list[TeamRole]
    open_todos: int
    pending_reminders: int
    upcoming_events: int


def search_users(session: Session, actor: User, *, query: str, limit: int = 20) -> list[User]:
    """Find people by part of their name, username or email.

    Only people who share an active team with the actor are searched; an exact email
    address also finds any active account (that is how people are invited). Callers
    must expose only non-sensitive fields of the users returned.

    Args:
        session: The database session.
        actor: The person searching.
        query: A name, username, email or part of one.
        limit: At most this many people (clamped to 1..100).

    Raises:
        InvalidInput: the query is empty.
    """
    text = query.strip().lower()
    if not text:
        raise InvalidInput("Say who to look for: a name or an email address.")
    size = max(1, min(limit, _MAX_LIMIT))
    mates = teammate_ids(actor.id)
    fields = (
        func.lower(User.first_name + " " + User.last_name),
        func.lower(User.username),
        User.email,
    )
    found = list(
        session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.id.in_(mates),
                or_(*(f.contains(text, autoescape=True) for f in fields)),
            )
            .order_by(User.first_name, User.last_name, User.email)
            .limit(size)
        )
    )
    if "@" in text and all(u.email != text for u in found):
        exact = session.scalar(select(User).where(User.email == text, User.is_active.is_(True)))
        if exact is not None:
            found = [exact, *found][:size]
    return found


def get_profile(session: Session, actor: User, *, now: datetime | None = None) -> Profile:
    """Describe the actor: their teams with roles, and counts of what is on their plate.

    ``open_todos`` counts visible open todos the actor created or is assigned;
    ``pending_reminders`` their reminders neither completed nor dismissed;
    ``upcoming_events`` visible events that have not ended yet.
    """
    ref = now or utcnow()
    rows = session.execute(
        select(Team, TeamMembership.role)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == actor.id, Team.is_active.is_(True))
        .order_by(func.lower(Team.name), Team.id)
    )
    teams = [TeamRole(team=team, role=role) for team, role in rows]
    open_todos = session.scalar(
        select(func.count(Todo.id)).where(
            todos_visible_to(actor),
            Todo.completed.is_(False),
            or_(Todo.creator_id == actor.id, Todo.assignee_id == actor.id),
        )
    )
    pending = session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.owner_id == actor.id,
            Reminder.completed.is_(False),
            Reminder.dismissed.is_(False),
        )
    )
    upcoming = session.scalar(
        select(func.count(CalendarEvent.id)).where(
            events_visible_to(actor), CalendarEvent.event_to > ref
        )
    )
    return Profile(
        user=actor,
        teams=teams,
        open_todos=open_todos or 0,
        pending_reminders=pending or 0,
        upcoming_events=upcoming or 0,
    )
