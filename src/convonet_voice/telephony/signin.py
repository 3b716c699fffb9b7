"""Sign-in by phone: the caller's number or typed account digits, then the PIN by keys or voice.

Nothing here logs digits, PINs or what the caller said; only call sids and user ids.
"""

from __future__ import annotations

import logging
import re
import uuid

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from twilio.twiml.voice_response import VoiceResponse

from convonet_mcp.models import User
from convonet_mcp.services.accounts import PinRejected, find_account, verify_pin
from convonet_voice.telephony import records
from convonet_voice.telephony.calls import MAX_PIN_TRIES, MAX_SILENCES, CallState, Stage, Telephony
from convonet_voice.telephony.conversation import signed_in
from convonet_voice.telephony.signature import webhook_url
from convonet_voice.telephony.twiml import ask, goodbye

logger = logging.getLogger("convonet.telephony")

VERIFY_PATH = "/convonet_todo/twilio/verify_pin"

_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "niner": "9",
}  # fmt: skip
# Homophones a recogniser writes for digits; read as digits only next to other digits.
_SOUNDALIKES = {"to": "2", "too": "2", "for": "4", "fore": "4", "ate": "8", "won": "1"}
_REPEAT = {"double": 2, "triple": 3}
_TOKEN = re.compile(r"[a-z]+|[0-9]+")

ASK_NUMBER = (
    "Please enter the phone number of your account, or your account number, "
    "followed by the pound key."
)
ASK_PIN = "Please enter your PIN followed by the pound key, or say it one digit at a time."


def spoken_digits(text: str) -> str:
    """Read digits from keypad input or a transcript: "one two three four", "oh" as zero.

    Other words ("my pin is") are skipped; "double five" is 55.
    """
    tokens = _TOKEN.findall(text.lower().replace("-", " "))
    digits: list[str] = []
    repeat = 1
    for index, token in enumerate(tokens):
        if token.isdigit():
            digits.append(token * repeat if len(token) == 1 else token)
        elif token in _WORDS:
            digits.append(_WORDS[token] * repeat)
        elif token in _REPEAT:
            repeat = _REPEAT[token]
            continue
        elif token in _SOUNDALIKES and _near_digit(tokens, index):
            digits.append(_SOUNDALIKES[token] * repeat)
        repeat = 1
    return "".join(digits)


def _near_digit(tokens: list[str], index: int) -> bool:
    neighbours = tokens[max(0, index - 1) : index] + tokens[index + 1 : index + 2]
    return any(t.isdigit() or t in _WORDS for t in neighbours)


def account_candidates(digits: str) -> list[str]:
    """Identifiers to try for typed digits: an account number (username), then phone forms."""
    if not digits:
        return []
    found = [digits, f"+{digits}"]
    if len(digits) == 10:
        found.append(f"+1{digits}")
    return found


def entered(form: FormData) -> str:
    """The digits the caller typed, or else spoke."""
    keys = str(form.get("Digits") or "")
    return spoken_digits(keys or str(form.get("SpeechResult") or ""))


def _find(session: Session, identifiers: list[str]) -> str | None:
    for identifier in identifiers:
        user = find_account(session, identifier=identifier)
        if user is not None and user.is_active:
            return str(user.id)
    return None


async def start_call(tel: Telephony, form: FormData) -> VoiceResponse:
    """Answer a new call: open its record, recognise the number, ask for the PIN or number."""
    call_sid = str(form.get("CallSid") or "")
    caller = str(form.get("From") or "")
    called = str(form.get("To") or "")

    def work(session: Session) -> str | None:
        records.open_call(session, call_sid=call_sid, from_number=caller, to_number=called)
        return _find(session, [caller]) if caller else None

    candidate = await tel.db(work)
    state = CallState(stage=Stage.pin if candidate else Stage.identify, candidate_id=candidate)
    await tel.save(call_sid, state)
    logger.info("Call %s started (%s caller)", call_sid, "known" if candidate else "unknown")
    prompt = ASK_PIN if candidate else ASK_NUMBER
    return ask(
        tel.settings,
        lead=["Welcome to Convonet."],
        prompt=prompt,
        action=webhook_url(tel.settings, VERIFY_PATH),
        finish_on_key="#",
    )


