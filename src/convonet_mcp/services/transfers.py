"""Departments and transfers to a human agent, with a strict transfer state machine."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from convonet_mcp.errors import Conflict, InvalidInput, NotFound
from convonet_mcp.models import Channel, Department, TransferRequest, TransferStatus, User
from convonet_mcp.services.access import as_uuid

logger = logging.getLogger("convonet.transfers")

E = TypeVar("E", TransferStatus, Channel)

SYNONYMS: Mapping[str, str] = {
    "tech": "technical",
    "technical support": "technical",
    "tech support": "technical",
    "it": "technical",
    "billing": "support",
    "customer service": "support",
    "customer support": "support",
    "help": "support",
    "sales": "sales",
}

# Legal moves of the state machine; terminal states have none.
TRANSITIONS: Mapping[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.pending: frozenset(
        {
            TransferStatus.ringing,
            TransferStatus.connected,
            TransferStatus.failed,
            TransferStatus.cancelled,
        }
    ),
    TransferStatus.ringing: frozenset(
        {TransferStatus.connected, TransferStatus.failed, TransferStatus.cancelled}
    ),
    TransferStatus.connected: frozenset({TransferStatus.completed, TransferStatus.failed}),
    TransferStatus.completed: frozenset(),
    TransferStatus.failed: frozenset(),
    TransferStatus.cancelled: frozenset(),
}

_MAX_REASON = 1000
_MAX_LIMIT = 200


def list_departments(session: Session, *, include_inactive: bool = False) -> list[Department]:
    """Return the departments a caller can be transferred to, by name.

    Args:
        session: The database session.
        include_inactive: Also return departments that are switched off.
    """
    query = select(Department).order_by(Department.name)
    if not include_inactive:
        query = query.where(Department.is_active.is_(True))
    return list(session.scalars(query))


def resolve_department(session: Session, name: str) -> Department:
    """Find an active department by name or a common synonym, case-insensitively.

    "tech" and "technical support" mean technical; "billing", "customer service" and
    "help" mean support.

    Raises:
        NotFound: no active department matches; the message lists the available ones.
    """
    key = " ".join(name.strip().lower().split())
    key = SYNONYMS.get(key, key)
    found = session.scalar(
        select(Department).where(func.lower(Department.name) == key, Department.is_active.is_(True))
    )
    if found is None:
        available = ", ".join(d.name for d in list_departments(session)) or "none"
        raise NotFound(f'There is no department called "{name.strip()}". Available: {available}.')
    return found


def request_transfer(
    session: Session,
    actor: User,
    *,
    department: str = "support",
    reason: str = "",
    channel: Channel | str = Channel.mcp,
    call_sid: str | None = None,
    session_id: str | None = None,
) -> TransferRequest:
    """Ask for the actor to be handed to a human agent in ``department``.

    Args:
        session: The database session.
        actor: The person asking for the transfer.
        department: A department name or synonym ("billing", "tech").
        reason: Why the caller wants a human, shown to the agent.
        channel: Where the conversation happens: phone, browser or mcp.
        call_sid: The Twilio call this transfer belongs to, if any.
        session_id: The voice session this transfer belongs to, if any.

    Returns:
        The pending transfer, with the department's extension copied onto it.

    Raises:
        NotFound: the department is unknown.
        InvalidInput: the reason, call id or session id is too long, or the channel unknown.
    """
    dept = resolve_department(session, department)
    reason = reason.strip()
    if len(reason) > _MAX_REASON:
        raise InvalidInput(f"The reason must be at most {_MAX_REASON} characters.")
    if call_sid is not None and len(call_sid) > 64:
        raise InvalidInput("The call id is too long.")
    if session_id is not None and len(session_id) > 128:
        raise InvalidInput("The session id is too long.")
    transfer = TransferRequest(
        user_id=actor.id,
        department_id=dept.id,
        extension=dept.extension,
        reason=reason,
        status=TransferStatus.pending,
        channel=_enum_value(Channel, channel, "channel"),
        call_sid=call_sid,
        session_id=session_id,
    )
    session.add(transfer)
    session.flush()
    logger.info("transfer %s requested to %s", transfer.id, dept.name)
    return transfer


def get_transfer(session: Session, actor: User, *, transfer_id: uuid.UUID | str) -> TransferRequest:
    """Return one of the actor's own transfers.

    Raises:
        NotFound: no such transfer, or it belongs to someone else.
    """
    found = session.get(TransferRequest, as_uuid(transfer_id, "transfer"))
    if found is None or found.user_id != actor.id:
        raise NotFound(f'No transfer with id "{transfer_id}".')
    return found


def update_transfer_status(
    session: Session,
    *,
    transfer_id: uuid.UUID | str,
    status: TransferStatus | str,
    handled_by: str | None = None,
) -> TransferRequest:
    """Move a transfer along its lifecycle; used by the voice app and the call center.

    Setting the status a transfer already has is a no-op (webhooks retry), apart from
    recording ``handled_by`` when given.

    Args:
        session: The database session.
        transfer_id: The transfer to change.
        status: The new status.
        handled_by: The agent or queue that took the call.

    Raises:
        NotFound: no such transfer.
        InvalidInput: the status is not a known one.
        Conflict: the move is not allowed from the current status.
    """
    found = session.get(TransferRequest, as_uuid(transfer_id, "transfer"))
    if found is None:
        raise NotFound(f'No transfer with id "{transfer_id}".')
    target = _enum_value(TransferStatus, status, "status")
    if target != found.status and target not in TRANSITIONS[found.status]:
        raise Conflict(f"A {found.status.value} transfer cannot become {target.value}.")
    if handled_by is not None:
        if len(handled_by) > 128:
            raise InvalidInput("The agent name is too long.")
        found.handled_by = handled_by
    if target != found.status:
        logger.info("transfer %s %s -> %s", found.id, found.status.value, target.value)
        found.status = target
    session.flush()
    return found


def list_transfers(
    session: Session, *, status: TransferStatus | str | None = None, limit: int = 50
) -> list[TransferRequest]:
    """Return transfers oldest first, the call-center queue order.

    Args:
        session: The database session.
        status: Only transfers in this status (default: all).
        limit: At most this many (1..200).

    Raises:
        InvalidInput: unknown status or a limit out of range.
    """
    if not 1 <= limit <= _MAX_LIMIT:
        raise InvalidInput(f"The limit must be between 1 and {_MAX_LIMIT}.")
    query = select(TransferRequest).order_by(TransferRequest.created_at, TransferRequest.id)
    if status is not None:
        query = query.where(TransferRequest.status == _enum_value(TransferStatus, status, "status"))
    return list(session.scalars(query.limit(limit)))


def _enum_value(enum_cls: type[E], value: E | str, field: str) -> E:
    try:
        return enum_cls(str(value).strip().lower())
    except ValueError as exc:
        options = ", ".join(m.value for m in enum_cls)
        raise InvalidInput(f'Unknown {field} "{value}". Use one of: {options}.') from exc
