"""Calendar tools: events, free time, the day's agenda, and Google Calendar status."""

from __future__ import annotations

from typing import Annotated

from fastmcp import FastMCP
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from convonet_mcp.models import User
from convonet_mcp.services import agenda, calendar
from convonet_mcp.tools._kit import Registrar, Runtime
from convonet_mcp.tools.schemas import EventOut, ReminderOut, Result, TodoOut, local, spoken
from convonet_mcp.tools.todos import Cursor, Limit, When

EventId = Annotated[str, Field(description="The event's id, as returned by get_calendar_events.")]
Duration = Annotated[
    str | None, Field(description='Length instead of an end: "30 minutes", "1 hour".')
]
NOT_CONNECTED = (
    "Google Calendar is not connected for this account, so nothing was synced. "
    "Convonet's own calendar works without it."
)


class EventResult(Result):
    event: EventOut
    overlaps: list[EventOut] = Field(description="Existing events at the same time (a warning).")


class EventPage(Result):
    events: list[EventOut]
    next_cursor: str | None


class Slot(BaseModel):
    start: str
    end: str


class FreeTime(Result):
    slots: list[Slot]
    conflicts: list[EventOut] = Field(description="Events already in the searched window.")


class Agenda(Result):
    day: str
    todos: list[TodoOut]
    reminders: list[ReminderOut]
    events: list[EventOut]


class GoogleCalendarStatus(Result):
    connected: bool
    synced: int = 0


def event_result(verb: str, found: calendar.EventResult, tz: str) -> EventResult:
    """Shape an event and its overlap warnings with a spoken summary."""
    event = found.event
    summary = f'{verb} "{event.title}" on {spoken(event.event_from, tz)}.'
    if found.overlaps:
        clash = ", ".join(f'"{o.title}"' for o in found.overlaps[:3])
        summary += f" Heads up: it overlaps {clash}."
    return EventResult(
        summary=summary,
        event=EventOut.of(event, tz),
        overlaps=[EventOut.of(o, tz) for o in found.overlaps],
    )


