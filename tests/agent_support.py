"""Shared pieces of the agent tests: settings, seeded people, an extra MCP server, DB checks."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.dates import now_in, zone
from convonet_mcp.models import (
    CalendarEvent,
    Priority,
    Reminder,
    Role,
    Team,
    TeamMembership,
    Todo,
    User,
)
from convonet_voice.agent import ConversationAgent, open_agent
from convonet_voice.settings import VoiceSettings

TZ = "America/New_York"

COMMANDS = [
    "Create a high priority todo to review the quarterly report",
    "Add a reminder to call the dentist tomorrow at 2 PM",
    "Schedule a meeting for next Friday from 2 to 3 PM",
    "Show me all my pending todos",
    "Mark the grocery shopping todo as completed",
    "Create a hackathon team",
    "Add admin@convonet.com to the hackathon team as owner",
    "Assign a code review task to John in the dev team",
    "Change john@example.com to admin role in the dev team",
]

EXTRA_SERVER = '''
import asyncio
from fastmcp import FastMCP

mcp = FastMCP("helper")


@mcp.tool
def shout(text: str) -> str:
    """Say text loudly."""
    return text.upper() + "!"


@mcp.tool
async def wait_for(seconds: float) -> str:
    """Wait, then answer (simulates a slow external service)."""
    await asyncio.sleep(seconds)
    return "finished waiting"


mcp.run(show_banner=False)
'''


def voice_settings(database_url: str, data_dir: Path, **overrides: Any) -> VoiceSettings:
    """Settings over the test database, with no API key, remote server or extras unless given."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "anthropic_api_key": None,
        "anthropic_base_url": None,
        "mcp_url": None,
        "mcp_token": None,
        "mcp_servers_file": None,
    }
    values.update(overrides)
    return VoiceSettings(**values)


def write_extra_servers(directory: Path) -> Path:
    """An ``mcpServers`` file naming one local stdio server, "helper"."""
    script = directory / "helper_server.py"
    script.write_text(EXTRA_SERVER, encoding="utf-8")
    config = {"mcpServers": {"helper": {"command": sys.executable, "args": [str(script)]}}}
    path = directory / "mcp_servers.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@asynccontextmanager
async def running_agent(
    settings: VoiceSettings, factory: sessionmaker[Session], model: BaseChatModel | None = None
) -> AsyncIterator[ConversationAgent]:
    """An agent that is closed at the end of the block."""
    agent = await open_agent(settings, factory, model=model)
    try:
        yield agent
    finally:
        await agent.aclose()


@dataclass
class People:
    ann: User
    john: User
    admin: User
    bob: User
    dev: Team
    call: str = field(default_factory=lambda: f"call-{uuid.uuid4().hex}")


def seed_people(session: Session, make_user: Any, make_team: Any) -> People:
    """Ann owns Dev (John is a member), admin@convonet.com exists, Bob is a stranger."""
    ann = make_user("ann", timezone=TZ)
    john = make_user("john", timezone=TZ)
    bob = make_user("bob")
    admin = User(email="admin@convonet.com", username="admin", first_name="Admin")
    session.add(admin)
    session.flush()
    dev = make_team("Dev", {ann: Role.owner, john: Role.member})
    session.add(Todo(title="Grocery shopping", creator_id=ann.id))
    session.commit()
    return People(ann=ann, john=john, admin=admin, bob=bob, dev=dev)


def check_command_list(factory: sessionmaker[Session], people: People) -> None:
    """Assert the database holds what the nine voice commands asked for."""
    tz = zone(TZ)
    with factory() as s:
        todo = s.scalar(select(Todo).where(Todo.title == "Review the quarterly report"))
        assert todo is not None and todo.priority == Priority.high
        assert todo.creator_id == people.ann.id and todo.team_id is None

        reminder = s.scalar(select(Reminder).where(Reminder.owner_id == people.ann.id))
        assert reminder is not None and "dentist" in reminder.reminder_text.lower()
        at = reminder.reminder_date.replace(tzinfo=reminder.reminder_date.tzinfo or zone("UTC"))
        tomorrow = now_in(TZ).date() + timedelta(days=1)
        assert at.astimezone(tz).date() == tomorrow and at.astimezone(tz).hour == 14

        event = s.scalar(select(CalendarEvent).where(CalendarEvent.owner_id == people.ann.id))
        assert event is not None and event.title == "Meeting"
        start = event.event_from.replace(tzinfo=event.event_from.tzinfo or zone("UTC"))
        assert start.astimezone(tz).strftime("%A %H:%M") == "Friday 14:00"
        assert event.event_to - event.event_from == timedelta(hours=1)

        groceries = s.scalar(select(Todo).where(Todo.title == "Grocery shopping"))
        assert groceries is not None and groceries.completed

        team = s.scalar(select(Team).where(Team.name == "Hackathon"))
        assert team is not None
        roles = {
            m.user_id: m.role
            for m in s.scalars(select(TeamMembership).where(TeamMembership.team_id == team.id))
        }
        assert roles == {people.ann.id: Role.owner, people.admin.id: Role.owner}

        review = s.scalar(select(Todo).where(Todo.title == "Code review"))
        assert review is not None and review.team_id == people.dev.id
        assert review.assignee_id == people.john.id

        john_role = s.scalar(
            select(TeamMembership.role).where(
                TeamMembership.team_id == people.dev.id, TeamMembership.user_id == people.john.id
            )
        )
        assert john_role == Role.admin
