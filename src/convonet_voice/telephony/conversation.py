"""The signed-in conversation: one agent turn per webhook, holding lines, goodbyes, reprompts."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from twilio.twiml.voice_response import VoiceResponse

from convonet_mcp.models import Channel, Team, TeamMembership, Todo, User
from convonet_voice.telephony.calls import MAX_SILENCES, CallState, Stage, Telephony
from convonet_voice.telephony.signature import webhook_url
from convonet_voice.telephony.twiml import ask, goodbye, hold, say

logger = logging.getLogger("convonet.telephony")

TALK_PATH = "/convonet_todo/twilio/process_audio"
TRANSFER_PATH = "/convonet_todo/twilio/transfer"
TURN_TTL = 300.0
MAX_HOLDS = 3
MAX_HINT_TODOS = 40

ASK_NEXT = "What can I do for you?"
HOLDING = "One moment, I'm still working on that."
FAILED_TURN = "Sorry, something went wrong on my side. Could you say that again?"
GOODBYE = "Thanks for calling Convonet. Goodbye!"

# A goodbye is a closing phrase with nothing but politeness around it, so "that's all,
# thanks" ends the call and "mark the report done" does not.
_CLOSERS = re.compile(
    r"\b(?:thats (?:all|it|everything)|that is (?:all|it|everything)|good ?bye|bye|"
    r"(?:im|i am|were|we are) (?:done|finished|all set)|nothing else|hang up|"
    r"end (?:the )?call|all set)\b"
)
_POLITE = frozenset(
    re.findall(
        r"\w+",
        "ok okay no nope thanks thank you very much so for now then great cool alright all right "
        "perfect thats that is it everything good bye goodbye im i am were we are done finished "
        "nothing else hang up end the call set please cheers oh well yes yeah really",
    )
)


def is_goodbye(text: str) -> bool:
    """True when the caller is closing the call ("that's all, thanks", "bye")."""
    normal = " ".join(re.findall(r"[a-z]+", text.lower().replace("'", "").replace("\u2019", "")))
    if not normal or not _CLOSERS.search(normal):
        return False
    return all(word in _POLITE for word in normal.split())


@dataclass(frozen=True)
class Caller:
    """What a prompt needs to know about the signed-in user."""

    first_name: str
    hints: list[str]


def caller_context(session: Session, user_id: uuid.UUID) -> Caller:
    """Return the user's first name and speech hints: their team names and open todo titles."""
    user = session.get(User, user_id)
    teams = session.scalars(
        select(Team.name)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == user_id, Team.is_active.is_(True))
        .order_by(Team.name)
    )
    todos = session.scalars(
        select(Todo.title)
        .where(
            or_(Todo.creator_id == user_id, Todo.assignee_id == user_id),
            Todo.completed.is_(False),
        )
        .order_by(Todo.created_at.desc())
        .limit(MAX_HINT_TODOS)
    )
    name = (user.first_name or user.username) if user is not None else ""
    return Caller(first_name=name, hints=[*teams, *todos])


async def _caller(tel: Telephony, state: CallState) -> Caller:
    user_id = state.user_uuid
    if user_id is None:
        return Caller(first_name="", hints=[])

    return await tel.db(lambda session: caller_context(session, user_id))


def _listen(tel: Telephony, state: CallState, prompt: str, lead: list[str]) -> VoiceResponse:
    action = webhook_url(tel.settings, TALK_PATH)
    return ask(tel.settings, prompt=prompt, action=action, hints=state.hints, lead=lead)


async def signed_in(
    tel: Telephony, call_sid: str, state: CallState, *, lead: list[str] | None = None
) -> VoiceResponse:
    """Save the call's state and listen: after a greeting by name, or after ``lead`` lines."""
    caller = await _caller(tel, state)
    state.first_name, state.hints = caller.first_name, caller.hints
    await tel.save(call_sid, state)
    if lead is None:
        name = caller.first_name
        lead = [f"Thanks, {name}. You're signed in." if name else "Thanks. You're signed in."]
    return _listen(tel, state, ASK_NEXT, lead)


async def _run_turn(tel: Telephony, key: str, call_sid: str, user_id: uuid.UUID, text: str) -> None:
    """Run one agent turn and leave its outcome in the store for whichever webhook asks."""
    try:
        result = await asyncio.wait_for(
            tel.agent.turn(
                user_id=user_id, conversation_id=call_sid, channel=Channel.phone, text=text
            ),
            timeout=tel.settings.turn_timeout + tel.settings.webhook_timeout,
        )
        transfer = result.transfer
        outcome = {
            "call_sid": call_sid,
            "text": result.text,
            "transfer": None
            if transfer is None
            else {"transfer_id": str(transfer.transfer_id), "department": transfer.department},
        }
    except asyncio.CancelledError:
        raise
    except Exception:  # the boundary of a background turn: the caller must still hear something
        logger.exception("Call %s: the agent turn failed", call_sid)
        outcome = {"call_sid": call_sid, "text": FAILED_TURN, "transfer": None}
    await tel.sessions.set(key, json.dumps(outcome), ttl=TURN_TTL)


