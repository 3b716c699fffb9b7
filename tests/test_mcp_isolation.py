"""Isolation over the MCP surface: one user's ids are useless to another user."""

from __future__ import annotations

import pytest
from fastmcp import Client

from convonet_mcp.models import CalendarEvent, Reminder, Team, TeamMembership, Todo
from mcp_helpers import call, error_of, server_for


@pytest.fixture
async def anns_world(factory, session, make_user):
    """Ann's team, personal and team todos, reminder and events, made through her client."""
    ann, bob = make_user("ann"), make_user("bob")
    make_user("carl")
    session.commit()
    async with Client(server_for(factory, ann)) as client:
        team = (await call(client, "create_team", name="Alpha"))["team"]
        await call(client, "add_team_member", team="Alpha", person="carl@example.com")
        ids = {
            "team": team["id"],
            "todo": (await call(client, "create_todo", title="Ann personal"))["todo"]["id"],
            "team_todo": (
                await call(client, "create_team_todo", team="Alpha", title="Alpha work")
            )["todo"]["id"],
            "reminder": (
                await call(client, "create_reminder", text="Ann pill", when="tomorrow 9am")
            )["reminder"]["id"],
            "event": (
                await call(client, "create_calendar_event", title="Ann 1:1", start="tomorrow 10am")
            )["event"]["id"],
            "team_event": (
                await call(
                    client, "create_calendar_event", title="Alpha sync", start="tomorrow 11am",
                    team="Alpha",
                )
            )["event"]["id"],
        }  # fmt: skip
    async with Client(server_for(factory, bob)) as client:
        await call(client, "create_team", name="Beta")
    return ann, bob, ids


ATTEMPTS = [
    ("get_todo", {"todo_id": "{todo}"}),
    ("get_todo", {"todo_id": "{team_todo}"}),
    ("update_todo", {"todo_id": "{todo}", "title": "pwned"}),
    ("update_todo", {"todo_id": "{team_todo}", "title": "pwned"}),
    ("complete_todo", {"todo_id": "{todo}"}),
    ("complete_todo", {"todo_id": "{team_todo}"}),
    ("reopen_todo", {"todo_id": "{team_todo}"}),
    ("assign_todo", {"todo_id": "{team_todo}", "assignee": "bob@example.com"}),
    ("delete_todo", {"todo_id": "{todo}"}),
    ("delete_todo", {"todo_id": "{team_todo}"}),
    ("get_team", {"team": "{team}"}),
    ("get_team", {"team": "Alpha"}),
    ("update_team", {"team": "{team}", "name": "pwned"}),
    ("delete_team", {"team": "{team}"}),
    ("leave_team", {"team": "{team}"}),
    ("get_team_members", {"team": "{team}"}),
    ("add_team_member", {"team": "{team}", "person": "bob@example.com"}),
    ("remove_team_member", {"team": "{team}", "person": "carl@example.com"}),
    ("change_member_role", {"team": "{team}", "person": "carl@example.com", "role": "viewer"}),
    ("create_team_todo", {"team": "{team}", "title": "spam"}),
    ("get_team_todos", {"team": "{team}"}),
    ("get_todos", {"team": "{team}"}),
    ("update_reminder", {"reminder_id": "{reminder}", "text": "pwned"}),
    ("complete_reminder", {"reminder_id": "{reminder}"}),
    ("snooze_reminder", {"reminder_id": "{reminder}"}),
    ("delete_reminder", {"reminder_id": "{reminder}"}),
    ("update_calendar_event", {"event_id": "{event}", "title": "pwned"}),
    ("update_calendar_event", {"event_id": "{team_event}", "title": "pwned"}),
    ("delete_calendar_event", {"event_id": "{event}"}),
    ("delete_calendar_event", {"event_id": "{team_event}"}),
    ("get_calendar_events", {"team": "{team}"}),
    ("create_calendar_event", {"title": "spam", "start": "tomorrow", "team": "{team}"}),
]


async def test_every_tool_refuses_another_users_ids_and_changes_nothing(
    factory, session, anns_world
):
    _, bob, ids = anns_world
    async with Client(server_for(factory, bob)) as client:
        for tool, template in ATTEMPTS:
            arguments = {k: v.format(**ids) for k, v in template.items()}
            message = await error_of(client, tool, **arguments)
            assert "no " in message.lower() or "not" in message.lower(), (tool, message)
            for secret in ("Ann personal", "Alpha work", "Ann pill", "Ann 1:1", "Alpha sync"):
                assert secret not in message, (tool, message)
        listed = [
            await call(client, "get_todos", status="all"),
            await call(client, "get_reminders", status="all"),
            await call(client, "get_calendar_events"),
            await call(client, "get_agenda", day="tomorrow"),
            await call(client, "search_users", query="ann"),
            await call(client, "get_teams"),
        ]
    text = repr(listed)
    for secret in ("Ann personal", "Alpha work", "Ann pill", "Ann 1:1", "Alpha sync", "ann@"):
        assert secret not in text
    session.expire_all()
    assert {t.title for t in session.query(Todo)} == {"Ann personal", "Alpha work"}
    assert all(not t.completed for t in session.query(Todo))
    assert session.query(Reminder).one().reminder_text == "Ann pill"
    assert {e.title for e in session.query(CalendarEvent)} == {"Ann 1:1", "Alpha sync"}
    alpha = session.query(Team).filter_by(name="Alpha").one()
    assert alpha.is_active
    roles = {
        m.user.username: m.role.value
        for m in session.query(TeamMembership).filter_by(team_id=alpha.id)
    }
    assert roles == {"ann": "owner", "carl": "member"}
