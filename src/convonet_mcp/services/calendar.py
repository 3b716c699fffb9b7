"""Calendar events, personal and team, with overlap warnings and free-time search."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from convonet_mcp.dates import parse_datetime, parse_duration, zone
from convonet_mcp.errors import Forbidden, InvalidInput, NotFound
from convonet_mcp.models import CalendarEvent, Role, User, utcnow
from convonet_mcp.services.access import as_uuid, require_role, resolve_team, role_in
from convonet_mcp.services.agenda import (
    END_OF_DAY,
    events_visible_to,
    free_gaps,
    overlapping,
    parse_clock,
    parse_end,
    round_up,
    search_window,
)
from convonet_mcp.services.pagination import Page, clamp_limit, decode_cursor, make_page

logger = logging.getLogger("convonet.calendar")

DEFAULT_DURATION = timedelta(hours=1)
DEFAULT_START_TIME = time(9)
WORKING_HOURS = (time(9), time(17))
_MAX_WINDOW = timedelta(days=31)
_MAX_TEXT = 500


@dataclass(frozen=True)
class EventResult:
    """An event that was saved, plus the actor's events it overlaps (warnings, not errors)."""

    event: CalendarEvent
    overlaps: list[CalendarEvent]


@dataclass(frozen=True)
class FreeTimeResult:
    """Free stretches of at least the asked duration, and the events inside the window."""

    slots: list[tuple[datetime, datetime]]
    conflicts: list[CalendarEvent]


