"""Call records: one ``call_recordings`` row per call, kept up to date by the webhooks.

Every function is idempotent per call sid, since Twilio retries webhooks.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from convonet_mcp.models import CallRecording

logger = logging.getLogger("convonet.telephony")

MAX_NUMBER = 32
MAX_URL = 1000
TERMINAL = {"completed", "busy", "failed", "no-answer", "canceled"}


def find_call(session: Session, *, call_sid: str) -> CallRecording | None:
    """Return the record of a call, or None."""
    return session.scalar(select(CallRecording).where(CallRecording.call_sid == call_sid))


def open_call(
    session: Session, *, call_sid: str, from_number: str | None, to_number: str | None
) -> CallRecording:
    """Return the call's record, creating it (status in-progress) on the first webhook.

    Args:
        session: The database session.
        call_sid: Twilio's id of the call.
        from_number: The caller's number, as Twilio sent it.
        to_number: The number that was called.
    """
    found = find_call(session, call_sid=call_sid)
    if found is not None:
        return found
    record = CallRecording(
        call_sid=call_sid[:64],
        from_number=(from_number or None) and from_number[:MAX_NUMBER],
        to_number=(to_number or None) and to_number[:MAX_NUMBER],
        status="in-progress",
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:  # a concurrent delivery of the same webhook created it first
        found = find_call(session, call_sid=call_sid)
        if found is None:
            raise
        return found
    return record


def attach_user(session: Session, *, call_sid: str, user_id: uuid.UUID) -> None:
    """Note who signed in on the call."""
    record = open_call(session, call_sid=call_sid, from_number=None, to_number=None)
    record.user_id = user_id
    session.flush()


def finish_call(
    session: Session,
    *,
    call_sid: str,
    status: str,
    duration: int | None,
    from_number: str | None = None,
    to_number: str | None = None,
    transcript: str | None = None,
) -> CallRecording:
    """Record how the call ended, how long it lasted and, when enabled, its transcript.

    Args:
        session: The database session.
        call_sid: Twilio's id of the call.
        status: Twilio's CallStatus (completed, busy, no-answer, failed, canceled, …).
        duration: CallDuration in seconds, when Twilio sent one.
        from_number: The caller's number, if the row is created here.
        to_number: The called number, if the row is created here.
        transcript: The conversation, only when transcripts are being recorded.
    """
    record = open_call(session, call_sid=call_sid, from_number=from_number, to_number=to_number)
    record.status = status[:32]
    if duration is not None:
        record.duration_seconds = duration
    if transcript:
        record.transcription = transcript
    session.flush()
    logger.info("Call %s ended: %s", call_sid, record.status)
    return record


def save_voicemail(
    session: Session, *, call_sid: str, recording_url: str, duration: int | None
) -> CallRecording:
    """Attach a voicemail left after a failed transfer to the call's record."""
    record = open_call(session, call_sid=call_sid, from_number=None, to_number=None)
    record.recording_url = recording_url[:MAX_URL]
    if duration is not None and record.duration_seconds is None:
        record.duration_seconds = duration
    session.flush()
    logger.info("Call %s: voicemail saved", call_sid)
    return record


def transcript_text(turns: list[tuple[str, str]]) -> str:
    """Render a conversation as "Caller: …" / "Assistant: …" lines."""
    names = {"caller": "Caller", "assistant": "Assistant"}
    return "\n".join(f"{names.get(role, role)}: {text}" for role, text in turns)


def as_int(value: object) -> int | None:
    """Read a number Twilio posted as text; None when absent or malformed."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
