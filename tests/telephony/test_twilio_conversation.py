"""The signed-in conversation: turns, hints, silence, goodbyes, late agents, retried deliveries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import CallRecording, Role, Team, TeamMembership, Todo, User
from convonet_voice.telephony.calls import Agent
from convonet_voice.telephony.conversation import is_goodbye
from twilio_helpers import (
    ANN,
    PIN,
    Call,
    EchoAgent,
    GatedAgent,
    build_app,
    hangs_up,
    listens,
    phone,
    spoken,
    voice_settings,
)


def signed_in_call(
    factory: sessionmaker[Session], secrets: Secrets, agent: Agent, **settings: Any
) -> Iterator[Call]:
    app = build_app(voice_settings(**settings), factory, secrets, agent)
    with phone(app) as client:
        call = Call(client, caller=ANN)
        call.post("call")
        assert "signed in" in spoken(call.keys(PIN))
        yield call


@pytest.mark.parametrize(
    "text",
    ["That's all, thanks.", "that's it", "Goodbye!", "No, that's all. Thank you very much.", "bye"],
)
def test_closing_phrases_are_goodbyes(text: str) -> None:
    assert is_goodbye(text)


@pytest.mark.parametrize(
    "text",
    [
        "mark the report done",
        "I'm done with the report, mark it complete",
        "add a todo to say goodbye to Bob",
        "thanks",
        "what's on my list",
        "",
    ],
)
def test_requests_that_mention_closing_words_are_not_goodbyes(text: str) -> None:
    assert not is_goodbye(text)


def test_each_turn_speaks_the_answer_inside_a_listening_gather(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    agent = EchoAgent()
    for call in signed_in_call(factory, secrets, agent, twilio_voice="Polly.Brian"):
        answer = call.say("what's on my list")
        assert agent.turns == ["what's on my list"]
        gather = answer.find("Gather")
        assert gather is not None
        assert gather.get("input") == "speech dtmf"
        assert gather.get("speechTimeout") == "auto"
        assert gather.get("bargeIn") == "true"
        says = gather.findall("Say")
        assert [s.text for s in says] == ["You said: what's on my list."]
        assert {s.get("voice") for s in answer.iter("Say")} == {"Polly.Brian"}


def test_speech_hints_come_from_the_callers_teams_and_open_todos(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    with factory() as session:
        team = Team(name="Platform Crew")
        session.add(team)
        session.flush()
        session.add(TeamMembership(team_id=team.id, user_id=ann.id, role=Role.member))
        session.add(Todo(title="Quarterly report", creator_id=ann.id))
        session.add(Todo(title="Old, finished thing", creator_id=ann.id, completed=True))
        session.commit()
    for call in signed_in_call(factory, secrets, EchoAgent()):
        hints = call.say("hello").find("Gather").get("hints")
        assert hints is not None
        assert "Platform Crew" in hints and "Quarterly report" in hints
        assert "finished thing" not in hints


def test_silence_gets_are_you_still_there_and_then_a_polite_goodbye(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    agent = EchoAgent()
    for call in signed_in_call(factory, secrets, agent):
        first = call.answer()
        assert "Are you still there?" in spoken(first) and listens(first)
        call.say("hello")  # speaking again resets the count
        call.answer()
        call.answer()
        last = call.answer()
        assert hangs_up(last)
        assert agent.turns == ["hello"]
        assert agent.ended == [call.sid]


def test_that_is_all_thanks_ends_the_call_and_the_conversation(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    agent = EchoAgent()
    for call in signed_in_call(factory, secrets, agent):
        call.say("mark the report done")
        assert listens(call.last)
        last = call.say("That's all, thanks.")
        assert hangs_up(last)
        assert "Goodbye" in spoken(last)
        assert agent.turns == ["mark the report done"]
        assert agent.ended == [call.sid]


def test_a_late_agent_gets_a_holding_line_and_the_turn_continues_on_a_redirect(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    agent = GatedAgent()
    for call in signed_in_call(factory, secrets, agent, webhook_timeout=0.5):
        started = time.monotonic()
        holding = call.say("add a todo to call the bank")
        assert time.monotonic() - started < 12
        assert "One moment" in spoken(holding)
        redirect = holding.find("Redirect")
        assert redirect is not None and "process_audio?pending=" in (redirect.text or "")
        assert agent.started.is_set()

        agent.gate.set()
        answer = call.follow()
        assert "You said: add a todo to call the bank." in spoken(answer)
        assert listens(answer)
        assert agent.turns == ["add a todo to call the bank"]


def test_a_retried_delivery_replays_the_first_answer_without_a_second_turn(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    agent = EchoAgent()
    for call in signed_in_call(factory, secrets, agent):
        gather = call.last.find("Gather")
        assert gather is not None
        url = gather.get("action")
        params = call.params(SpeechResult="what's on my list")
        first = call.post_url(url, params, idempotency="idem-1").text
        again = call.post_url(url, params, idempotency="idem-1").text
        assert again == first
        assert agent.turns == ["what's on my list"]
        call.post_url(url, params, idempotency="idem-2")
        assert len(agent.turns) == 2


def test_the_status_callback_closes_the_record_with_duration_and_transcript(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    agent = EchoAgent()
    for call in signed_in_call(factory, secrets, agent, record_transcripts=True):
        call.say("what's on my list")
        call.say("that's all")
        call.end(duration=63)
        call.end(duration=63)  # Twilio may deliver it twice
    with factory() as session:
        record = session.scalar(select(CallRecording).where(CallRecording.call_sid == call.sid))
        assert record is not None
        assert (record.status, record.duration_seconds) == ("completed", 63)
        assert record.transcription == (
            "Caller: what's on my list\n"
            "Assistant: You said: what's on my list.\n"
            "Caller: that's all\n"
            "Assistant: Thanks for calling Convonet. Goodbye!"
        )


def test_without_transcripts_enabled_the_record_keeps_no_words(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in signed_in_call(factory, secrets, EchoAgent()):
        call.say("what's on my list")
        call.end(status="completed", duration=5)
    with factory() as session:
        record = session.scalar(select(CallRecording).where(CallRecording.call_sid == call.sid))
        assert record is not None
        assert record.duration_seconds == 5 and record.transcription is None


class BrokenAgent(EchoAgent):
    """An agent whose turn fails."""

    async def turn(self, **kwargs: Any) -> Any:
        raise RuntimeError("the model service is down")


def test_a_failing_agent_turn_is_apologised_for_and_the_call_goes_on(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in signed_in_call(factory, secrets, BrokenAgent()):
        answer = call.say("what's on my list")
        assert "something went wrong on my side" in spoken(answer)
        assert listens(answer)
