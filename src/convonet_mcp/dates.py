"""Dates from ISO 8601 or natural language, resolved in the acting user's timezone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.date import DateDataParser

from convonet_mcp.errors import InvalidInput

_TIME_WORDS = re.compile(
    r"\d\s*(am|pm|a\.m\.|p\.m\.)\b|\d{1,2}:\d{2}|\bnoon\b|\bmidnight\b|\bmorning\b|"
    r"\bafternoon\b|\bevening\b|\btonight\b|\bnow\b|T\d{2}|"
    r"\bin\s+\w+\s+(minute|minutes|hour|hours|min|mins)\b|\b(minute|hour)s?\s+(ago|from now)\b",
    re.IGNORECASE,
)
_ELAPSED = re.compile(
    r"\b(in|after)\b.*\b(sec|second|min|minute|hr|hour)s?\b|"
    r"\b(sec|second|min|minute|hr|hour)s?\b.*\b(ago|from now|later)\b",
    re.IGNORECASE,
)
_MAX_TEXT = 200


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise InvalidInput."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f'"{name}" is not a known IANA timezone (e.g. "Europe/London").'
        ) from exc


def now_in(tz: str) -> datetime:
    """Return the current time in the zone ``tz``."""
    return datetime.now(UTC).astimezone(zone(tz))


def _parser(tz: str, base: datetime) -> DateDataParser:
    return DateDataParser(
        languages=["en"],
        settings={
            "TIMEZONE": tz,
            # No TO_TIMEZONE: dateparser's relative arithmetic keeps the base's UTC offset
            # across a DST change, so parse_datetime re-reads its wall clock in ``tz``.
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base.astimezone(zone(tz)).replace(tzinfo=None),
        },
    )


def parse_datetime(
    value: datetime | str,
    tz: str,
    *,
    now: datetime | None = None,
    default_time: time | None = None,
    field: str = "date",
) -> datetime:
    """Parse ``value`` into an aware UTC datetime.

    Args:
        value: An aware or naive datetime, an ISO 8601 string, or natural language such
            as "tomorrow at 2pm" or "next Friday".
        tz: The IANA timezone that naive and natural-language values are read in.
        now: The reference time for relative phrases (default: the current time).
        default_time: Time of day used when the text names a day but no time.
        field: The argument's name, used in the error message.

    Raises:
        InvalidInput: when the value cannot be understood.
    """
    zinfo = zone(tz)
    if isinstance(value, datetime):
        parsed = value if value.tzinfo else value.replace(tzinfo=zinfo)
        return parsed.astimezone(UTC)
    text = value.strip()
    if not text or len(text) > _MAX_TEXT:
        raise InvalidInput(f"The {field} is empty or too long.")
    try:
        iso = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        iso = None
    if iso is not None:
        if iso.tzinfo is None:
            iso = iso.replace(tzinfo=zinfo)
            if default_time is not None and len(text) <= 10:
                iso = datetime.combine(iso.date(), default_time, zinfo)
        return iso.astimezone(UTC)
    base = now or datetime.now(UTC)
    found = _parser(tz, base).get_date_data(text).date_obj
    if found is None:
        raise InvalidInput(
            f'I could not understand the {field} "{text}". Try "tomorrow at 2pm", '
            '"next Friday" or an ISO date like 2026-03-01T14:00.'
        )
    if getattr(found.tzinfo, "zone", None) != tz:  # the text named another zone
        found = found.astimezone(zinfo)
    elif _ELAPSED.search(text):  # "in 3 hours": elapsed time, not wall-clock time
        wall = found.replace(tzinfo=None) - base.astimezone(zinfo).replace(tzinfo=None)
        found = (base.astimezone(UTC) + wall).astimezone(zinfo)
    else:
        found = found.replace(tzinfo=None).replace(tzinfo=zinfo)
    if default_time is not None and not _TIME_WORDS.search(text):
        found = datetime.combine(found.date(), default_time, zinfo)
    return found.astimezone(UTC)


def parse_day(value: date | str | None, tz: str, *, now: datetime | None = None) -> date:
    """Parse a day ("today", "friday", "2026-03-01") in the zone ``tz``; None means today."""
    if value is None:
        return (now or datetime.now(UTC)).astimezone(zone(tz)).date()
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    moment = parse_datetime(value, tz, now=now, default_time=time(12), field="day")
    return moment.astimezone(zone(tz)).date()


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC start and end of ``day`` as lived in ``tz``."""
    zinfo = zone(tz)
    start = datetime.combine(day, time(0), zinfo)
    end = datetime.combine(day + timedelta(days=1), time(0), zinfo)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_duration(value: str | int, *, field: str = "duration") -> timedelta:
    """Parse "30 minutes", "1h", "1.5 hours", "90" (minutes) into a positive timedelta."""
    if isinstance(value, int):
        minutes = float(value)
    else:
        text = value.strip().lower()
        match = re.fullmatch(
            r"(\d+(?:\.\d+)?)\s*(m|min|mins|minute|minutes|h|hr|hrs|hour|hours)?", text
        )
        if text in {"an hour", "one hour", "hour"}:
            minutes = 60.0
        elif text in {"half an hour", "half hour"}:
            minutes = 30.0
        elif match is None:
            raise InvalidInput(
                f'I could not understand the {field} "{value}". Try "30 minutes" or "1 hour".'
            )
        else:
            amount = float(match.group(1))
            unit = match.group(2) or "m"
            minutes = amount * 60 if unit.startswith("h") else amount
    if not 1 <= minutes <= 24 * 60:
        raise InvalidInput(f"The {field} must be between 1 minute and 24 hours.")
    return timedelta(minutes=minutes)