def hold_after(tel: Telephony) -> float:
    """Seconds a webhook waits for the agent before answering with a holding line."""
    budget = tel.settings.webhook_timeout
    return max(0.0, budget - min(1.0, budget / 10))


async def take_turn(
    tel: Telephony, form: FormData, call_sid: str, state: CallState, *, pending: str | None
) -> VoiceResponse:
    """Answer what the caller said, or pick up a turn that was still running.

    Args:
        tel: The shared services.
        form: The posted webhook parameters (SpeechResult or Digits).
        call_sid: The call.
        state: The call's state; the caller is signed in.
        pending: The id of a turn a holding line redirected to, if any.
    """
    user_id = state.user_uuid
    if state.stage is not Stage.talk or user_id is None:
        return goodbye(tel.settings, "Please call again to sign in. Goodbye.")
    if pending:
        return await _finish(tel, call_sid, state, pending)
    text = str(form.get("SpeechResult") or form.get("Digits") or "").strip()
    if not text:
        state.silences += 1
        if state.silences > MAX_SILENCES:
            await end_conversation(tel, call_sid, state)
            return goodbye(tel.settings, "I haven't heard anything, so I'll hang up now. Goodbye.")
        await tel.save(call_sid, state)
        return _listen(tel, state, ASK_NEXT, ["Are you still there?"])
    state.silences = 0
    if is_goodbye(text):
        _remember(tel, state, "caller", text)
        _remember(tel, state, "assistant", GOODBYE)
        await end_conversation(tel, call_sid, state)
        return goodbye(tel.settings, GOODBYE)
    turn_id = uuid.uuid4().hex
    _remember(tel, state, "caller", text)
    state.holds = 0
    running = tel.spawn(_run_turn(tel, f"turn:{turn_id}", call_sid, user_id, text))
    # The speech hints are read while the agent thinks, so they cost the caller no time.
    refresh = asyncio.ensure_future(_caller(tel, state))
    return await _finish(tel, call_sid, state, turn_id, running, refresh)


async def _finish(
    tel: Telephony,
    call_sid: str,
    state: CallState,
    turn_id: str,
    running: asyncio.Task[None] | None = None,
    refresh: asyncio.Future[Caller] | None = None,
) -> VoiceResponse:
    """Answer with the turn's outcome, or a holding line while it is still running.

    A turn running in this worker is awaited directly; a continuation, which may reach
    another worker, waits for the outcome in the session store.
    """
    key = f"turn:{turn_id}"
    if running is not None:
        done, _ = await asyncio.wait({running}, timeout=hold_after(tel))
        raw = await tel.sessions.get(key) if done else None
    else:
        raw = await tel.sessions.wait(key, timeout=hold_after(tel))
    if refresh is not None:
        state.hints = (await refresh).hints
    if raw is None:
        state.holds += 1
        await tel.save(call_sid, state)
        if state.holds > MAX_HOLDS:
            logger.warning("Call %s: turn %s is still running; giving up on it", call_sid, turn_id)
            return _listen(tel, state, ASK_NEXT, [FAILED_TURN])
        url = webhook_url(tel.settings, TALK_PATH) + "?" + urlencode({"pending": turn_id})
        return hold(tel.settings, HOLDING, url)
    outcome = json.loads(raw)
    if outcome.get("call_sid") != call_sid:
        await tel.save(call_sid, state)
        return _listen(tel, state, ASK_NEXT, [])
    await tel.sessions.delete(key)
    return await _answer(tel, call_sid, state, outcome)


async def _answer(
    tel: Telephony, call_sid: str, state: CallState, outcome: dict[str, object]
) -> VoiceResponse:
    text = str(outcome["text"])
    _remember(tel, state, "assistant", text)
    transfer = outcome.get("transfer")
    if isinstance(transfer, dict):
        state.transfer_id = str(transfer["transfer_id"])
        await tel.save(call_sid, state)
        response = VoiceResponse()
        say(response, f"Transferring you to {transfer['department']}.", tel.settings)
        query = urlencode({"transfer_id": state.transfer_id})
        response.redirect(webhook_url(tel.settings, TRANSFER_PATH) + "?" + query, method="POST")
        return response
    await tel.save(call_sid, state)
    return _listen(tel, state, text, [])


def _remember(tel: Telephony, state: CallState, role: str, text: str) -> None:
    if tel.settings.record_transcripts:
        state.transcript.append((role, text))


async def end_conversation(tel: Telephony, call_sid: str, state: CallState) -> None:
    """Mark the call ended and let the agent forget the conversation."""
    state.stage = Stage.ended
    await tel.save(call_sid, state)
    try:
        await tel.agent.end(call_sid)
    except Exception:  # ending is best effort; the call is over either way
        logger.exception("Call %s: the agent could not end the conversation", call_sid)
