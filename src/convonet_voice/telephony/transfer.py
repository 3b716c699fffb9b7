"""Hand a caller to a human at the PBX over SIP, and follow the outcome of that transfer."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from twilio.twiml.voice_response import Dial, Gather, Record, VoiceResponse

from convonet_mcp.errors import ConvonetError
from convonet_mcp.models import TransferRequest, TransferStatus
from convonet_mcp.services.transfers import update_transfer_status
from convonet_voice.settings import VoiceSettings
from convonet_voice.telephony import records
from convonet_voice.telephony.calls import CallState, Telephony
from convonet_voice.telephony.conversation import GOODBYE, signed_in
from convonet_voice.telephony.signature import webhook_url
from convonet_voice.telephony.twiml import goodbye, say

logger = logging.getLogger("convonet.telephony")

CALLBACK_PATH = "/convonet_todo/twilio/transfer_callback"
USER_HEADER = "X-Convonet-User-Id"
TRANSFER_HEADER = "X-Convonet-Transfer-Id"
FAILED = {"busy", "no-answer", "failed"}
OFFER = (
    "To leave a voicemail, press 1 or say voicemail. "
    "To carry on with the assistant, press 2 or say assistant."
)


def sip_uri(settings: VoiceSettings, *, extension: str, user_id: str, transfer_id: str) -> str:
    """Build ``sip:{extension}@{domain};transport=…?X-Convonet-User-Id=…&X-Convonet-Transfer-Id=…``.

    Twilio sends ``X-`` query parameters of a ``<Sip>`` URI as SIP headers of the INVITE.

    Raises:
        ValueError: no PBX SIP domain is configured.
    """
    if not settings.pbx_sip_domain:
        raise ValueError("CONVONET_PBX_SIP_DOMAIN is not set")
    headers = urlencode({USER_HEADER: user_id, TRANSFER_HEADER: transfer_id})
    transport = quote(settings.pbx_sip_transport, safe="")
    target = f"{quote(extension, safe='')}@{settings.pbx_sip_domain}"
    return f"sip:{target};transport={transport}?{headers}"


def callback_url(settings: VoiceSettings, transfer_id: str, step: str | None = None) -> str:
    """The transfer_callback URL for one transfer (and one step of the failure menu)."""
    query = {"transfer_id": transfer_id} | ({"step": step} if step else {})
    return webhook_url(settings, CALLBACK_PATH) + "?" + urlencode(query)


def dial(
    settings: VoiceSettings, *, extension: str, user_id: str, transfer_id: str
) -> VoiceResponse:
    """``<Dial answerOnBridge>`` to the extension at the PBX, reporting to transfer_callback."""
    response = VoiceResponse()
    node = Dial(
        answer_on_bridge=True,
        action=callback_url(settings, transfer_id),
        method="POST",
        caller_id=settings.pbx_caller_id,
    )
    password = settings.pbx_sip_password
    node.sip(
        sip_uri(settings, extension=extension, user_id=user_id, transfer_id=transfer_id),
        username=settings.pbx_sip_username,
        password=password.get_secret_value() if password is not None else None,
    )
    response.append(node)
    return response


def move(session: Session, transfer_id: str, *steps: TransferStatus) -> None:
    """Walk a transfer through ``steps``, stopping quietly at the first move not allowed."""
    for status in steps:
        try:
            update_transfer_status(session, transfer_id=transfer_id, status=status)
        except ConvonetError as exc:  # a late or repeated callback: keep the status it has
            logger.info("Transfer %s stays as it is: %s", transfer_id, exc)
            return


def _transfer_of(session: Session, transfer_id: str, state: CallState) -> TransferRequest | None:
    try:
        found = session.get(TransferRequest, uuid.UUID(transfer_id))
    except ValueError:
        return None
    if found is None or str(found.user_id) != state.user_id:
        return None
    return found


def close_with_call(session: Session, state: CallState) -> None:
    """When the call ends, a transfer still open follows it: cancelled, or completed."""
    found = _transfer_of(session, state.transfer_id, state) if state.transfer_id else None
    if found is None:
        return
    if found.status in (TransferStatus.pending, TransferStatus.ringing):
        move(session, str(found.id), TransferStatus.cancelled)
    elif found.status is TransferStatus.connected:
        move(session, str(found.id), TransferStatus.completed)


async def start(tel: Telephony, call_sid: str, state: CallState, transfer_id: str) -> VoiceResponse:
    """Return the Dial for the caller's transfer, marking it ringing on this call."""
    settings = tel.settings

    def work(session: Session) -> tuple[str, bool] | None:
        found = _transfer_of(session, transfer_id, state)
        if found is None:
            return None
        if found.call_sid is None:
            found.call_sid = call_sid
        if not settings.pbx_sip_domain:
            move(session, transfer_id, TransferStatus.failed)
            return found.extension, False
        if found.status is TransferStatus.pending:
            move(session, transfer_id, TransferStatus.ringing)
        return found.extension, True

    found = await tel.db(work)
    if found is None:
        return await signed_in(tel, call_sid, state, lead=["Sorry, I couldn't transfer you."])
    extension, reachable = found
    if not reachable:
        logger.error("Transfer %s failed: CONVONET_PBX_SIP_DOMAIN is not set", transfer_id)
        return offer(settings, transfer_id, "Sorry, no one can take your call right now.")
    logger.info("Call %s: dialing transfer %s", call_sid, transfer_id)
    return dial(settings, extension=extension, user_id=str(state.user_id), transfer_id=transfer_id)


