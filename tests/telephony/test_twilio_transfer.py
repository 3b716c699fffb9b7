"""Transfers to a human at the PBX: the SIP dial, each outcome, voicemail, back to the assistant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import CallRecording, TransferRequest, TransferStatus, User
from twilio_helpers import (
    ANN,
    PIN,
    Call,
    TransferAgent,
    build_app,
    hangs_up,
    listens,
    phone,
    sip_headers,
    spoken,
    voice_settings,
)


def transferring(
    factory: sessionmaker[Session], secrets: Secrets, **settings: Any
) -> Iterator[Call]:
    """A signed-in call whose caller has just asked for sales and heard the transfer line."""
    app = build_app(voice_settings(**settings), factory, secrets, TransferAgent(factory))
    with phone(app) as client:
        call = Call(client, caller=ANN)
        call.post("call")
        call.keys(PIN)
        heard = call.say("put me through to sales")
        assert "Transferring you to sales." in spoken(heard)
        redirect = heard.find("Redirect")
        assert redirect is not None
        assert "/convonet_todo/twilio/transfer?transfer_id=" in (redirect.text or "")
        yield call


def the_transfer(factory: sessionmaker[Session]) -> TransferRequest:
    with factory() as session:
        found = session.scalars(select(TransferRequest)).one()
        session.expunge(found)
        return found


def test_a_transfer_dials_the_extension_over_sip_with_the_caller_and_transfer_ids(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in transferring(factory, secrets):
        dial_twiml = call.follow()
        transfer = the_transfer(factory)
        dial = dial_twiml.find("Dial")
        assert dial is not None
        assert dial.get("answerOnBridge") == "true"
        assert dial.get("callerId") == "+14155550199"
        assert (dial.get("action") or "").endswith(
            f"/convonet_todo/twilio/transfer_callback?transfer_id={transfer.id}"
        )
        sip = dial.find("Sip")
        assert sip is not None and sip.text is not None
        uri, _, _ = sip.text.partition("?")
        assert uri == f"sip:{transfer.extension}@pbx.example.com;transport=tcp"
        assert sip_headers(sip.text) == {
            "X-Convonet-User-Id": str(ann.id),
            "X-Convonet-Transfer-Id": str(transfer.id),
        }
        assert (sip.get("username"), sip.get("password")) == ("convonet", "sip-secret")
        assert transfer.status is TransferStatus.ringing
        assert transfer.call_sid == call.sid


@pytest.mark.parametrize(
    ("dial_status", "final"),
    [
        ("completed", TransferStatus.completed),
        ("busy", TransferStatus.failed),
        ("no-answer", TransferStatus.failed),
        ("failed", TransferStatus.failed),
        ("canceled", TransferStatus.cancelled),
    ],
)
def test_the_transfer_status_follows_each_dial_outcome(
    factory: sessionmaker[Session],
    secrets: Secrets,
    ann: User,
    dial_status: str,
    final: TransferStatus,
) -> None:
    for call in transferring(factory, secrets):
        dial = call.follow().find("Dial")
        assert dial is not None
        call.post_url(dial.get("action") or "", call.params(DialCallStatus=dial_status))
        outcome = call.last
        assert outcome is not None
        assert the_transfer(factory).status is final
        if dial_status == "completed":
            assert hangs_up(outcome) and "Goodbye" in spoken(outcome)
        elif dial_status == "canceled":
            assert hangs_up(outcome)
        else:
            assert "voicemail" in spoken(outcome) and "assistant" in spoken(outcome)
            assert listens(outcome)


def failed_transfer(call: Call) -> None:
    dial = call.follow().find("Dial")
    assert dial is not None
    call.post_url(dial.get("action") or "", call.params(DialCallStatus="no-answer"))


def test_after_a_failed_transfer_the_caller_can_leave_a_voicemail(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in transferring(factory, secrets):
        failed_transfer(call)
        prompt = call.keys("1")
        record = prompt.find("Record")
        assert record is not None and record.get("playBeep") == "true"
        call.post_url(
            record.get("action") or "",
            call.params(RecordingUrl="https://api.twilio.com/rec/RE123", RecordingDuration="17"),
        )
        assert call.last is not None and hangs_up(call.last)
    with factory() as session:
        row = session.scalar(select(CallRecording).where(CallRecording.call_sid == call.sid))
        assert row is not None
        assert row.recording_url == "https://api.twilio.com/rec/RE123"
        assert row.user_id == ann.id


def test_after_a_failed_transfer_the_caller_can_carry_on_with_the_assistant(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in transferring(factory, secrets):
        failed_transfer(call)
        back = call.say("the assistant please")
        assert "I'm back" in spoken(back)
        gather = back.find("Gather")
        assert gather is not None
        assert (gather.get("action") or "").endswith("/convonet_todo/twilio/process_audio")


def test_hanging_up_while_the_extension_rings_cancels_the_transfer(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in transferring(factory, secrets):
        call.follow()
        call.end(status="completed", duration=30)
    assert the_transfer(factory).status is TransferStatus.cancelled


def test_without_a_pbx_configured_the_transfer_fails_and_offers_the_alternatives(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in transferring(factory, secrets, pbx_sip_domain=None):
        offer = call.follow()
        assert offer.find("Dial") is None
        assert "voicemail" in spoken(offer)
    assert the_transfer(factory).status is TransferStatus.failed


def test_another_callers_transfer_cannot_be_dialed(
    factory: sessionmaker[Session], secrets: Secrets, ann: User
) -> None:
    for call in transferring(factory, secrets):
        other = f"{call.base}/convonet_todo/twilio/transfer?transfer_id={uuid.uuid4()}"
        call.post_url(other, call.params())
        assert call.last is not None and call.last.find("Dial") is None
        assert listens(call.last)
