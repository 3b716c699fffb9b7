"""Budgets, thread resets and restarts: a hanging tool or model never leaves a caller in silence."""

from __future__ import annotations

import asyncio

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from sqlalchemy import func, select

from agent_support import running_agent, seed_people, voice_settings, write_extra_servers
from convonet_mcp.models import Channel, Todo
from convonet_voice.agent.prompts import FAILED, TIMED_OUT
from scripted_model import HANG, ScriptedChatModel, call, calls, confirm, say

BOUND = 60  # seconds; every wait on the agent is bounded by this


def _ask(agent, people, text):
    return asyncio.wait_for(
        agent.turn(
            user_id=people.ann.id, conversation_id=people.call, channel=Channel.phone, text=text
        ),
        BOUND,
    )


def _system(messages) -> str:
    assert isinstance(messages[0], SystemMessage)
    return str(messages[0].content)


async def test_an_extra_mcp_server_from_an_mcp_servers_file_is_mounted_with_a_prefix(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    settings = voice_settings(
        database_url, tmp_path, mcp_servers_file=str(write_extra_servers(tmp_path))
    )
    model = ScriptedChatModel([call("helper_shout", text="hello"), confirm])
    async with running_agent(settings, factory, model) as agent:
        result = await _ask(agent, people, "Shout hello")
    assert {"helper_shout", "helper_wait_for", "create_todo"} <= set(model.bound_tools)
    assert result.text == "HELLO!" and not result.timed_out


async def test_a_hanging_tool_ends_the_turn_with_an_apology_and_a_finished_tool_is_not_rerun(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    settings = voice_settings(
        database_url,
        tmp_path,
        mcp_servers_file=str(write_extra_servers(tmp_path)),
        tool_timeout=1.0,
        turn_timeout=8.0,
    )
    model = ScriptedChatModel([
        calls(("create_todo", {"title": "Buy milk"}), ("helper_wait_for", {"seconds": 600}),
              text="On it."),
        say("Yes, the milk todo is there."),
    ])  # fmt: skip
    async with running_agent(settings, factory, model) as agent:
        stuck = await _ask(agent, people, "Add buy milk and check the slow service")
        assert stuck.timed_out and not stuck.used_fallback
        assert stuck.text == f"On it. {TIMED_OUT}"
        assert agent.resets == 1
        after = await _ask(agent, people, "Is the milk todo there?")
    assert after.text == "Yes, the milk todo is there." and not after.timed_out
    with factory() as s:
        assert s.scalar(select(func.count()).where(Todo.title == "Buy milk")) == 1
    fresh = model.seen[-1]
    assert [type(m) for m in fresh[1:]] == [HumanMessage]
    assert 'Done in it: Created "Buy milk".' in _system(fresh)
    assert "did not finish" in _system(fresh)


async def test_a_hanging_model_falls_back_to_the_offline_grammar_within_the_turn_budget(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    settings = voice_settings(database_url, tmp_path, turn_timeout=1.2)
    model = ScriptedChatModel([HANG, HANG])
    async with running_agent(settings, factory, model) as agent:
        agenda = await _ask(agent, people, "What's on today?")
        joke = await _ask(agent, people, "Tell me a joke")
        assert agent.resets == 2
    assert agenda.timed_out and agenda.used_fallback
    assert agenda.text.startswith(("On ", "Nothing is planned"))
    assert joke.timed_out and not joke.used_fallback and joke.text == TIMED_OUT


async def test_a_failing_model_is_answered_offline_and_the_thread_is_reset_with_a_summary(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    model = ScriptedChatModel([
        call("create_todo", title="Water the plants"), confirm,
        RuntimeError("model down"),
        RuntimeError("model down"),
        say("Welcome back."),
    ])  # fmt: skip
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        first = await _ask(agent, people, "Add a todo to water the plants")
        offline = await _ask(agent, people, "Add a todo to feed the cat")
        failed = await _ask(agent, people, "Sing me a song")
        back = await _ask(agent, people, "Hello again")
        assert agent.resets == 2
    assert first.text == 'Created "Water the plants".'
    assert offline.used_fallback and offline.text == 'Created "Feed the cat".'
    assert failed.text == FAILED and not failed.used_fallback
    assert back.text == "Welcome back."
    summary = _system(model.seen[-1])
    assert 'The user said "Add a todo to water the plants".' in summary
    assert 'Done: Created "Water the plants".' in summary
    assert 'The user said "Sing me a song", but that turn did not finish.' in summary
    assert [type(m) for m in model.seen[-1][1:]] == [HumanMessage]


async def test_a_new_agent_over_the_same_checkpoints_continues_the_conversation(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    settings = voice_settings(database_url, tmp_path)

    def complete_the_todo_made_earlier(messages):
        made = next(m for m in messages if isinstance(m, ToolMessage))
        return call("complete_todo", todo_id=made.artifact["structured_content"]["todo"]["id"])

    before = ScriptedChatModel([call("create_todo", title="Book flights"), confirm])
    async with running_agent(settings, factory, before) as agent:
        await _ask(agent, people, "Add a todo to book flights")
    after = ScriptedChatModel([complete_the_todo_made_earlier, confirm])
    async with running_agent(settings, factory, after) as agent:
        result = await _ask(agent, people, "Mark it done")
    assert result.text == 'Completed "Book flights".'
    history = after.seen[0][1:]
    assert (
        isinstance(history[0], HumanMessage) and history[0].content == "Add a todo to book flights"
    )
    assert isinstance(history[-1], HumanMessage) and history[-1].content == "Mark it done"
    with factory() as s:
        assert s.scalar(select(Todo.completed).where(Todo.title == "Book flights")) is True


async def test_a_reset_thread_and_its_owner_survive_a_restart(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    settings = voice_settings(database_url, tmp_path)
    failing = ScriptedChatModel([RuntimeError("model down")])
    async with running_agent(settings, factory, failing) as agent:
        await _ask(agent, people, "Plan my week")
    later = ScriptedChatModel([say("Let us plan it.")])
    async with running_agent(settings, factory, later) as agent:
        result = await _ask(agent, people, "Plan my week please")
        try:
            await agent.turn(
                user_id=people.bob.id, conversation_id=people.call, channel=Channel.phone, text="Hi"
            )
            raise AssertionError("Bob took over Ann's conversation")
        except PermissionError:
            pass
    assert result.text == "Let us plan it."
    assert 'The user said "Plan my week", but that turn did not finish.' in _system(later.seen[0])
    assert not any(isinstance(m, AIMessage) for m in later.seen[0][1:])
