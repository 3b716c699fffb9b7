"""The Twilio voice webhooks under ``/convonet_todo/twilio``: signed, idempotent, always TwiML.

Every endpoint checks X-Twilio-Signature first (403, nothing touched, when it fails),
then answers a retried delivery (same ``I-Twilio-Idempotency-Token``) with the TwiML
the first delivery produced instead of running it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from twilio.twiml.voice_response import VoiceResponse

from convonet_voice.api.deps import Services
from convonet_voice.sessions import SessionStore, make_session_store
from convonet_voice.telephony import records, signin, transfer
from convonet_voice.telephony.calls import Agent, CallState, Stage, Telephony
from convonet_voice.telephony.conversation import TALK_PATH, end_conversation, hold_after, take_turn
from convonet_voice.telephony.signature import verified_form, webhook_url
from convonet_voice.telephony.twiml import ask, goodbye, twiml_response, xml

logger = logging.getLogger("convonet.telephony")

PREFIX = "/convonet_todo/twilio"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
IDEMPOTENCY_TTL = 24 * 60 * 60.0
_CLAIMED = "1"

Handler = Callable[[Telephony, Request, FormData], Awaitable[VoiceResponse]]


def telephony_of(request: Request) -> Telephony:
    """Return the telephony services the app's lifespan opened."""
    found = getattr(request.app.state, "telephony", None)
    if not isinstance(found, Telephony):
        raise RuntimeError("The app's lifespan has not opened the telephony services.")
    return found


def _idempotency_key(request: Request) -> str | None:
    token = request.headers.get(IDEMPOTENCY_HEADER)
    if not token:
        return None
    digest = hashlib.sha256(f"{request.url.path}?{request.url.query}|{token}".encode()).hexdigest()
    return f"idem:{digest[:40]}"


