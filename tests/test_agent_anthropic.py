"""The real langchain-anthropic path against a local fake Messages API, and its fallback."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from agent_support import running_agent, seed_people, voice_settings
from convonet_mcp.models import Channel, Todo
from convonet_voice.agent.prompts import FAILED
from convonet_voice.settings import VoiceSettings
from fake_anthropic import Failure, FakeAnthropic, Reply, serve

BOUND = 30
MODEL = VoiceSettings().anthropic_model


async def test_claude_is_reached_through_langchain_anthropic_with_streaming_and_real_tools(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    fake = FakeAnthropic(
        script=[
            Reply("Let me add that.", tools=(("create_todo", {"title": "Buy milk"}),)),
            Reply("Done. Buy milk is on your list."),
        ]
    )
    async with serve(fake):
        settings = voice_settings(
            database_url,
            tmp_path,
            anthropic_api_key="sk-test",
            anthropic_base_url=fake.url,
            anthropic_model=MODEL,
        )
        async with running_agent(settings, factory) as agent:
            assert agent.has_model
            result = await asyncio.wait_for(
                agent.turn(
                    user_id=people.ann.id, conversation_id=people.call, channel=Channel.phone,
                    text="Add a todo to buy milk",
                ),
                BOUND,
            )  # fmt: skip
    assert result.text == "Let me add that. Done. Buy milk is on your list."
    assert not result.used_fallback and not result.timed_out
    first, second = fake.requests
    assert first["model"] == MODEL and first["stream"] is True
    assert fake.api_keys == ["sk-test", "sk-test"]
    assert len(first["tools"]) == 38 and "Ann Tester" in str(first["system"])
    results = [b for m in second["messages"] for b in m["content"] if isinstance(b, dict)]
    assert any(b.get("type") == "tool_result" for b in results)
    with factory() as s:
        assert s.scalar(select(Todo.creator_id).where(Todo.title == "Buy milk")) == people.ann.id


async def test_when_claude_returns_errors_the_offline_grammar_answers_and_the_thread_resets(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    fake = FakeAnthropic(default=Failure(529, "overloaded_error"))
    async with serve(fake):
        settings = voice_settings(
            database_url,
            tmp_path,
            anthropic_api_key="sk-test",
            anthropic_base_url=fake.url,
            anthropic_model=MODEL,
        )
        async with running_agent(settings, factory) as agent:

            async def ask(text):
                return await asyncio.wait_for(
                    agent.turn(
                        user_id=people.ann.id, conversation_id=people.call,
                        channel=Channel.phone, text=text,
                    ),
                    BOUND,
                )  # fmt: skip

            handled = await ask("Add a todo to buy bread")
            unknown = await ask("What is the meaning of life?")
            assert agent.resets == 2
    assert handled.used_fallback and handled.text == 'Created "Buy bread".'
    assert unknown.text == FAILED and not unknown.used_fallback
    assert len(fake.requests) >= 2
    with factory() as s:
        assert (
            s.scalar(
                select(Todo.title).where(
                    Todo.creator_id == people.ann.id, Todo.title == "Buy bread"
                )
            )
            == "Buy bread"
        )
