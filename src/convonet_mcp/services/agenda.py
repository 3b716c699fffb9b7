"""What the actor can see over time: visibility, overlaps, free gaps and a day's agenda."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from convonet_mcp.dates import day_bounds, parse_datetime, parse_day, zone
from convonet_mcp.errors import InvalidInput
from convonet_mcp.models import CalendarEvent, Reminder, Todo, User
from convonet_mcp.services.access import active_team_ids
from convonet_mcp.services.todo_lists import due_between

logger = logging.getLogger("convonet.agenda")

END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class Agenda:
    """What a day holds for the actor; ``start``/``end`` are the day's UTC bounds."""

    day: date
    start: datetime
    end: datetime
    todos: list[Todo]
    reminders: list[Reminder]
    events: list[CalendarEvent]


def events_visible_to(actor: User) -> ColumnElement[bool]:
    """The events the actor may see: their personal ones and those of their active teams."""
    my_teams = active_team_ids(actor.id)
    return or_(
        and_(CalendarEvent.team_id.is_(None), CalendarEvent.owner_id == actor.id),
        CalendarEvent.team_id.in_(my_teams),
    )


def overlapping(
    session: Session,
    actor: User,
    start: datetime,
    end: datetime,
    *,
    exclude: uuid.UUID | None = None,
) -> list[CalendarEvent]:
    """Return the actor's visible events that overlap ``[start, end)``, earliest first."""
    query = (
        select(CalendarEvent)
        .where(
            events_visible_to(actor), CalendarEvent.event_from < end, CalendarEvent.event_to > start
        )
        .order_by(CalendarEvent.event_from, CalendarEvent.id)
    )
    if exclude is not None:
        query = query.where(CalendarEvent.id != exclude)
    return list(session.scalars(query))


def free_gaps(
    lo: datetime, hi: datetime, busy: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The stretches of ``[lo, hi)`` not covered by ``busy`` (sorted by start)."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor = lo
    for b_from, b_to in busy:
        if cursor >= hi or b_from >= hi:
            break
        if b_from > cursor:
            gaps.append((cursor, b_from))
        cursor = max(cursor, b_to)
    if cursor < hi:
        gaps.append((cursor, hi))
    return gaps


def search_window(
    within: str | None,
    start: datetime | str | None,
    end: datetime | str | None,
    tz: str,
    ref: datetime,
) -> tuple[datetime, datetime]:
    """The UTC window a free-time search covers: a phrase, explicit bounds, or 7 days."""
    if within is not None and (start is not None or end is not None):
        raise InvalidInput("Give either a window like 'tomorrow' or a start and end, not both.")
    if start is not None or end is not None:
        lower = ref
        if start is not None:
            lower = parse_datetime(start, tz, now=ref, default_time=time(0), field="start")
        if end is None:
            return lower, lower + timedelta(days=7)
        upper = parse_end(end, tz, lower, ref, END_OF_DAY)
        if upper <= lower:
            raise InvalidInput("The end must be after the start.")
        return lower, upper
    if within is None:
        return ref, ref + timedelta(days=7)
    key = " ".join(within.lower().split())
    today = ref.astimezone(zone(tz)).date()
    if key == "this week":
        first, last = today, today + timedelta(days=6 - today.weekday())
    elif key == "next week":
        first = today + timedelta(days=7 - today.weekday())
        last = first + timedelta(days=6)
    else:
        first = last = parse_day(within, tz, now=ref)
    return day_bounds(first, tz)[0], day_bounds(last, tz)[1]


def round_up(moment: datetime, minutes: int = 15) -> datetime:
    """Round up to the next multiple of ``minutes`` past the hour."""
    step = timedelta(minutes=minutes)
    floor = moment.replace(second=0, microsecond=0)
    floor -= timedelta(minutes=floor.minute % minutes)
    return floor if floor == moment else floor + step


def parse_clock(value: time | str, field: str) -> time:
    """A time of day from a ``time`` or text like "09:00"; InvalidInput otherwise."""
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(f'The {field} "{value}" must look like 09:00.') from exc


def parse_end(
    value: datetime | str, tz: str, begin: datetime, now: datetime, default: time | None = None
) -> datetime:
    """Read an end time like the start; a bare "3pm" before the start means that day's 3pm."""
    finish = parse_datetime(value, tz, now=now, default_time=default, field="end")
    if finish <= begin and isinstance(value, str):
        again = parse_datetime(value, tz, now=begin, default_time=default, field="end")
        zinfo = zone(tz)
        if again.astimezone(zinfo).date() == begin.astimezone(zinfo).date():
            return again
    return finish


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
    todos = due_between(session, actor, start, end)
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
        todos=todos,
        reminders=list(reminders),
        events=overlapping(session, actor, start, end),
    )