def webhook(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: signature check, idempotency, the webhook budget and a TwiML fallback."""

    async def endpoint(request: Request) -> Response:
        tel = telephony_of(request)
        form = await verified_form(request, tel.settings)
        key = _idempotency_key(request)
        if key is not None and not await tel.sessions.add(key, _CLAIMED, ttl=IDEMPOTENCY_TTL):
            return twiml_response(await _replay(tel, key, request))
        try:
            async with asyncio.timeout(tel.settings.webhook_timeout):
                body = xml(await handler(tel, request, form))
        except Exception:  # the webhook boundary: Twilio must always get valid TwiML
            logger.exception("Twilio webhook %s failed", request.url.path)
            if key is not None:
                await tel.sessions.delete(key)
            return twiml_response(
                goodbye(tel.settings, "Sorry, something went wrong. Please call again later.")
            )
        if key is not None:
            await tel.sessions.set(f"{key}:twiml", body, ttl=IDEMPOTENCY_TTL)
        return twiml_response(body)

    return endpoint


async def _replay(tel: Telephony, key: str, request: Request) -> str | VoiceResponse:
    """The first delivery's TwiML, waiting for it while that delivery still runs."""
    stored = await tel.sessions.wait(f"{key}:twiml", timeout=hold_after(tel))
    if stored is not None:
        logger.info("Replayed a retried delivery of %s", request.url.path)
        return stored
    path = signin.VERIFY_PATH if request.url.path == signin.VERIFY_PATH else TALK_PATH
    return ask(
        tel.settings,
        prompt="Sorry, could you say that again?",
        action=webhook_url(tel.settings, path),
    )


def _sid(form: FormData) -> str:
    return str(form.get("CallSid") or "")[:64]


async def _call(tel: Telephony, request: Request, form: FormData) -> VoiceResponse:
    return await signin.start_call(tel, form)


async def _verify_pin(tel: Telephony, request: Request, form: FormData) -> VoiceResponse:
    state = await tel.load(_sid(form))
    if state is None:
        return await signin.start_call(tel, form)
    return await signin.verify(tel, form, _sid(form), state)


async def _process_audio(tel: Telephony, request: Request, form: FormData) -> VoiceResponse:
    state = await tel.load(_sid(form))
    if state is None:
        return await signin.start_call(tel, form)
    pending = request.query_params.get("pending")
    return await take_turn(tel, form, _sid(form), state, pending=pending)


async def _transfer(tel: Telephony, request: Request, form: FormData) -> VoiceResponse:
    state = await tel.load(_sid(form))
    transfer_id = request.query_params.get("transfer_id") or (state and state.transfer_id)
    if state is None or state.stage is not Stage.talk or not transfer_id:
        return goodbye(tel.settings, "Sorry, I can't transfer this call. Goodbye.")
    return await transfer.start(tel, _sid(form), state, transfer_id)


async def _transfer_callback(tel: Telephony, request: Request, form: FormData) -> VoiceResponse:
    state = await tel.load(_sid(form))
    transfer_id = request.query_params.get("transfer_id") or (state and state.transfer_id)
    if state is None or not transfer_id:
        return goodbye(tel.settings, "Goodbye.")
    step = request.query_params.get("step")
    return await transfer.outcome(tel, form, _sid(form), state, transfer_id, step)


async def _status(tel: Telephony, request: Request, form: FormData) -> VoiceResponse:
    call_sid = _sid(form)
    status = str(form.get("CallStatus") or "")
    if status not in records.TERMINAL:
        return VoiceResponse()
    state = await tel.load(call_sid) or CallState(stage=Stage.ended)
    transcript = (
        records.transcript_text(state.transcript) if tel.settings.record_transcripts else None
    )
    duration = records.as_int(form.get("CallDuration"))

    def work(session: Session) -> None:
        records.finish_call(
            session,
            call_sid=call_sid,
            status=status,
            duration=duration,
            from_number=str(form.get("From") or ""),
            to_number=str(form.get("To") or ""),
            transcript=transcript,
        )
        transfer.close_with_call(session, state)

    await tel.db(work)
    if state.stage is not Stage.ended:
        await end_conversation(tel, call_sid, state)
    await tel.forget(call_sid)
    return VoiceResponse()


def routes() -> list[Route]:
    """The six webhooks, at the paths existing Twilio numbers are configured with."""
    handlers: dict[str, Handler] = {
        "call": _call,
        "verify_pin": _verify_pin,
        "process_audio": _process_audio,
        "transfer": _transfer,
        "transfer_callback": _transfer_callback,
        "status": _status,
    }
    return [
        Route(f"/{name}", webhook(handler), methods=["POST"], name=f"twilio-{name}")
        for name, handler in handlers.items()
    ]


def mount() -> Mount:
    """The webhooks mounted at ``/convonet_todo/twilio``."""
    return Mount(PREFIX, routes=routes())


@asynccontextmanager
async def open_telephony(
    services: Services,
    *,
    agent: Agent | None = None,
    sessions: SessionStore | None = None,
    key_prefix: str = "convonet:",
) -> AsyncIterator[Telephony]:
    """Open the session store and the agent for the webhooks; close them on exit.

    Args:
        services: The app's ``Services`` (settings, session factory, secrets, counters).
        agent: A ready agent (tests); by default ``open_agent`` builds one from settings.
        sessions: A ready session store (tests); by default from ``CONVONET_REDIS_URL``.
        key_prefix: Prefix of the app's keys in Redis; call state goes under ``voice:``.
    """
    settings = services.settings
    store = sessions or make_session_store(settings, prefix=f"{key_prefix}voice:")
    owned_agent = None
    if agent is None:
        from convonet_voice.agent.api import open_agent

        owned_agent = await open_agent(settings, services.factory)
        agent = owned_agent
    tel = Telephony(
        settings=settings,
        factory=services.factory,
        secrets=services.secrets,
        limits=services.store,
        sessions=store,
        agent=agent,
    )
    try:
        yield tel
    finally:
        await tel.aclose()
        if owned_agent is not None:
            await owned_agent.aclose()
        if sessions is None:
            await store.aclose()
