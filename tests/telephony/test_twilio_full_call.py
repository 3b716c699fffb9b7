"""A whole phone call through the real app and the real agent (offline grammar, no API key)."""

from __future__ import annotations

import secrets as random
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import CallRecording, Todo, TransferRequest, TransferStatus, User
from convonet_voice.app import create_app
from twilio_helpers import (
    ANN,
    PIN,
    Call,
    add_caller,
    hangs_up,
    listens,
    phone,
    sip_headers,
    spoken,
    voice_settings,
)


def test_a_caller_signs_in_creates_lists_and_completes_a_todo_then_says_goodbye(
    database_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    secrets = Secrets(pin_pepper=random.token_urlsafe(32), jwt_secret=random.token_urlsafe(32))
    settings = voice_settings(
        database_url=database_url,
        data_dir=tmp_path,
        pin_pepper=secrets.pin_pepper,
        jwt_secret=secrets.jwt_secret,
        anthropic_api_key=None,
        record_transcripts=True,
    )
    ann = add_caller(factory, secrets, "ann", phone=ANN)

    with phone(create_app(settings)) as client:
        call = Call(client, caller=ANN)
        greeting = call.post("call")
        assert "Welcome to Convonet" in spoken(greeting) and listens(greeting)

        assert "did not match" in spoken(call.keys("4072#"))  # a slip on the keypad
        signed_in = call.say("four oh seven one")
        assert "Thanks, Ann. You're signed in." in spoken(signed_in)

        created = call.say("Add a todo to send the quarterly report")
        assert listens(created)
        with factory() as session:
            todo = session.scalars(select(Todo).where(Todo.creator_id == ann.id)).one()
            assert todo.title == "Send the quarterly report" and not todo.completed

        listed = call.say("What are my todos?")
        assert "quarterly report" in spoken(listed).lower()
        assert "quarterly report" in (listed.find("Gather").get("hints") or "").lower()

        completed = call.say("Mark the quarterly report done")
        assert listens(completed), "a request that says 'done' does not end the call"
        with factory() as session:
            todo = session.scalars(select(Todo).where(Todo.creator_id == ann.id)).one()
            assert todo.completed

        goodbye = call.say("That's all, thanks.")
        assert hangs_up(goodbye) and "Goodbye" in spoken(goodbye)
        call.end(duration=95)

    with factory() as session:
        record = session.scalar(select(CallRecording).where(CallRecording.call_sid == call.sid))
        user = session.get(User, ann.id)
        assert record is not None and user is not None
        assert (record.status, record.duration_seconds, record.user_id) == (
            "completed",
            95,
            ann.id,
        )
        assert record.transcription is not None
        assert "Caller: Add a todo to send the quarterly report" in record.transcription
        assert "four oh seven one" not in record.transcription


def test_asking_the_real_agent_for_a_person_dials_the_department_at_the_pbx(
    database_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    secrets = Secrets(pin_pepper=random.token_urlsafe(32), jwt_secret=random.token_urlsafe(32))
    settings = voice_settings(
        database_url=database_url,
        data_dir=tmp_path,
        pin_pepper=secrets.pin_pepper,
        jwt_secret=secrets.jwt_secret,
        anthropic_api_key=None,
    )
    ann = add_caller(factory, secrets, "ann", phone=ANN)
    with phone(create_app(settings)) as client:
        call = Call(client, caller=ANN)
        call.post("call")
        call.keys(PIN)
        heard = call.say("Let me talk to a person in sales")
        assert "Transferring you to sales" in spoken(heard)
        sip = call.follow().find("Dial/Sip")
        assert sip is not None and sip.text is not None
        with factory() as session:
            transfer = session.scalars(select(TransferRequest)).one()
            assert transfer.user_id == ann.id and transfer.status is TransferStatus.ringing
        assert sip.text.startswith(f"sip:{transfer.extension}@pbx.example.com;transport=tcp?")
        assert sip_headers(sip.text)["X-Convonet-Transfer-Id"] == str(transfer.id)