def offer(settings: VoiceSettings, transfer_id: str, line: str) -> VoiceResponse:
    """Say ``line``, then offer a voicemail or going on with the assistant."""
    response = VoiceResponse()
    say(response, line, settings)
    gather = Gather(
        input="speech dtmf",
        action=callback_url(settings, transfer_id, "choice"),
        method="POST",
        num_digits=1,
        speech_timeout="auto",
        barge_in=True,
        hints="voicemail, assistant",
    )
    say(gather, OFFER, settings)
    response.append(gather)
    response.redirect(callback_url(settings, transfer_id, "choice"), method="POST")
    return response


async def outcome(
    tel: Telephony,
    form: FormData,
    call_sid: str,
    state: CallState,
    transfer_id: str,
    step: str | None,
) -> VoiceResponse:
    """Handle transfer_callback: the Dial's result, the caller's choice, or a voicemail."""
    settings = tel.settings
    if step == "choice":
        return await _choice(tel, form, call_sid, state, transfer_id)
    if step == "voicemail":
        url = str(form.get("RecordingUrl") or "")
        duration = records.as_int(form.get("RecordingDuration"))
        if url:
            await tel.db(
                lambda s: records.save_voicemail(
                    s, call_sid=call_sid, recording_url=url, duration=duration
                ),
            )
        return goodbye(settings, "Thank you, your message has been saved.", GOODBYE)
    status = str(form.get("DialCallStatus") or "failed")
    moves: tuple[TransferStatus, ...]
    if status == "completed":
        moves = (TransferStatus.connected, TransferStatus.completed)
    elif status == "canceled":
        moves = (TransferStatus.cancelled,)
    else:
        moves = (TransferStatus.failed,)
    await tel.db(
        lambda s: move(s, transfer_id, *moves) if _transfer_of(s, transfer_id, state) else None
    )
    logger.info("Call %s: transfer %s ended as %s", call_sid, transfer_id, status)
    if status == "completed":
        return goodbye(settings, GOODBYE)
    if status == "canceled":
        response = VoiceResponse()
        response.hangup()
        return response
    return offer(settings, transfer_id, "Sorry, no one could take your call right now.")


async def _choice(
    tel: Telephony, form: FormData, call_sid: str, state: CallState, transfer_id: str
) -> VoiceResponse:
    settings = tel.settings
    keys = str(form.get("Digits") or "")
    words = str(form.get("SpeechResult") or "").lower()
    if keys == "1" or "voicemail" in words or "message" in words:
        response = VoiceResponse()
        say(response, "Please leave your message after the tone. Press pound when done.", settings)
        response.append(
            Record(
                action=callback_url(settings, transfer_id, "voicemail"),
                method="POST",
                max_length=120,
                finish_on_key="#",
                play_beep=True,
            )
        )
        return response
    if keys == "2" or "assistant" in words or "continue" in words or "carry on" in words:
        state.transfer_id = None
        return await signed_in(tel, call_sid, state, lead=["Okay, I'm back."])
    state.silences += 1
    await tel.save(call_sid, state)
    if state.silences > 2:
        return goodbye(settings, GOODBYE)
    return offer(
        settings,
        transfer_id,
        "Sorry, I didn't get that." if keys or words else "Are you still there?",
    )
