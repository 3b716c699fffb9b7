"""The 38 tools through a real MCP client, in memory, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastmcp import Client

from convonet_mcp.models import Channel, Role, Todo, TransferRequest
from mcp_helpers import call, error_of, server_for

EXPECTED = {
    "create_todo", "get_todos", "get_todo", "update_todo", "complete_todo", "reopen_todo",
    "assign_todo", "delete_todo",
    "create_team", "get_teams", "get_team", "update_team", "delete_team", "leave_team",
    "get_team_members", "add_team_member", "remove_team_member", "change_member_role",
    "create_team_todo", "get_team_todos",
    "search_users", "get_my_profile",
    "create_reminder", "get_reminders", "update_reminder", "complete_reminder",
    "snooze_reminder", "delete_reminder",
    "create_calendar_event", "get_calendar_events", "update_calendar_event",
    "delete_calendar_event", "find_free_time", "get_agenda", "sync_google_calendar_events",
    "test_google_calendar",
    "transfer_to_agent", "get_available_departments",
}  # fmt: skip


@pytest.fixture
def ann(session, make_user):
    user = make_user("ann", timezone="America/New_York")
    session.commit()
    return user


async def test_list_tools_returns_exactly_the_38_tools_with_schemas_and_annotations(factory, ann):
    async with Client(server_for(factory, ann)) as client:
        tools = await client.list_tools()
    assert {t.name for t in tools} == EXPECTED
    assert len(tools) == 38
    for tool in tools:
        assert tool.title and tool.description, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema and "summary" in tool.output_schema["properties"], tool.name
        hints = tool.annotations
        assert hints is not None and hints.title, tool.name
        for flag in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
            assert isinstance(getattr(hints, flag), bool), (tool.name, flag)
        assert not {"user_id", "actor", "user", "actor_id"} & set(tool.input_schema["properties"])


async def test_read_tools_are_marked_read_only_and_deletes_destructive(factory, ann):
    async with Client(server_for(factory, ann)) as client:
        tools = {t.name: t.annotations for t in await client.list_tools()}
    for name in ("get_todos", "get_agenda", "find_free_time", "get_my_profile"):
        assert tools[name].read_only_hint is True
    for name in ("delete_todo", "delete_team", "remove_team_member", "delete_reminder"):
        assert tools[name].destructive_hint is True and tools[name].read_only_hint is False
    assert tools["create_todo"].read_only_hint is False
    assert tools["sync_google_calendar_events"].open_world_hint is True


async def test_toolsets_and_read_only_mode_shrink_the_exposed_tools(factory, ann):
    async with Client(server_for(factory, ann, toolsets="todos,reminders")) as client:
        names = {t.name for t in await client.list_tools()}
    assert names == {n for n in EXPECTED if "todo" in n and "team" not in n} | {
        n for n in EXPECTED if "reminder" in n
    }
    async with Client(server_for(factory, ann, read_only=True)) as client:
        tools = await client.list_tools()
    assert tools and all(t.annotations.read_only_hint for t in tools)
    assert "get_todos" in {t.name for t in tools} and "create_todo" not in {t.name for t in tools}


async def test_todo_lifecycle_through_the_client(factory, ann, session):
    async with Client(server_for(factory, ann)) as client:
        made = await call(
            client, "create_todo", title="Review the quarterly report", priority="high",
            due="tomorrow at 5pm",
        )  # fmt: skip
        todo_id = made["todo"]["id"]
        assert "Review the quarterly report" in made["summary"]
        assert made["todo"]["due_date"].endswith(("-05:00", "-04:00"))
        listed = await call(client, "get_todos", text="quarterly")
        assert [t["id"] for t in listed["todos"]] == [todo_id]
        assert (await call(client, "complete_todo", todo_id=todo_id))["todo"]["completed"] is True
        assert (await call(client, "get_todos"))["todos"] == []
        done = await call(client, "get_todos", status="completed")
        assert [t["id"] for t in done["todos"]] == [todo_id]
        assert (await call(client, "reopen_todo", todo_id=todo_id))["todo"]["completed"] is False
        updated = await call(client, "update_todo", todo_id=todo_id, priority="urgent")
        assert updated["todo"]["priority"] == "urgent"
        assert (await call(client, "get_todo", todo_id=todo_id))["todo"]["priority"] == "urgent"
        await call(client, "delete_todo", todo_id=todo_id)
        assert "no todo" in (await error_of(client, "get_todo", todo_id=todo_id)).lower()
    session.expire_all()
    assert session.get(Todo, __import__("uuid").UUID(todo_id)) is None


async def test_paginating_todos_walks_every_page_once(factory, ann):
    async with Client(server_for(factory, ann)) as client:
        for i in range(7):
            await call(client, "create_todo", title=f"Task {i}")
        seen, cursor = [], None
        while True:
            page = await call(client, "get_todos", limit=3, cursor=cursor)
            seen += [t["title"] for t in page["todos"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == [f"Task {i}" for i in range(7)]
        assert "cursor" in (await error_of(client, "get_todos", cursor="garbage!")).lower()


async def test_team_scenario_members_roles_and_team_todos(factory, session, make_user, ann):
    john = make_user("john", first_name="John", last_name="Smith")
    make_user("admin", first_name="Ada")
    session.commit()
    async with Client(server_for(factory, ann)) as client:
        team = await call(client, "create_team", name="Hackathon")
        assert team["team"]["my_role"] == "owner"
        await call(client, "add_team_member", team="hackathon", person="john@example.com")
        owner = await call(
            client, "add_team_member", team="Hackathon", person="admin@example.com", role="owner"
        )
        assert owner["member"]["role"] == "owner"
        promoted = await call(
            client, "change_member_role", team="Hackathon", person="john@example.com", role="admin"
        )
        assert promoted["member"]["role"] == "admin"
        members = await call(client, "get_team_members", team="Hackathon")
        assert {m["user"]["email"] for m in members["members"]} == {
            "ann@example.com", "john@example.com", "admin@example.com",
        }  # fmt: skip
        todo = await call(
            client, "create_team_todo", team="Hackathon", title="Code review", assignee="John"
        )
        assert todo["todo"]["assignee_email"] == "john@example.com"
        listed = await call(client, "get_team_todos", team="Hackathon")
        assert [t["title"] for t in listed["todos"]] == ["Code review"]
        assert (await call(client, "get_teams"))["teams"][0]["name"] == "Hackathon"
        await call(client, "update_team", team="Hackathon", description="Weekend build")
        assert (await call(client, "get_team", team="Hackathon"))["team"]["description"] == (
            "Weekend build"
        )
        await call(client, "remove_team_member", team="Hackathon", person="john@example.com")
        await call(client, "leave_team", team="Hackathon")
    assert john.id  # john still exists; only his membership went


async def test_an_ambiguous_name_asks_which_one_and_lists_candidates(
    factory, session, make_user, make_team, ann
):
    j1 = make_user("john1", first_name="John")
    j2 = make_user("john2", first_name="John")
    make_team("Dev", {ann: Role.owner, j1: Role.member, j2: Role.member})
    session.commit()
    async with Client(server_for(factory, ann)) as client:
        message = await error_of(client, "create_team_todo", team="Dev", title="x", assignee="John")
    assert "Which" in message and "john1@example.com" in message and "john2@example.com" in message


async def test_reminders_scenario(factory, ann):
    async with Client(server_for(factory, ann)) as client:
        made = await call(
            client, "create_reminder", text="Call the dentist", when="tomorrow at 2 PM"
        )
        rid = made["reminder"]["id"]
        assert "T14:00" in made["reminder"]["reminder_date"]
        assert [r["id"] for r in (await call(client, "get_reminders"))["reminders"]] == [rid]
        snoozed = await call(client, "snooze_reminder", reminder_id=rid, duration="1 hour")
        assert "T15:00" in snoozed["reminder"]["reminder_date"]
        await call(client, "update_reminder", reminder_id=rid, importance="high")
        assert (await call(client, "complete_reminder", reminder_id=rid))["reminder"]["completed"]
        await call(client, "delete_reminder", reminder_id=rid)
        assert (await call(client, "get_reminders", status="all"))["reminders"] == []
        assert "understand" in (await error_of(client, "create_reminder", text="x", when="blorp"))


async def test_calendar_scenario_with_overlaps_free_time_and_agenda(factory, ann):
    async with Client(server_for(factory, ann)) as client:
        first = await call(
            client, "create_calendar_event", title="Planning", start="next Friday at 2pm",
            end="next Friday at 3pm",
        )  # fmt: skip
        assert first["overlaps"] == []
        second = await call(
            client, "create_calendar_event", title="Dentist", start="next Friday at 2:30pm",
            duration="30 minutes",
        )  # fmt: skip
        assert [o["title"] for o in second["overlaps"]] == ["Planning"]
        assert "overlaps" in second["summary"]
        free = await call(client, "find_free_time", duration="1 hour", within="next Friday")
        assert free["slots"] and {c["title"] for c in free["conflicts"]} == {"Planning", "Dentist"}
        day = first["event"]["start"][:10]
        agenda = await call(client, "get_agenda", day=day)
        assert {e["title"] for e in agenda["events"]} == {"Planning", "Dentist"}
        moved = await call(
            client, "update_calendar_event", event_id=second["event"]["id"], start=f"{day}T16:00"
        )
        assert moved["overlaps"] == []
        events = await call(client, "get_calendar_events", start=day)
        assert len(events["events"]) == 2
        await call(client, "delete_calendar_event", event_id=first["event"]["id"])
        status = await call(client, "test_google_calendar")
        assert status["connected"] is False and "not connected" in status["summary"]
        sync = await call(client, "sync_google_calendar_events")
        assert sync["connected"] is False and sync["synced"] == 0
        bad = await error_of(
            client, "create_calendar_event", title="x", start="tomorrow 3pm", end="tomorrow 2pm"
        )
        assert "after" in bad


async def test_people_and_profile(factory, session, make_user, make_team, ann):
    john = make_user("john", first_name="John")
    make_user("zed", first_name="Zed")
    make_team("Dev", {ann: Role.owner, john: Role.member})
    session.commit()
    async with Client(server_for(factory, ann)) as client:
        found = await call(client, "search_users", query="john")
        assert [p["email"] for p in found["people"]] == ["john@example.com"]
        assert (await call(client, "search_users", query="zed"))["people"] == []
        exact = await call(client, "search_users", query="zed@example.com")
        assert [p["email"] for p in exact["people"]] == ["zed@example.com"]
        me = await call(client, "get_my_profile")
        assert me["me"]["email"] == "ann@example.com" and me["timezone"] == "America/New_York"
        assert [t["name"] for t in me["teams"]] == ["Dev"]


async def test_transfer_records_a_request_with_the_callers_channel(factory, session, ann):
    server = server_for(factory, ann, channel=Channel.phone, conversation_id="CA123")
    async with Client(server) as client:
        departments = await call(client, "get_available_departments")
        assert {d["name"] for d in departments["departments"]} == {"support", "sales", "technical"}
        done = await call(client, "transfer_to_agent", department="sales", reason="Pricing")
        assert done["transfer"]["department"] == "sales" and done["transfer"]["extension"]
        assert "sales" in done["summary"]
        assert "support" in await error_of(client, "transfer_to_agent", department="legal")
    row = session.query(TransferRequest).one()
    assert (row.channel, row.call_sid, row.status.value) == (Channel.phone, "CA123", "pending")


async def test_arguments_cannot_make_a_call_act_as_someone_else(factory, session, make_user, ann):
    bob = make_user("bob")
    session.commit()
    async with Client(server_for(factory, ann)) as client:
        for extra in ({"user_id": str(bob.id)}, {"actor": "bob@example.com"}, {"as_user": "bob"}):
            message = await error_of(client, "create_todo", title="Mine", **extra)
            assert "Unexpected keyword argument" in message
        await call(client, "create_todo", title="Mine")
        profile = await call(client, "get_my_profile")
    assert profile["me"]["email"] == "ann@example.com"
    session.expire_all()
    assert [t.creator_id for t in session.query(Todo)] == [ann.id]


async def test_internal_errors_are_masked_without_sql_or_traces(tmp_path, session, ann, caplog):
    from convonet_mcp.db import make_engine, session_factory

    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    async with Client(server_for(session_factory(empty), ann)) as client:
        message = await error_of(client, "get_todos")
    empty.dispose()
    assert "get_todos" in message
    for leak in ("SELECT", "sqlite", "Traceback", "no such table"):
        assert leak not in message


async def test_servers_built_for_different_users_each_act_as_their_own_user(
    factory, session, make_user, ann
):
    bob = make_user("bob")
    session.commit()
    servers = [server_for(factory, user) for user in (ann, bob, ann, bob)]
    seen = []
    for server in servers:
        async with Client(server) as client:
            seen.append((await call(client, "get_my_profile"))["me"]["email"])
    assert seen == ["ann@example.com", "bob@example.com"] * 2
