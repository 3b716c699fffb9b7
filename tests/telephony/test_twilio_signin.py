"""Signing in by phone: caller number or account digits, then the PIN by keypad or voice."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import CallRecording, User
from convonet_voice.telephony.signin import account_candidates, spoken_digits
from twilio_helpers import (
    ANN,
    PIN,
    TWILIO_NUMBER,
    Call,
    EchoAgent,
    add_caller,
    build_app,
    hangs_up,
    listens,
    phone,
    spoken,
    voice_settings,
)


@pytest.fixture
def line(factory: sessionmaker[Session], secrets: Secrets) -> Iterator[Call]:
    """A running phone line; ``line.client`` places calls, Ann's number is registered."""
    add_caller(factory, secrets, "ann", phone=ANN)
    app = build_app(voice_settings(), factory, secrets, EchoAgent())
    with phone(app) as client:
        yield Call(client, caller=ANN)


def new_call(line: Call, caller: str) -> Call:
    return Call(line.client, caller=caller)


def test_spoken_digits_reads_words_and_digits_with_oh_as_zero() -> None:
    assert spoken_digits("one two three four") == "1234"
    assert spoken_digits("four oh seven one") == "4071"
    assert spoken_digits("My PIN is 4 0 7 1.") == "4071"
    assert spoken_digits("4071") == "4071"
    assert spoken_digits("double five to nine") == "5529"
    assert spoken_digits("I forgot it") == ""


def test_account_candidates_try_the_account_number_then_phone_forms() -> None:
    assert account_candidates("4155550123") == ["4155550123", "+4155550123", "+14155550123"]
    assert account_candidates("") == []


def test_a_known_caller_signs_in_with_the_keypad_pin_and_is_greeted_by_name(line: Call) -> None:
    greeting = line.post("call")
    assert "Welcome to Convonet" in spoken(greeting)
    assert "PIN" in spoken(greeting)
    gather = greeting.find("Gather")
    assert gather is not None
    assert gather.get("finishOnKey") == "#"
    assert gather.get("input") == "speech dtmf"
    assert "Ann" not in spoken(greeting), "the name is only said after the PIN"

    after = line.keys(PIN + "#")
    assert "Thanks, Ann. You're signed in." in spoken(after)
    assert listens(after)
    assert after.find("Gather").get("action").endswith("/convonet_todo/twilio/process_audio")


def test_a_spoken_pin_signs_in_with_oh_read_as_zero(line: Call) -> None:
    line.post("call")
    after = line.say("four oh seven one")
    assert "You're signed in" in spoken(after)


def test_the_call_gets_a_record_with_its_numbers_and_the_signed_in_user(
    line: Call, factory: sessionmaker[Session]
) -> None:
    line.post("call")
    line.keys(PIN)
    with factory() as session:
        record = session.scalar(select(CallRecording).where(CallRecording.call_sid == line.sid))
        ann = session.scalar(select(User).where(User.username == "ann"))
        assert record is not None and ann is not None
        assert (record.from_number, record.to_number) == (ANN, TWILIO_NUMBER)
        assert record.user_id == ann.id
        assert record.status == "in-progress"


def test_an_unknown_number_is_asked_for_the_account_and_signs_in_with_its_digits(
    line: Call,
) -> None:
    call = new_call(line, "+442071838750")
    greeting = call.post("call")
    assert "phone number of your account" in spoken(greeting)
    assert "PIN" in spoken(call.keys("4155550123#"))
    assert "Thanks, Ann. You're signed in." in spoken(call.keys(PIN))


def test_an_unknown_caller_and_account_hear_the_same_refusals_then_a_goodbye(line: Call) -> None:
    call = new_call(line, "+442071838750")
    call.post("call")
    asked = call.keys("9999999")
    assert "PIN" in spoken(asked), "an unknown account is not revealed before the PIN"
    assert "did not match" in spoken(call.keys("4071"))
    assert "did not match" in spoken(call.keys("4071"))
    last = call.keys("4071")
    assert "call back" in spoken(last)
    assert hangs_up(last)


def test_three_wrong_pins_end_the_call_and_more_wrong_pins_lock_the_account(
    line: Call, factory: sessionmaker[Session]
) -> None:
    line.post("call")
    first = line.keys("1357")
    assert "did not match" in spoken(first) and listens(first)
    line.keys("2580")
    goodbye = line.keys("9513")
    assert hangs_up(goodbye)
    assert "Goodbye" in spoken(goodbye)

    second = new_call(line, ANN)
    second.post("call")
    second.keys("8642")
    locked = second.keys("7531")  # the fifth wrong PIN in a row locks PIN sign-in
    assert hangs_up(locked)
    assert "paused on this account" in spoken(locked)

    third = new_call(line, ANN)
    third.post("call")
    refused = third.keys(PIN)  # even the right PIN, while locked
    assert hangs_up(refused) and "paused" in spoken(refused)
    with factory() as session:
        ann = session.scalar(select(User).where(User.username == "ann"))
        assert ann is not None and ann.pin_locked_until is not None


def test_silence_at_the_pin_prompt_is_reprompted_then_the_call_ends(line: Call) -> None:
    line.post("call")
    first = line.answer()
    assert "Are you still there?" in spoken(first)
    assert listens(first)
    line.answer()
    last = line.answer()
    assert hangs_up(last)


def test_pins_and_digits_never_reach_the_logs(line: Call, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    call = new_call(line, "+442071838750")
    call.post("call")
    call.keys("4155550123")
    call.keys("1357")
    call.say("four oh seven one")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("4155550123", "1357", "4071", "four oh seven one", "442071838750"):
        assert secret not in logged
    assert any("signed in" in r.getMessage() for r in caplog.records)


def test_a_retried_pin_delivery_is_answered_again_without_counting_a_second_try(
    line: Call,
) -> None:
    line.post("call")
    gather = line.last.find("Gather") if line.last is not None else None
    assert gather is not None
    url = gather.get("action") or ""
    wrong = line.params(Digits="1357")
    first = line.post_url(url, wrong, idempotency="same-delivery").text
    assert line.post_url(url, wrong, idempotency="same-delivery").text == first
    assert "did not match" in spoken(line.keys("2580"))  # the second try, not the third
    assert hangs_up(line.keys("9513"))
