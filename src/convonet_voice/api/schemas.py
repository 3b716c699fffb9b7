"""Request and response models of the REST API (their JSON schemas feed the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from convonet_mcp.models import CalendarEvent, Priority, Role, Team, TeamMembership, Todo, User
from convonet_mcp.tools.schemas import PersonOut
from convonet_voice.api.kit import ApiModel, QueryModel

Short = Field(min_length=1, max_length=254)
Name = Field(max_length=100)
Secret = Field(min_length=1, max_length=1024)


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error: ``{"error": {"code", "message"}}``."""

    error: ErrorBody


# --- accounts ---------------------------------------------------------------


class RegisterIn(ApiModel):
    email: str = Short
    username: str = Field(min_length=3, max_length=64, description="Letters, digits, _ . -")
    password: str = Field(min_length=8, max_length=1024)
    first_name: str = Name
    last_name: str = Name
    timezone: str = Field(default="UTC", min_length=1, max_length=64, description="IANA name.")
    phone: str | None = Field(default=None, max_length=32, description="E.164, e.g. +14155552671.")
    voice_pin: str | None = Field(
        default=None, max_length=16, description="4-6 digits, not an easy pattern."
    )


class LoginIn(ApiModel):
    login: str = Field(min_length=1, max_length=254, description="Email or username.")
    password: str = Secret


class RefreshIn(ApiModel):
    refresh_token: str | None = Field(
        default=None, max_length=4096, description="Omit to use the HttpOnly refresh cookie."
    )


class ProfileIn(ApiModel):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, max_length=32, description='"" removes the number.')
    new_pin: str | None = Field(default=None, max_length=16)
    current_password: str | None = Field(
        default=None, max_length=1024, description="Required with new_pin."
    )


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int = Field(description="Seconds until the access token expires.")


class ProfileOut(BaseModel):
    id: str
    email: str
    username: str
    first_name: str
    last_name: str
    name: str
    timezone: str
    phone: str | None
    has_voice_pin: bool

    @classmethod
    def of(cls, user: User) -> ProfileOut:
        return cls(
            id=str(user.id),
            email=user.email,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            name=user.full_name,
            timezone=user.timezone,
            phone=user.phone_number,
            has_voice_pin=user.voice_pin_hash is not None,
        )


class SearchQuery(QueryModel):
    q: str = Field(min_length=1, max_length=200)
    limit: int = Field(default=20, ge=1, le=50)


# --- teams --------------------------------------------------------------------


class TeamIn(ApiModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class TeamUpdateIn(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class MemberIn(ApiModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Role = Role.member


class RoleIn(ApiModel):
    role: Role


class MemberOut(BaseModel):
    user_id: str
    name: str
    email: str
    username: str
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, member: TeamMembership) -> MemberOut:
        return cls(
            user_id=str(member.user_id),
            name=member.user.full_name,
            email=member.user.email,
            username=member.user.username,
            role=member.role,
            joined_at=member.joined_at,
        )


class TeamOut(BaseModel):
    id: str
    name: str
    description: str
    my_role: Role
    created_at: datetime

    @classmethod
    def of(cls, team: Team, role: Role) -> TeamOut:
        return cls(
            id=str(team.id),
            name=team.name,
            description=team.description,
            my_role=role,
            created_at=team.created_at,
        )


class TeamDetailOut(TeamOut):
    members: list[MemberOut]


# --- team todos -----------------------------------------------------------------


class TodoIn(ApiModel):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=5000)
    priority: Priority = Priority.medium
    due: str | None = Field(
        default=None, max_length=100, description='ISO 8601, or words like "friday 3pm".'
    )
    assignee: str | None = Field(
        default=None, max_length=254, description="Email, user id, name or 'me'."
    )
    is_private: bool = False


class TodoUpdateIn(ApiModel):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=5000)
    priority: Priority | None = None
    due: str | None = Field(default=None, max_length=100, description="null clears it.")
    assignee: str | None = Field(default=None, max_length=254, description="null unassigns.")
    completed: bool | None = None
    is_private: bool | None = None


class TodoQuery(QueryModel):
    status: Literal["open", "completed", "all"] = "open"
    priority: Priority | None = None
    assignee: str | None = Field(default=None, max_length=254)
    due_after: str | None = Field(default=None, max_length=100)
    due_before: str | None = Field(default=None, max_length=100)
    q: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class TodoOut(BaseModel):
    id: str
    title: str
    description: str
    priority: Priority
    completed: bool
    completed_at: datetime | None
    due_date: datetime | None
    team_id: str | None
    creator_id: str
    assignee: PersonOut | None
    is_private: bool
    created_at: datetime

    @classmethod
    def of(cls, todo: Todo) -> TodoOut:
        return cls(
            id=str(todo.id),
            title=todo.title,
            description=todo.description,
            priority=todo.priority,
            completed=todo.completed,
            completed_at=todo.completed_at,
            due_date=todo.due_date,
            team_id=str(todo.team_id) if todo.team_id else None,
            creator_id=str(todo.creator_id),
            assignee=PersonOut.of(todo.assignee) if todo.assignee else None,
            is_private=todo.is_private,
            created_at=todo.created_at,
        )


class TodoPageOut(BaseModel):
    items: list[TodoOut]
    next_cursor: str | None


class CalendarQuery(QueryModel):
    start: str | None = Field(default=None, max_length=100, description="Default: today.")
    end: str | None = Field(default=None, max_length=100, description="Default: start + 31 days.")


class EventOut(BaseModel):
    id: str
    title: str
    description: str
    location: str
    start: datetime
    end: datetime
    owner_id: str

    @classmethod
    def of(cls, event: CalendarEvent) -> EventOut:
        return cls(
            id=str(event.id),
            title=event.title,
            description=event.description,
            location=event.location,
            start=event.event_from,
            end=event.event_to,
            owner_id=str(event.owner_id),
        )


class CalendarOut(BaseModel):
    start: datetime
    end: datetime
    todos: list[TodoOut]
    events: list[EventOut]
