"""Handing the caller to a person: by the model, by the phrase backstop, offline; and streaming."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from agent_support import running_agent, seed_people, voice_settings
from convonet_mcp.models import Channel, TransferRequest
from convonet_voice.agent import TransferIntent
from convonet_voice.agent.transfer_intent import detect_transfer
from scripted_model import Gate, ScriptedChatModel, call, calls, confirm, say

BOUND = 30


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("let me talk to a person", "support"),
        ("Transfer me to sales", "sales"),
        ("Can I speak to a human, please?", "support"),
        ("Connect me with technical support.", "technical support"),
        ("I want to talk to someone in billing", "billing"),
        ("Agent!", "support"),
    ],
)
def test_whole_requests_for_a_person_are_detected_with_their_department(text, department):
    found = detect_transfer(text)
    assert found is not None and found.department == department


@pytest.mark.parametrize(
    "text",
    [
        "add a todo to email the agent",
        "mark the report done",
        "remind me to talk to a person tomorrow",
        "create a todo to call sales",
        "transfer the report to John",
        "schedule a meeting with the sales team",
    ],
)
def test_commands_that_merely_mention_people_or_departments_are_not_transfers(text):
    assert detect_transfer(text) is None


async def _turn(agent, people, text, channel=Channel.phone):
    return await asyncio.wait_for(
        agent.turn(user_id=people.ann.id, conversation_id=people.call, channel=channel, text=text),
        BOUND,
    )


async def test_the_model_transfers_to_a_department_and_the_turn_returns_the_intent(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    model = ScriptedChatModel([
        call("transfer_to_agent", department="sales", reason="Wants a team plan."), confirm,
    ])  # fmt: skip
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        result = await _turn(agent, people, "I'd like to buy a team plan from someone")
    assert result.transfer is not None
    assert (result.transfer.department, result.transfer.extension) == ("sales", "2002")
    assert result.transfer.reason == "Wants a team plan."
    with factory() as s:
        row = s.scalar(select(TransferRequest))
        assert str(row.id) == result.transfer.transfer_id
        assert row.channel == Channel.phone and row.call_sid == people.call


async def test_the_phrase_backstop_transfers_when_the_model_forgets_to(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    model = ScriptedChatModel([say("Of course.")])
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        result = await _turn(agent, people, "Transfer me to sales please")
    assert result.text == "Of course. Transferring you to sales at extension 2002."
    assert result.transfer is not None and result.transfer.department == "sales"


async def test_utterances_that_only_mention_an_agent_never_transfer(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    model = ScriptedChatModel([call("create_todo", title="Email the agent"), confirm])
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        made = await _turn(agent, people, "Add a todo to email the agent")
    async with running_agent(voice_settings(database_url, tmp_path), factory) as offline:
        done = await _turn(offline, people, "Mark the report done")
    assert made.transfer is None and done.transfer is None
    assert done.text == 'I could not find an open todo matching "report".'
    with factory() as s:
        assert s.scalar(select(TransferRequest)) is None


async def test_the_offline_grammar_transfers_to_a_person(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    async with running_agent(voice_settings(database_url, tmp_path), factory) as agent:
        result = await _turn(agent, people, "Let me talk to a person", Channel.browser)
    assert result.used_fallback and result.text == (
        "Transferring you to support at extension 2001."
    )
    assert result.transfer is not None and result.transfer.extension == "2001"
    with factory() as s:
        row = s.scalar(select(TransferRequest))
        assert row.channel == Channel.browser and row.session_id == people.call


async def test_stream_yields_each_sentence_before_the_reply_is_complete_then_the_transfer(
    database_url, tmp_path, factory, session, make_user, make_team
):
    people = seed_people(session, make_user, make_team)
    gate = asyncio.Event()
    model = ScriptedChatModel([
        Gate("One moment. ", gate, calls(
            ("transfer_to_agent", {"department": "technical", "reason": "Sync is broken."}),
            text="Let me find someone.",
        )),
        say("You are next in line."),
    ])  # fmt: skip
    items = []
    async with running_agent(voice_settings(database_url, tmp_path), factory, model) as agent:
        stream = agent.stream(
            user_id=people.ann.id, conversation_id=people.call, channel=Channel.phone,
            text="My calendar sync is broken",
        )  # fmt: skip
        async with asyncio.timeout(BOUND):
            async for item in stream:
                items.append(item)
                if item == "One moment.":
                    assert model.remaining == 1  # the model is still generating
                    gate.set()
    assert items[:3] == ["One moment.", "Let me find someone.", "You are next in line."]
    assert isinstance(items[3], TransferIntent) and items[3].department == "technical"
    assert len(items) == 4