def register(mcp: FastMCP, rt: Runtime) -> None:
    """Add the eight calendar tools."""
    tool = Registrar(mcp, rt, "calendar")

    @tool("create", "Create a calendar event")
    def create_calendar_event(
        title: Annotated[str, Field(min_length=1, max_length=500)],
        start: Annotated[str, Field(description='"next Friday at 2pm" or ISO 8601.')],
        end: When = None,
        duration: Duration = None,
        description: str = "",
        location: str = "",
        team: Annotated[str | None, Field(description="Team name or id for a team event.")] = None,
    ) -> EventResult:
        """Schedule an event ("schedule a meeting next Friday from 2 to 3 PM").

        Give an end or a duration (default one hour). Overlapping events are reported as
        a warning, not refused.
        """
        return rt.run(
            lambda s, a: event_result(
                "Scheduled",
                calendar.create_event(
                    s,
                    a,
                    title=title,
                    start=start,
                    end=end,
                    duration=duration,
                    description=description,
                    location=location,
                    team=team,
                ),
                a.timezone,
            )
        )

    @tool("read", "List calendar events")
    def get_calendar_events(
        start: When = None,
        end: When = None,
        team: Annotated[str | None, Field(description="Only this team's events.")] = None,
        text: str | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> EventPage:
        """List the user's and their teams' events in a date range (default: upcoming)."""

        def act(s: Session, a: User) -> EventPage:
            page = calendar.list_events(
                s, a, start=start, end=end, team=team, text=text, limit=limit, cursor=cursor
            )
            items = [EventOut.of(e, a.timezone) for e in page.items]
            listed = "; ".join(
                f"{e.title} on {spoken(e.event_from, a.timezone)}" for e in page.items[:5]
            )
            summary = f"{len(items)} events: {listed}." if items else "No events in that range."
            return EventPage(summary=summary, events=items, next_cursor=page.next_cursor)

        return rt.run(act)

    @tool("update", "Change a calendar event")
    def update_calendar_event(
        event_id: EventId,
        title: Annotated[str | None, Field(min_length=1, max_length=500)] = None,
        start: When = None,
        end: When = None,
        duration: Duration = None,
        description: str | None = None,
        location: str | None = None,
    ) -> EventResult:
        """Move or change an event; only the fields given change. Overlaps are reported."""
        return rt.run(
            lambda s, a: event_result(
                "Updated",
                calendar.update_event(
                    s,
                    a,
                    event_id=event_id,
                    title=title,
                    start=start,
                    end=end,
                    duration=duration,
                    description=description,
                    location=location,
                ),
                a.timezone,
            )
        )

    @tool("delete", "Delete a calendar event")
    def delete_calendar_event(event_id: EventId) -> EventResult:
        """Cancel and delete an event."""

        def act(s: Session, a: User) -> EventResult:
            event = calendar.delete_event(s, a, event_id=event_id)
            found = calendar.EventResult(event=event, overlaps=[])
            return event_result("Deleted", found, a.timezone)

        return rt.run(act)

    @tool("read", "Find free time")
    def find_free_time(
        duration: Annotated[str, Field(description='"30 minutes", "1 hour".')],
        within: Annotated[
            str | None,
            Field(description='"tomorrow", "this week", "next Friday". Default: next days.'),
        ] = None,
    ) -> FreeTime:
        """Find free slots of a given length in working hours (9 to 5, user's timezone),
        and list the events that are already booked in that window."""

        def act(s: Session, a: User) -> FreeTime:
            found = calendar.find_free_time(s, a, duration=duration, within=within)
            tz = a.timezone
            slots = [
                Slot(start=local(lo, tz) or "", end=local(hi, tz) or "") for lo, hi in found.slots
            ]
            if found.slots:
                first = ", ".join(spoken(lo, tz) for lo, _ in found.slots[:3])
                summary = f"You are free {first}."
            else:
                summary = "I found no free slot of that length in that window."
            return FreeTime(
                summary=summary,
                slots=slots,
                conflicts=[EventOut.of(e, tz) for e in found.conflicts],
            )

        return rt.run(act)

    @tool("read", "What's on a day")
    def get_agenda(
        day: Annotated[
            str | None, Field(description='"today" (default), "tomorrow", "friday", or a date.')
        ] = None,
    ) -> Agenda:
        """The user's day: todos due, reminders and events, in their timezone.

        Use for "what's on today?", "what do I have tomorrow?".
        """

        def act(s: Session, a: User) -> Agenda:
            found = agenda.get_agenda(s, a, day=day)
            tz = a.timezone
            parts = []
            if found.events:
                parts.append(
                    "events: "
                    + ", ".join(
                        f"{e.title} at {spoken(e.event_from, tz).split(' at ')[-1]}"
                        for e in found.events
                    )
                )
            if found.todos:
                parts.append("todos due: " + ", ".join(t.title for t in found.todos))
            if found.reminders:
                parts.append("reminders: " + ", ".join(r.reminder_text for r in found.reminders))
            label = found.day.strftime("%A %d %B")
            summary = (
                f"On {label} you have " + "; ".join(parts) + "."
                if parts
                else f"Nothing is planned for {label}."
            )
            return Agenda(
                summary=summary,
                day=found.day.isoformat(),
                todos=[TodoOut.of(t, tz) for t in found.todos],
                reminders=[ReminderOut.of(r, tz) for r in found.reminders],
                events=[EventOut.of(e, tz) for e in found.events],
            )

        return rt.run(act)

    @tool("external", "Sync Google Calendar")
    def sync_google_calendar_events() -> GoogleCalendarStatus:
        """Sync the user's Google Calendar with Convonet (needs a connected Google account)."""
        return rt.run(lambda s, a: GoogleCalendarStatus(summary=NOT_CONNECTED, connected=False))

    @tool("external_read", "Check Google Calendar")
    def test_google_calendar() -> GoogleCalendarStatus:
        """Check whether the user's Google Calendar is connected."""
        return rt.run(
            lambda s, a: GoogleCalendarStatus(
                summary="Google Calendar is not connected for this account.", connected=False
            )
        )