def create_event(
    session: Session,
    actor: User,
    *,
    title: str,
    start: datetime | str,
    end: datetime | str | None = None,
    duration: str | int | timedelta | None = None,
    description: str = "",
    location: str = "",
    team: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> EventResult:
    """Create a personal event, or a team event when ``team`` is given.

    Args:
        session: The database session.
        actor: The person creating the event.
        title: What the event is.
        start: When it starts; a day without a time means 09:00 in the actor's timezone.
        end: When it ends; give this or ``duration``, not both.
        duration: How long it lasts, 1 minute to 24 hours (default 1 hour).
        description: Free text.
        location: Where it happens.
        team: A team name or id; the actor must be a member or higher there.
        now: The reference time for relative dates (default: the current time).

    Raises:
        InvalidInput: a malformed date or duration, the end not after the start, empty title.
        NotFound: the team is not one of the actor's.
        Forbidden: the actor is only a viewer of the team.
    """
    team_id = None
    if team is not None:
        team_id = resolve_team(session, actor, team).id
        require_role(session, actor, team_id, Role.member)
    event_from, event_to = _span(actor, start, end, duration, now)
    event = CalendarEvent(
        owner_id=actor.id,
        team_id=team_id,
        title=_text(title, "title", required=True),
        description=description.strip(),
        location=_text(location, "location"),
        event_from=event_from,
        event_to=event_to,
    )
    session.add(event)
    session.flush()
    logger.info("event %s created", event.id)
    return EventResult(event, overlapping(session, actor, event_from, event_to, exclude=event.id))


def list_events(
    session: Session,
    actor: User,
    *,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    team: uuid.UUID | str | None = None,
    text: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Page[CalendarEvent]:
    """List visible events that end after ``start`` (default: now), earliest first.

    Args:
        session: The database session.
        actor: The person asking.
        start: Only events still running at or after this time; a bare day means midnight.
        end: Only events starting before this time; a bare day means the end of that day.
        team: Only this team's events (name or id).
        text: Only events whose title, description or location contains this.
        limit: Page size, clamped to 1..200.
        cursor: The ``next_cursor`` of the previous page.
        now: The reference time for relative dates (default: the current time).

    Raises:
        InvalidInput: malformed dates, the end not after the start, a bad cursor or limit.
        NotFound: the team is not one of the actor's.
    """
    tz, ref = actor.timezone, now or utcnow()
    lower = ref if start is None else parse_datetime(start, tz, now=ref, default_time=time(0))
    query = select(CalendarEvent).where(events_visible_to(actor), CalendarEvent.event_to > lower)
    if end is not None:
        upper = parse_datetime(end, tz, now=ref, default_time=END_OF_DAY, field="end")
        if upper <= lower:
            raise InvalidInput("The end must be after the start.")
        query = query.where(CalendarEvent.event_from < upper)
    if team is not None:
        query = query.where(CalendarEvent.team_id == resolve_team(session, actor, team).id)
    if text and text.strip():
        needle = text.strip().lower()
        query = query.where(
            or_(
                func.lower(CalendarEvent.title).contains(needle, autoescape=True),
                func.lower(CalendarEvent.description).contains(needle, autoescape=True),
                func.lower(CalendarEvent.location).contains(needle, autoescape=True),
            )
        )
    key = decode_cursor(cursor)
    if key is not None:
        query = query.where(
            or_(
                CalendarEvent.event_from > key.created_at,
                and_(CalendarEvent.event_from == key.created_at, CalendarEvent.id > key.id),
            )
        )
    size = clamp_limit(limit)
    rows = session.scalars(
        query.order_by(CalendarEvent.event_from, CalendarEvent.id).limit(size + 1)
    ).all()
    return make_page(rows, size, lambda e: (e.event_from, e.id))


def get_event(session: Session, actor: User, *, event_id: uuid.UUID | str) -> CalendarEvent:
    """Return one event the actor may see.

    Raises:
        NotFound: no such event, or it is someone else's or a team's the actor is not in.
    """
    found = session.scalar(
        select(CalendarEvent).where(
            CalendarEvent.id == as_uuid(event_id, "event"), events_visible_to(actor)
        )
    )
    if found is None:
        raise NotFound(f'No event with id "{event_id}".')
    return found


def update_event(
    session: Session,
    actor: User,
    *,
    event_id: uuid.UUID | str,
    title: str | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    duration: str | int | timedelta | None = None,
    description: str | None = None,
    location: str | None = None,
    now: datetime | None = None,
) -> EventResult:
    """Change an event; a new start without an end or duration keeps its length.

    Raises:
        NotFound: the actor cannot see the event.
        Forbidden: a team event that is neither the actor's nor theirs to admin.
        InvalidInput: nothing to change, malformed dates, the end not after the start.
    """
    event = _editable(session, actor, event_id)
    if all(v is None for v in (title, start, end, duration, description, location)):
        raise InvalidInput("Say what to change: title, time, description or location.")
    if start is not None or end is not None or duration is not None:
        new_from = event.event_from
        if start is not None:
            new_from = parse_datetime(
                start, actor.timezone, now=now, default_time=DEFAULT_START_TIME, field="start"
            )
        if end is None and duration is None:
            length = event.event_to - event.event_from
            event.event_from, event.event_to = new_from, new_from + length
        else:
            event.event_from, event.event_to = _span(actor, new_from, end, duration, now)
    if title is not None:
        event.title = _text(title, "title", required=True)
    if description is not None:
        event.description = description.strip()
    if location is not None:
        event.location = _text(location, "location")
    session.flush()
    overlaps = overlapping(session, actor, event.event_from, event.event_to, exclude=event.id)
    return EventResult(event, overlaps)


def delete_event(session: Session, actor: User, *, event_id: uuid.UUID | str) -> CalendarEvent:
    """Delete an event and return it.

    Raises:
        NotFound: the actor cannot see the event.
        Forbidden: a team event that is neither the actor's nor theirs to admin.
    """
    event = _editable(session, actor, event_id)
    session.delete(event)
    session.flush()
    logger.info("event %s deleted", event.id)
    return event


def find_free_time(
    session: Session,
    actor: User,
    *,
    duration: str | int | timedelta,
    within: str | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    working_hours: tuple[time | str, time | str] = WORKING_HOURS,
    limit: int = 5,
    now: datetime | None = None,
) -> FreeTimeResult:
    """Find free stretches of at least ``duration`` inside working hours.

    Args:
        session: The database session.
        actor: The person whose calendar (own and team events) is searched.
        duration: The length needed, 1 minute to 24 hours.
        within: "today", "tomorrow", "this week", "next week", "next Friday", an ISO date.
        start: Explicit window start (instead of ``within``).
        end: Explicit window end (instead of ``within``); a bare day means its end.
        working_hours: Daily (from, to) in the actor's timezone; default 09:00-17:00.
        limit: At most this many slots (1..50).
        now: The current time (default: the clock); nothing before it is offered.

    Returns:
        Free (start, end) stretches, earliest first, and the events inside the window.

    Raises:
        InvalidInput: malformed arguments, or a window that is over or longer than 31 days.
    """
    need = _duration(duration)
    if not 1 <= limit <= 50:
        raise InvalidInput("The limit must be between 1 and 50.")
    day_from, day_to = (parse_clock(v, "working hours") for v in working_hours)
    if day_to <= day_from:
        raise InvalidInput("Working hours must end after they start.")
    tz, ref = actor.timezone, now or utcnow()
    lower, upper = search_window(within, start, end, tz, ref)
    lower = max(lower, round_up(ref))
    if upper <= lower:
        raise InvalidInput("That time window is already over.")
    if upper - lower > _MAX_WINDOW:
        raise InvalidInput("Search at most 31 days at a time.")
    conflicts = overlapping(session, actor, lower, upper)
    busy = sorted((e.event_from, e.event_to) for e in conflicts)
    slots: list[tuple[datetime, datetime]] = []
    zinfo = zone(tz)
    day = lower.astimezone(zinfo).date()
    while day <= upper.astimezone(zinfo).date() and len(slots) < limit:
        lo = max(lower, datetime.combine(day, day_from, zinfo))
        hi = min(upper, datetime.combine(day, day_to, zinfo))
        slots.extend(gap for gap in free_gaps(lo, hi, busy) if gap[1] - gap[0] >= need)
        day += timedelta(days=1)
    return FreeTimeResult(slots[:limit], conflicts)


def _span(
    actor: User,
    start: datetime | str,
    end: datetime | str | None,
    duration: str | int | timedelta | None,
    now: datetime | None,
) -> tuple[datetime, datetime]:
    tz = actor.timezone
    begin = parse_datetime(start, tz, now=now, default_time=DEFAULT_START_TIME, field="start")
    if end is not None and duration is not None:
        raise InvalidInput("Give an end or a duration, not both.")
    if end is not None:
        finish = parse_end(end, tz, begin, now or utcnow())
    else:
        finish = begin + (DEFAULT_DURATION if duration is None else _duration(duration))
    if finish <= begin:
        raise InvalidInput("The end must be after the start.")
    return begin, finish


def _duration(value: str | int | timedelta) -> timedelta:
    if not isinstance(value, timedelta):
        return parse_duration(value)
    if not timedelta(minutes=1) <= value <= timedelta(hours=24):
        raise InvalidInput("The duration must be between 1 minute and 24 hours.")
    return value


def _text(value: str, field: str, *, required: bool = False) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput(f"The {field} cannot be empty.")
    if len(cleaned) > _MAX_TEXT:
        raise InvalidInput(f"The {field} must be at most {_MAX_TEXT} characters.")
    return cleaned


def _editable(session: Session, actor: User, event_id: uuid.UUID | str) -> CalendarEvent:
    event = get_event(session, actor, event_id=event_id)
    if event.team_id is None or event.owner_id == actor.id:
        return event
    role = role_in(session, event.team_id, actor.id)
    if role is None or role.rank < Role.admin.rank:
        raise Forbidden("Only the event's creator or a team admin can change it.")
    return event
