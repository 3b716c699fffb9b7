"""Reminder tools: create, list, change, complete, snooze and delete reminders."""

from __future__ import annotations

from typing import Annotated, Literal

from fastmcp import FastMCP
from pydantic import Field

from convonet_mcp.models import Reminder
from convonet_mcp.services import reminders
from convonet_mcp.services.pagination import Page
from convonet_mcp.tools._kit import Registrar, Runtime
from convonet_mcp.tools.schemas import ReminderOut, Result, spoken
from convonet_mcp.tools.todos import Cursor, Limit, PriorityArg, When

ReminderId = Annotated[str, Field(description="The reminder's id, as returned by get_reminders.")]


class ReminderResult(Result):
    reminder: ReminderOut


class ReminderPage(Result):
    reminders: list[ReminderOut]
    next_cursor: str | None


def reminder_result(verb: str, reminder: Reminder, tz: str) -> ReminderResult:
    """Shape one reminder with a spoken summary."""
    when = spoken(reminder.reminder_date, tz)
    return ReminderResult(
        summary=f'{verb} the reminder "{reminder.reminder_text}" for {when}.',
        reminder=ReminderOut.of(reminder, tz),
    )


def reminder_page(page: Page[Reminder], tz: str) -> ReminderPage:
    """Shape a page of reminders with a spoken summary of the first few."""
    items = [ReminderOut.of(r, tz) for r in page.items]
    if not items:
        summary = "You have no reminders matching that."
    else:
        listed = "; ".join(
            f"{r.reminder_text} on {spoken(r.reminder_date, tz)}" for r in page.items[:5]
        )
        more = " and more" if len(items) > 5 or page.next_cursor else ""
        summary = f"{len(items)} reminders: {listed}{more}."
    return ReminderPage(summary=summary, reminders=items, next_cursor=page.next_cursor)


def register(mcp: FastMCP, rt: Runtime) -> None:
    """Add the six reminder tools."""
    tool = Registrar(mcp, rt, "reminders")

    @tool("create", "Create a reminder")
    def create_reminder(
        text: Annotated[str, Field(min_length=1, max_length=1000)],
        when: Annotated[
            str, Field(description='When to remind: "tomorrow at 2pm", "in 2 hours", or ISO 8601.')
        ],
        importance: PriorityArg = "medium",
    ) -> ReminderResult:
        """Set a reminder for the user ("remind me to call the dentist tomorrow at 2 PM")."""
        return rt.run(
            lambda s, a: reminder_result(
                "Set",
                reminders.create_reminder(s, a, text=text, when=when, importance=importance),
                a.timezone,
            )
        )

    @tool("read", "List reminders")
    def get_reminders(
        status: Literal["pending", "completed", "dismissed", "all"] = "pending",
        importance: PriorityArg | None = None,
        after: When = None,
        before: When = None,
        text: str | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> ReminderPage:
        """List the user's reminders, soonest first; filter by status, importance, dates, text."""
        return rt.run(
            lambda s, a: reminder_page(
                reminders.list_reminders(
                    s,
                    a,
                    status=status,
                    importance=importance,
                    after=after,
                    before=before,
                    text=text,
                    limit=limit,
                    cursor=cursor,
                ),
                a.timezone,
            )
        )

    @tool("update", "Change a reminder")
    def update_reminder(
        reminder_id: ReminderId,
        text: Annotated[str | None, Field(min_length=1, max_length=1000)] = None,
        when: When = None,
        importance: PriorityArg | None = None,
    ) -> ReminderResult:
        """Change a reminder's text, time or importance; only the fields given change."""
        return rt.run(
            lambda s, a: reminder_result(
                "Updated",
                reminders.update_reminder(
                    s, a, reminder_id=reminder_id, text=text, when=when, importance=importance
                ),
                a.timezone,
            )
        )

    @tool("update", "Complete a reminder")
    def complete_reminder(reminder_id: ReminderId) -> ReminderResult:
        """Mark a reminder as done. Doing it twice is harmless."""
        return rt.run(
            lambda s, a: reminder_result(
                "Completed", reminders.complete_reminder(s, a, reminder_id=reminder_id), a.timezone
            )
        )

    @tool("update", "Snooze a reminder")
    def snooze_reminder(
        reminder_id: ReminderId,
        duration: Annotated[
            str | None, Field(description='How long: "10 minutes", "1 hour". Default 10 minutes.')
        ] = None,
        until: When = None,
    ) -> ReminderResult:
        """Push a reminder later, by a duration or to a given time."""
        return rt.run(
            lambda s, a: reminder_result(
                "Snoozed",
                reminders.snooze_reminder(
                    s, a, reminder_id=reminder_id, duration=duration or "10 minutes", until=until
                ),
                a.timezone,
            )
        )

    @tool("delete", "Delete a reminder")
    def delete_reminder(reminder_id: ReminderId) -> ReminderResult:
        """Delete a reminder for good."""
        return rt.run(
            lambda s, a: reminder_result(
                "Deleted", reminders.delete_reminder(s, a, reminder_id=reminder_id), a.timezone
            )
        )
