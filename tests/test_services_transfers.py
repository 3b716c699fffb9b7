"""Departments, synonyms and the transfer state machine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from convonet_mcp.errors import Conflict, InvalidInput, NotFound
from convonet_mcp.models import Channel, Department, TransferStatus
from convonet_mcp.services.transfers import (
    get_transfer,
    list_departments,
    list_transfers,
    request_transfer,
    resolve_department,
    update_transfer_status,
)


def test_the_seeded_departments_are_listed_by_name(session):
    names = [d.name for d in list_departments(session)]
    assert names == ["sales", "support", "technical"]


def test_inactive_departments_are_hidden_unless_asked_for_and_cannot_be_resolved(session):
    session.execute(update(Department).where(Department.name == "sales").values(is_active=False))
    assert [d.name for d in list_departments(session)] == ["support", "technical"]
    assert len(list_departments(session, include_inactive=True)) == 3
    with pytest.raises(NotFound) as err:
        resolve_department(session, "sales")
    assert "support, technical" in err.value.message


@pytest.mark.parametrize(
    ("spoken", "name"),
    [
        ("tech", "technical"),
        ("Technical Support", "technical"),
        ("  TECHNICAL ", "technical"),
        ("billing", "support"),
        ("customer   service", "support"),
        ("Help", "support"),
        ("Sales", "sales"),
    ],
)
def test_department_names_and_synonyms_resolve_case_insensitively(session, spoken, name):
    assert resolve_department(session, spoken).name == name


def test_an_unknown_department_is_not_found_and_the_error_lists_the_available_ones(session):
    with pytest.raises(NotFound) as err:
        resolve_department(session, "legal")
    assert "legal" in err.value.message
    assert "sales, support, technical" in err.value.message


def test_a_transfer_request_is_pending_and_copies_the_department_extension(session, make_user):
    ann = make_user("ann")
    transfer = request_transfer(
        session,
        ann,
        department="billing",
        reason=" Double charge ",
        channel="phone",
        call_sid="CA123",
    )
    assert transfer.status is TransferStatus.pending
    assert transfer.extension == "2001"
    assert transfer.department.name == "support"
    assert transfer.reason == "Double charge"
    assert transfer.channel is Channel.phone
    assert transfer.call_sid == "CA123"


def test_a_transfer_defaults_to_support_over_mcp(session, make_user):
    transfer = request_transfer(session, make_user("ann"))
    assert transfer.department.name == "support"
    assert transfer.channel is Channel.mcp


def test_a_transfer_request_refuses_bad_input(session, make_user):
    ann = make_user("ann")
    with pytest.raises(NotFound):
        request_transfer(session, ann, department="legal")
    with pytest.raises(InvalidInput):
        request_transfer(session, ann, reason="x" * 1001)
    with pytest.raises(InvalidInput, match="channel"):
        request_transfer(session, ann, channel="fax")
    with pytest.raises(InvalidInput):
        request_transfer(session, ann, call_sid="C" * 65)


def test_only_the_requester_can_read_a_transfer(session, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    transfer = request_transfer(session, ann, department="sales")
    assert get_transfer(session, ann, transfer_id=str(transfer.id)).id == transfer.id
    with pytest.raises(NotFound):
        get_transfer(session, bob, transfer_id=transfer.id)
    with pytest.raises(NotFound):
        get_transfer(session, ann, transfer_id="not-an-id")
    with pytest.raises(NotFound):
        get_transfer(session, ann, transfer_id=uuid.uuid4())


@pytest.mark.parametrize(
    "path",
    [
        ["ringing", "connected", "completed"],
        ["connected", "failed"],
        ["ringing", "cancelled"],
        ["ringing", "failed"],
        ["pending", "cancelled"],
        ["failed"],
    ],
)
def test_legal_transfer_transitions_are_applied(session, make_user, path):
    transfer = request_transfer(session, make_user("ann"))
    for step in path:
        transfer = update_transfer_status(session, transfer_id=transfer.id, status=step)
        assert transfer.status.value == step


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        (["ringing"], "pending"),
        (["connected"], "ringing"),
        (["connected"], "cancelled"),
        ([], "completed"),
        (["ringing"], "completed"),
        (["connected", "completed"], "failed"),
        (["failed"], "connected"),
        (["cancelled"], "ringing"),
    ],
)
def test_illegal_transfer_transitions_are_conflicts_and_change_nothing(
    session, make_user, path, illegal
):
    transfer = request_transfer(session, make_user("ann"))
    for step in path:
        update_transfer_status(session, transfer_id=transfer.id, status=step)
    before = transfer.status
    with pytest.raises(Conflict):
        update_transfer_status(session, transfer_id=transfer.id, status=illegal)
    assert transfer.status is before


def test_repeating_the_current_status_is_a_no_op_that_can_record_the_agent(session, make_user):
    transfer = request_transfer(session, make_user("ann"))
    update_transfer_status(session, transfer_id=transfer.id, status="connected")
    update_transfer_status(session, transfer_id=transfer.id, status="completed")
    again = update_transfer_status(
        session, transfer_id=transfer.id, status="completed", handled_by="agent-7"
    )
    assert again.status is TransferStatus.completed
    assert again.handled_by == "agent-7"


def test_updating_an_unknown_transfer_or_to_an_unknown_status_fails(session, make_user):
    transfer = request_transfer(session, make_user("ann"))
    with pytest.raises(NotFound):
        update_transfer_status(session, transfer_id=uuid.uuid4(), status="ringing")
    with pytest.raises(InvalidInput, match="status"):
        update_transfer_status(session, transfer_id=transfer.id, status="on hold")
    assert transfer.status is TransferStatus.pending


def test_the_call_center_queue_lists_transfers_oldest_first_filtered_by_status(session, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    first = request_transfer(session, ann, department="tech")
    second = request_transfer(session, bob, department="sales")
    third = request_transfer(session, bob)
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for minutes, transfer in enumerate([first, second, third]):
        transfer.created_at = base + timedelta(minutes=minutes)
    update_transfer_status(session, transfer_id=second.id, status="ringing")
    pending = list_transfers(session, status="pending")
    assert [t.id for t in pending] == [first.id, third.id]
    assert [t.id for t in list_transfers(session, status=TransferStatus.ringing)] == [second.id]
    assert len(list_transfers(session)) == 3
    assert len(list_transfers(session, limit=1)) == 1
    with pytest.raises(InvalidInput):
        list_transfers(session, limit=0)
    with pytest.raises(InvalidInput):
        list_transfers(session, status="lost")
