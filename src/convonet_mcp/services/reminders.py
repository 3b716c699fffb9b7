"""Personal reminders: create, list, change, complete, snooze, dismiss and delete."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time, timedelta
from typing import Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from convonet_mcp.dates import parse_datetime, parse_duration
from convonet_mcp.errors import Conflict, InvalidInput, NotFound
from convonet_mcp.models import Priority, Reminder, User, utcnow
from convonet_mcp.services.access import as_uuid
from convonet_mcp.services.pagination import (
    Page,
    clamp_limit,
    decode_cursor,
    make_page,
    older_than,
)

logger = logging.getLogger("convonet.reminders")

ReminderStatus = Literal["pending", "completed", "dismissed", "all"]
DEFAULT_TIME = time(9)
_MAX_TEXT = 1000


def create_reminder(
    session: Session,
    actor: User,
    *,
    text: str,
    when: datetime | str,
    importance: Priority | str = Priority.medium,
    now: datetime | None = None,
) -> Reminder:
    """Create a reminder for the actor.

    Args:
        session: The database session.
        actor: The owner of the reminder.
        text: What to be reminded of.
        when: A datetime, ISO text or natural language ("tomorrow at 2pm"); a day with no
            time means 09:00 in the actor's timezone.
        importance: low, medium, high or urgent.
        now: The reference time for relative dates (default: the current time).

    Raises:
        InvalidInput: empty or overlong text, an unreadable date or unknown importance.
    """
    reminder = Reminder(
        owner_id=actor.id,
        reminder_text=_text(text),
        reminder_date=_when(actor, when, now),
        importance=_importance(importance),
    )
    session.add(reminder)
    session.flush()
    logger.info("reminder %s created", reminder.id)
    return reminder


def list_reminders(
    session: Session,
    actor: User,
    *,
    status: ReminderStatus = "pending",
    importance: Priority | str | None = None,
    after: datetime | str | None = None,
    before: datetime | str | None = None,
    text: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Page[Reminder]:
    """List the actor's reminders.

    Pending and all reminders come soonest first; completed and dismissed ones most
    recent first.

    Args:
        session: The database session.
        actor: The owner.
        status: pending (neither completed nor dismissed), completed, dismissed or all.
        importance: Only reminders of this importance.
        after: Only reminders due at or after this time (a bare day means its midnight).
        before: Only reminders due before this time (a bare day means its midnight).
        text: Only reminders whose text contains this, case-insensitively.
        limit: Page size, clamped to 1..200.
        cursor: The ``next_cursor`` of the previous page.
        now: The reference time for relative dates (default: the current time).

    Raises:
        InvalidInput: unknown status or importance, unreadable dates, a bad cursor.
    """
    query = select(Reminder).where(Reminder.owner_id == actor.id)
    if status == "pending":
        query = query.where(Reminder.completed.is_(False), Reminder.dismissed.is_(False))
    elif status == "completed":
        query = query.where(Reminder.completed.is_(True))
    elif status == "dismissed":
        query = query.where(Reminder.dismissed.is_(True))
    elif status != "all":
        raise InvalidInput(f'Unknown status "{status}". Use pending, completed, dismissed or all.')
    if importance is not None:
        query = query.where(Reminder.importance == _importance(importance))
    if after is not None:
        query = query.where(
            Reminder.reminder_date >= _when(actor, after, now, field="after", default_time=time(0))
        )
    if before is not None:
        query = query.where(
            Reminder.reminder_date < _when(actor, before, now, field="before", default_time=time(0))
        )
    if text and text.strip():
        needle = text.strip().lower()
        query = query.where(func.lower(Reminder.reminder_text).contains(needle, autoescape=True))
    newest_first = status in ("completed", "dismissed")
    key = decode_cursor(cursor)
    if key is not None and newest_first:
        query = query.where(older_than(Reminder.reminder_date, Reminder.id, key))
    elif key is not None:
        query = query.where(
            or_(
                Reminder.reminder_date > key.created_at,
                and_(Reminder.reminder_date == key.created_at, Reminder.id > key.id),
            )
        )
    if newest_first:
        query = query.order_by(Reminder.reminder_date.desc(), Reminder.id.desc())
    else:
        query = query.order_by(Reminder.reminder_date, Reminder.id)
    size = clamp_limit(limit)
    rows = session.scalars(query.limit(size + 1)).all()
    return make_page(rows, size, lambda r: (r.reminder_date, r.id))


def get_reminder(session: Session, actor: User, *, reminder_id: uuid.UUID | str) -> Reminder:
    """Return one of the actor's reminders.

    Raises:
        NotFound: no such reminder, or it belongs to someone else.
    """
    found = session.get(Reminder, as_uuid(reminder_id, "reminder"))
    if found is None or found.owner_id != actor.id:
        raise NotFound(f'No reminder with id "{reminder_id}".')
    return found


def update_reminder(
    session: Session,
    actor: User,
    *,
    reminder_id: uuid.UUID | str,
    text: str | None = None,
    when: datetime | str | None = None,
    importance: Priority | str | None = None,
    now: datetime | None = None,
) -> Reminder:
    """Change a reminder's text, time or importance.

    Raises:
        NotFound: not one of the actor's reminders.
        InvalidInput: nothing to change, or a bad value.
    """
    reminder = get_reminder(session, actor, reminder_id=reminder_id)
    if text is None and when is None and importance is None:
        raise InvalidInput("Say what to change: the text, the time or the importance.")
    if text is not None:
        reminder.reminder_text = _text(text)
    if when is not None:
        reminder.reminder_date = _when(actor, when, now)
    if importance is not None:
        reminder.importance = _importance(importance)
    session.flush()
    return reminder


def complete_reminder(session: Session, actor: User, *, reminder_id: uuid.UUID | str) -> Reminder:
    """Mark a reminder done; completing it again changes nothing.

    Raises:
        NotFound: not one of the actor's reminders.
    """
    reminder = get_reminder(session, actor, reminder_id=reminder_id)
    if not reminder.completed:
        reminder.completed = True
        reminder.completed_at = utcnow()
        session.flush()
    return reminder


def dismiss_reminder(session: Session, actor: User, *, reminder_id: uuid.UUID | str) -> Reminder:
    """Silence a reminder without completing it; dismissing it again changes nothing.

    Raises:
        NotFound: not one of the actor's reminders.
    """
    reminder = get_reminder(session, actor, reminder_id=reminder_id)
    if not reminder.dismissed:
        reminder.dismissed = True
        session.flush()
    return reminder


def snooze_reminder(
    session: Session,
    actor: User,
    *,
    reminder_id: uuid.UUID | str,
    duration: str | int | timedelta = "10 minutes",
    until: datetime | str | None = None,
    now: datetime | None = None,
) -> Reminder:
    """Push a reminder later, by ``duration`` from now (or from its time if later), or to ``until``.

    A dismissed reminder that is snoozed becomes pending again.

    Raises:
        NotFound: not one of the actor's reminders.
        Conflict: the reminder is already completed.
        InvalidInput: a bad duration (1 minute to 24 hours), or ``until`` not in the future.
    """
    reminder = get_reminder(session, actor, reminder_id=reminder_id)
    if reminder.completed:
        raise Conflict("That reminder is already completed; reopen it by changing its time.")
    ref = now or utcnow()
    if until is not None:
        target = _when(actor, until, ref, field="snooze time")
        if target <= ref:
            raise InvalidInput("Snooze until a time in the future.")
    else:
        target = max(ref, reminder.reminder_date) + _duration(duration)
    reminder.reminder_date = target
    reminder.dismissed = False
    session.flush()
    return reminder


def delete_reminder(session: Session, actor: User, *, reminder_id: uuid.UUID | str) -> Reminder:
    """Delete one of the actor's reminders and return it.

    Raises:
        NotFound: not one of the actor's reminders.
    """
    reminder = get_reminder(session, actor, reminder_id=reminder_id)
    session.delete(reminder)
    session.flush()
    logger.info("reminder %s deleted", reminder.id)
    return reminder


def _text(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput("Say what the reminder is about.")
    if len(cleaned) > _MAX_TEXT:
        raise InvalidInput(f"A reminder must be at most {_MAX_TEXT} characters.")
    return cleaned


def _when(
    actor: User,
    value: datetime | str,
    now: datetime | None,
    *,
    field: str = "reminder time",
    default_time: time = DEFAULT_TIME,
) -> datetime:
    return parse_datetime(value, actor.timezone, now=now, default_time=default_time, field=field)


def _importance(value: Priority | str) -> Priority:
    try:
        return Priority(str(value).strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            f'Unknown importance "{value}". Use low, medium, high or urgent.'
        ) from exc


def _duration(value: str | int | timedelta) -> timedelta:
    if not isinstance(value, timedelta):
        return parse_duration(value)
    if not timedelta(minutes=1) <= value <= timedelta(hours=24):
        raise InvalidInput("The duration must be between 1 minute and 24 hours.")
    return value
