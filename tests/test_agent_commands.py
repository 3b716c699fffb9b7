"""The voice command list through the agent, with a scripted model and with the offline grammar."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from sqlalchemy import select

from agent_support import (
    COMMANDS,
    TZ,
    check_command_list,
    running_agent,
    seed_people,
    voice_settings,
)
from convonet_mcp.dates import now_in
from convonet_mcp.models import Channel, Todo
from scripted_model import ScriptedChatModel, call, confirm


def _complete_found(messages: list[BaseMessage]) -> AIMessage:
    """Complete the todo the previous get_todos call found, as Claude would."""
    last = next(m for m in reversed(messages) if isinstance(m, ToolMessage))
    todos = last.artifact["structured_content"]["todos"]
    assert len(todos) == 1, todos
    return call("complete_todo", todo_id=todos[0]["id"])


SCRIPT = [
    call("create_todo", title="Review the quarterly report", priority="high"), confirm,
    call("create_reminder", text="Call the dentist", when="tomorrow at 2 PM"), confirm,
    call("create_calendar_event", title="Meeting", start="next Friday at 2 PM",
         end="next Friday at 3 PM"), confirm,
    call("get_todos", status="open"), confirm,
    call("get_todos", text="grocery shopping"), _complete_found, confirm,
    call("create_team", name="Hackathon"), confirm,
    call("add_team_member", team="Hackathon", person="admin@convonet.com", role="owner"), confirm,
    call("create_team_todo", team="Dev", title="Code review", assignee="John"), confirm,
    call("change_member_role", team="Dev", person="john@example.com", role="admin"), confirm,
]  # fmt: skip


async def test_the_voice_command_list_runs_through_mcp_tools_and_lands_in_the_database(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    model = ScriptedChatModel(SCRIPT)
    replies = []
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        for text in COMMANDS:
            result = await agent.turn(
                user_id=people.ann.id, conversation_id=people.call, channel=Channel.phone, text=text
            )
            assert not result.timed_out and not result.used_fallback and result.transfer is None
            replies.append(result.text)
    assert model.remaining == 0
    check_command_list(factory, people)
    assert replies[0] == 'Created "Review the quarterly report", high priority.'
    assert "Review the quarterly report" in replies[3] and "Grocery shopping" in replies[3]
    assert replies[4].startswith('Completed "Grocery shopping"')
    assert "create_todo" in model.bound_tools and len(model.bound_tools) == 38


async def test_each_turn_tells_the_model_who_the_user_is_and_the_date_in_their_timezone(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    model = ScriptedChatModel([AIMessage("Hello Ann.")])
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        result = await agent.turn(
            user_id=people.ann.id, conversation_id=people.call, channel=Channel.browser, text="Hi"
        )
    assert result.text == "Hello Ann."
    system = model.seen[0][0]
    assert isinstance(system, SystemMessage)
    today = now_in(TZ)
    assert f"{today.strftime('%A')} {today.day} {today.strftime('%B %Y')}" in system.content
    assert TZ in system.content and "Ann Tester" in system.content
    assert "No markdown" in system.content


async def test_the_offline_grammar_handles_the_same_command_list_without_a_model(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    async with running_agent(voice_settings(database_url, tmp_path), factory) as agent:
        assert not agent.has_model
        replies = []
        for text in COMMANDS:
            result = await agent.turn(
                user_id=people.ann.id, conversation_id=people.call, channel=Channel.phone, text=text
            )
            assert result.used_fallback and not result.timed_out
            replies.append(result.text)
        joke = await agent.turn(
            user_id=people.ann.id,
            conversation_id=people.call,
            channel=Channel.phone,
            text="Tell a joke",
        )
    check_command_list(factory, people)
    assert replies[0] == 'Created "Review the quarterly report", high priority.'
    assert replies[4].startswith('Completed "Grocery shopping"')
    assert joke.text.startswith("I can only do simple commands right now")
    assert not (tmp_path / "checkpoints.db").exists()


async def test_a_model_cannot_act_as_another_user(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    secret = Todo(title="Bob's secret", creator_id=people.bob.id)
    session.add(secret)
    session.commit()
    model = ScriptedChatModel([
        call("complete_todo", todo_id=str(secret.id)),
        call("create_todo", title="Pay Bob", user_id=str(people.bob.id)),
        call("get_todos", assignee=people.bob.email, status="all"),
        confirm,
    ])  # fmt: skip
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        result = await agent.turn(
            user_id=people.ann.id,
            conversation_id=people.call,
            channel=Channel.phone,
            text="Act as Bob",
        )
        with pytest.raises(PermissionError):
            await agent.turn(
                user_id=people.bob.id, conversation_id=people.call, channel=Channel.phone, text="Hi"
            )
    tool_results = [m for m in model.seen[-1] if isinstance(m, ToolMessage)]
    assert [m.status for m in tool_results] == ["error", "error", "success"]
    assert "Bob's secret" not in str(tool_results[2].content)
    assert "Bob's secret" not in result.text
    with factory() as s:
        assert s.get(Todo, secret.id).completed is False
        assert s.scalar(select(Todo).where(Todo.title == "Pay Bob")) is None
