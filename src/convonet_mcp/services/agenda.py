"""One day at a glance: open todos due, pending reminders and events, in the actor's timezone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from convonet_mcp.dates import day_bounds, parse_day
from convonet_mcp.models import CalendarEvent, Reminder, Team, TeamMembership, Todo, User
from convonet_mcp.services.calendar import overlapping

logger = logging.getLogger("convonet.agenda")


@dataclass(frozen=True)
class Agenda:
    """What a day holds for the actor; ``start``/``end`` are the day's UTC bounds."""

    day: date
    start: datetime
    end: datetime
    todos: list[Todo]
    reminders: list[Reminder]
    events: list[CalendarEvent]


def todos_visible_to(actor: User) -> ColumnElement[bool]:
    """The todos the actor may see.

    Their personal todos, and todos of their active teams except private ones they
    neither created nor were assigned.
    """
    my_teams = (
        select(TeamMembership.team_id)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.user_id == actor.id, Team.is_active.is_(True))
    )
    return or_(
        and_(Todo.team_id.is_(None), Todo.creator_id == actor.id),
        and_(
            Todo.team_id.in_(my_teams),
            or_(
                Todo.is_private.is_(False),
                Todo.creator_id == actor.id,
                Todo.assignee_id == actor.id,
            ),
        ),
    )


def get_agenda(
    session: Session,
    actor: User,
    *,
    day: date | str | None = None,
    now: datetime | None = None,
) -> Agenda:
    """Gather one day of the actor's todos, reminders and events.

    Args:
        session: The database session.
        actor: The person asking; the day is lived in their timezone.
        day: "today", "tomorrow", "friday", an ISO date or a date (default: today).
        now: The reference time for relative days (default: the current time).

    Returns:
        Open todos due that day (personal and visible team todos), the actor's pending
        reminders that day and the visible events overlapping it, each earliest first.

    Raises:
        InvalidInput: the day cannot be understood.
    """
    the_day = parse_day(day, actor.timezone, now=now)
    start, end = day_bounds(the_day, actor.timezone)
    todos = session.scalars(
        select(Todo)
        .where(
            todos_visible_to(actor),
            Todo.completed.is_(False),
            Todo.due_date >= start,
            Todo.due_date < end,
        )
        .order_by(Todo.due_date, Todo.id)
    )
    reminders = session.scalars(
        select(Reminder)
        .where(
            Reminder.owner_id == actor.id,
            Reminder.completed.is_(False),
            Reminder.dismissed.is_(False),
            Reminder.reminder_date >= start,
            Reminder.reminder_date < end,
        )
        .order_by(Reminder.reminder_date, Reminder.id)
    )
    return Agenda(
        day=the_day,
        start=start,
        end=end,
        todos=list(todos),
        reminders=list(reminders),
        events=overlapping(session, actor, start, end),
    )
