"""Pydantic output models of the tools: structured content plus a summary to read aloud."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from convonet_mcp.dates import zone
from convonet_mcp.models import (
    CalendarEvent,
    Department,
    Reminder,
    Role,
    Team,
    TeamMembership,
    Todo,
    TransferRequest,
    User,
)


def local(moment: datetime | None, tz: str) -> str | None:
    """ISO 8601 in the user's timezone (with offset), or None."""
    return moment.astimezone(zone(tz)).isoformat(timespec="minutes") if moment else None


def spoken(moment: datetime | None, tz: str) -> str:
    """A short phrase for speech: "Friday 27 November at 2:00 PM"."""
    if moment is None:
        return ""
    at = moment.astimezone(zone(tz))
    clock = at.strftime("%I:%M %p").lstrip("0")
    return f"{at.strftime('%A')} {at.day} {at.strftime('%B')} at {clock}"


class Result(BaseModel):
    """Base of every tool result."""

    summary: str = Field(description="One or two plain sentences suitable to read aloud.")


class PersonOut(BaseModel):
    id: str
    name: str
    email: str
    username: str

    @classmethod
    def of(cls, user: User) -> PersonOut:
        return cls(id=str(user.id), name=user.full_name, email=user.email, username=user.username)


class TodoOut(BaseModel):
    id: str
    title: str
    description: str
    priority: str
    completed: bool
    completed_at: str | None
    due_date: str | None = Field(description="ISO 8601 in the user's timezone.")
    team: str | None = Field(description="Team name, or null for a personal todo.")
    team_id: str | None
    assignee: str | None = Field(description="Assignee's name.")
    assignee_email: str | None
    is_private: bool
    created_at: str | None

    @classmethod
    def of(cls, todo: Todo, tz: str) -> TodoOut:
        return cls(
            id=str(todo.id),
            title=todo.title,
            description=todo.description,
            priority=todo.priority.value,
            completed=todo.completed,
            completed_at=local(todo.completed_at, tz),
            due_date=local(todo.due_date, tz),
            team=todo.team.name if todo.team else None,
            team_id=str(todo.team_id) if todo.team_id else None,
            assignee=todo.assignee.full_name if todo.assignee else None,
            assignee_email=todo.assignee.email if todo.assignee else None,
            is_private=todo.is_private,
            created_at=local(todo.created_at, tz),
        )


class TeamOut(BaseModel):
    id: str
    name: str
    description: str
    my_role: str | None = None

    @classmethod
    def of(cls, team: Team, role: Role | None = None) -> TeamOut:
        return cls(
            id=str(team.id),
            name=team.name,
            description=team.description,
            my_role=role.value if role else None,
        )


class MemberOut(BaseModel):
    user: PersonOut
    role: str
    joined_at: str | None

    @classmethod
    def of(cls, membership: TeamMembership, tz: str) -> MemberOut:
        return cls(
            user=PersonOut.of(membership.user),
            role=membership.role.value,
            joined_at=local(membership.joined_at, tz),
        )


class ReminderOut(BaseModel):
    id: str
    text: str
    importance: str
    reminder_date: str | None = Field(description="ISO 8601 in the user's timezone.")
    completed: bool
    dismissed: bool

    @classmethod
    def of(cls, reminder: Reminder, tz: str) -> ReminderOut:
        return cls(
            id=str(reminder.id),
            text=reminder.reminder_text,
            importance=reminder.importance.value,
            reminder_date=local(reminder.reminder_date, tz),
            completed=reminder.completed,
            dismissed=reminder.dismissed,
        )


class EventOut(BaseModel):
    id: str
    title: str
    description: str
    location: str
    start: str | None = Field(description="ISO 8601 in the user's timezone.")
    end: str | None = Field(description="ISO 8601 in the user's timezone.")
    team: str | None
    team_id: str | None

    @classmethod
    def of(cls, event: CalendarEvent, tz: str) -> EventOut:
        return cls(
            id=str(event.id),
            title=event.title,
            description=event.description,
            location=event.location,
            start=local(event.event_from, tz),
            end=local(event.event_to, tz),
            team=event.team.name if event.team else None,
            team_id=str(event.team_id) if event.team_id else None,
        )


class DepartmentOut(BaseModel):
    name: str
    extension: str
    description: str

    @classmethod
    def of(cls, department: Department) -> DepartmentOut:
        return cls(
            name=department.name,
            extension=department.extension,
            description=department.description,
        )


class TransferOut(BaseModel):
    id: str
    department: str
    extension: str
    reason: str
    status: str
    channel: str

    @classmethod
    def of(cls, transfer: TransferRequest) -> TransferOut:
        return cls(
            id=str(transfer.id),
            department=transfer.department.name,
            extension=transfer.extension,
            reason=transfer.reason,
            status=transfer.status.value,
            channel=transfer.channel.value,
        )