async def verify(tel: Telephony, form: FormData, call_sid: str, state: CallState) -> VoiceResponse:
    """Take the account number or the PIN the caller entered, and move the call on."""
    if state.stage is Stage.talk:
        return await signed_in(tel, call_sid, state, lead=[])
    if state.stage is not Stage.identify and state.stage is not Stage.pin:
        return goodbye(tel.settings, "Goodbye.")
    value = entered(form)
    if not value:
        return await _silence(tel, call_sid, state)
    state.silences = 0
    if state.stage is Stage.identify:
        state.candidate_id = await tel.db(lambda s: _find(s, account_candidates(value)))
        state.stage = Stage.pin
        await tel.save(call_sid, state)
        return _ask_pin(tel, lead="Thank you.")
    return await _check_pin(tel, form, call_sid, state, value)


async def _check_pin(
    tel: Telephony, form: FormData, call_sid: str, state: CallState, pin: str
) -> VoiceResponse:
    caller = str(form.get("From") or "") or None
    settings = tel.settings

    def work(session: Session) -> str:
        user = session.get(User, uuid.UUID(state.candidate_id)) if state.candidate_id else None
        verify_pin(
            session,
            user=user,
            pin=pin,
            secrets=tel.secrets,
            caller=caller,
            store=tel.limits,
            max_failures=settings.pin_max_failures,
            lock_minutes=settings.pin_lock_minutes,
        )
        if user is None:  # verify_pin refuses an unknown account; this is for the type checker
            raise RuntimeError("PIN accepted without an account")
        records.attach_user(session, call_sid=call_sid, user_id=user.id)
        return str(user.id)

    try:
        user_id = await tel.db(work)
    except PinRejected as exc:
        tries = await tel.sessions.incr(f"pin-tries:{call_sid}", ttl=3600)
        logger.info("Call %s: PIN refused (try %d, locked=%s)", call_sid, tries, exc.locked)
        if exc.locked:
            await _end(tel, call_sid, state)
            return goodbye(
                settings,
                "For your security, PIN sign-in is paused on this account for a while.",
                "Please try again later. Goodbye.",
            )
        if tries >= MAX_PIN_TRIES:
            await _end(tel, call_sid, state)
            return goodbye(
                settings,
                "Sorry, that PIN did not match again.",
                "Please check your PIN and call back. Goodbye.",
            )
        return _ask_pin(tel, lead="Sorry, that PIN did not match.")
    state.user_id = user_id
    state.stage = Stage.talk
    await tel.sessions.delete(f"pin-tries:{call_sid}")
    logger.info("Call %s signed in as user %s", call_sid, user_id)
    return await signed_in(tel, call_sid, state)


async def _silence(tel: Telephony, call_sid: str, state: CallState) -> VoiceResponse:
    state.silences += 1
    if state.silences > MAX_SILENCES:
        await _end(tel, call_sid, state)
        return goodbye(tel.settings, "I didn't hear anything. Please call back any time. Goodbye.")
    await tel.save(call_sid, state)
    prompt = ASK_PIN if state.stage is Stage.pin else ASK_NUMBER
    return ask(
        tel.settings,
        lead=["Are you still there?"],
        prompt=prompt,
        action=webhook_url(tel.settings, VERIFY_PATH),
        finish_on_key="#",
    )


def _ask_pin(tel: Telephony, *, lead: str) -> VoiceResponse:
    return ask(
        tel.settings,
        lead=[lead],
        prompt=ASK_PIN,
        action=webhook_url(tel.settings, VERIFY_PATH),
        finish_on_key="#",
    )


async def _end(tel: Telephony, call_sid: str, state: CallState) -> None:
    state.stage = Stage.ended
    await tel.save(call_sid, state)
