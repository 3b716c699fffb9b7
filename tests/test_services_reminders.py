"""Reminders: ownership, dates in the owner's timezone, listing, completing and snoozing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from convonet_mcp.errors import Conflict, InvalidInput, NotFound
from convonet_mcp.models import Priority
from convonet_mcp.services.reminders import (
    complete_reminder,
    create_reminder,
    delete_reminder,
    dismiss_reminder,
    get_reminder,
    list_reminders,
    snooze_reminder,
    update_reminder,
)

# A Saturday afternoon; the US switches to daylight time the next day.
NOW = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def remind(session, user, text, when, importance="medium"):
    return create_reminder(session, user, text=text, when=when, importance=importance, now=NOW)


def test_a_reminder_from_natural_language_is_read_in_the_owners_timezone(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    reminder = remind(session, ann, " Call mum ", "tomorrow at 2pm")
    assert reminder.reminder_text == "Call mum"
    assert reminder.reminder_date == at(8, 18)  # 14:00 EDT
    assert reminder.importance is Priority.medium
    assert reminder.completed is False and reminder.dismissed is False


def test_elapsed_phrases_count_real_hours_across_the_dst_change(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    assert remind(session, ann, "Later", "in 20 hours").reminder_date == NOW + timedelta(hours=20)
    assert remind(session, ann, "Soon", "in 30 minutes").reminder_date == at(7, 15, 30)


def test_a_day_without_a_time_means_nine_in_the_morning(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    assert remind(session, ann, "Taxes", "next Friday").reminder_date == at(13, 13)
    assert remind(session, ann, "Rent", "2026-03-06").reminder_date == at(6, 14)


def test_importance_is_read_case_insensitively(session, make_user):
    reminder = remind(session, make_user("ann"), "Pay", at(8, 9), importance="URGENT")
    assert reminder.importance is Priority.urgent


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "", "when": "tomorrow"},
        {"text": "x" * 1001, "when": "tomorrow"},
        {"text": "Pay", "when": "the twelfth of never"},
        {"text": "Pay", "when": ""},
        {"text": "Pay", "when": "tomorrow", "importance": "critical"},
    ],
)
def test_bad_reminders_are_invalid_input(session, make_user, kwargs):
    with pytest.raises(InvalidInput):
        create_reminder(session, make_user("ann"), now=NOW, **kwargs)


def test_another_users_reminder_is_not_found_for_every_verb(session, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    reminder = remind(session, ann, "Secret", at(8, 9))
    verbs = [
        lambda: get_reminder(session, bob, reminder_id=reminder.id),
        lambda: update_reminder(session, bob, reminder_id=reminder.id, text="Mine"),
        lambda: complete_reminder(session, bob, reminder_id=reminder.id),
        lambda: dismiss_reminder(session, bob, reminder_id=reminder.id),
        lambda: snooze_reminder(session, bob, reminder_id=reminder.id, now=NOW),
        lambda: delete_reminder(session, bob, reminder_id=str(reminder.id)),
        lambda: get_reminder(session, ann, reminder_id="not-an-id"),
        lambda: get_reminder(session, ann, reminder_id=uuid.uuid4()),
    ]
    for verb in verbs:
        with pytest.raises(NotFound):
            verb()
    assert get_reminder(session, ann, reminder_id=str(reminder.id)).reminder_text == "Secret"
    assert reminder.completed is False and reminder.dismissed is False


def test_pending_reminders_are_listed_soonest_first_across_pages(session, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    later = remind(session, ann, "Later", at(10, 9))
    soon = remind(session, ann, "Soon", at(8, 9))
    middle = remind(session, ann, "Middle", at(9, 9))
    done = remind(session, ann, "Done", at(8, 8))
    complete_reminder(session, ann, reminder_id=done.id)
    gone = remind(session, ann, "Gone", at(8, 7))
    dismiss_reminder(session, ann, reminder_id=gone.id)
    remind(session, bob, "Bob's", at(8, 9))
    first = list_reminders(session, ann, limit=2)
    assert [r.id for r in first.items] == [soon.id, middle.id]
    second = list_reminders(session, ann, limit=2, cursor=first.next_cursor)
    assert [r.id for r in second.items] == [later.id]
    assert second.next_cursor is None


def test_completed_dismissed_and_all_reminders_are_listed_by_status(session, make_user):
    ann = make_user("ann")
    a, b, c, d = (remind(session, ann, f"R{i}", at(8 + i, 9)) for i in range(4))
    for reminder in (a, b):
        complete_reminder(session, ann, reminder_id=reminder.id)
    dismiss_reminder(session, ann, reminder_id=c.id)
    completed = list_reminders(session, ann, status="completed", limit=1)
    assert [r.id for r in completed.items] == [b.id]
    rest = list_reminders(session, ann, status="completed", cursor=completed.next_cursor)
    assert [r.id for r in rest.items] == [a.id]
    assert [r.id for r in list_reminders(session, ann, status="dismissed").items] == [c.id]
    assert [r.id for r in list_reminders(session, ann, status="pending").items] == [d.id]
    assert [r.id for r in list_reminders(session, ann, status="all").items] == [
        a.id,
        b.id,
        c.id,
        d.id,
    ]


def test_reminders_are_filtered_by_importance_window_and_text(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    dentist = remind(session, ann, "Dentist at 3", at(8, 19), importance="high")
    rent = remind(session, ann, "Pay rent", at(9, 14))
    remind(session, ann, "Call dentist back", at(10, 14))
    high = list_reminders(session, ann, importance=Priority.high)
    assert [r.id for r in high.items] == [dentist.id]
    window = list_reminders(session, ann, after="2026-03-08", before="2026-03-10", now=NOW)
    assert [r.id for r in window.items] == [dentist.id, rent.id]
    assert len(list_reminders(session, ann, text="DENTIST").items) == 2
    assert list_reminders(session, ann, text="100%").items == []


def test_listing_refuses_unknown_status_bad_dates_and_bad_cursors(session, make_user):
    ann = make_user("ann")
    with pytest.raises(InvalidInput):
        list_reminders(session, ann, status="snoozed")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        list_reminders(session, ann, after="the day before never")
    with pytest.raises(InvalidInput):
        list_reminders(session, ann, importance="meh")
    with pytest.raises(InvalidInput):
        list_reminders(session, ann, cursor="%%%")


def test_updating_changes_only_what_is_given(session, make_user):
    ann = make_user("ann")
    reminder = remind(session, ann, "Pay", at(8, 9))
    update_reminder(session, ann, reminder_id=reminder.id, importance="low")
    assert (reminder.reminder_text, reminder.importance) == ("Pay", Priority.low)
    update_reminder(session, ann, reminder_id=reminder.id, text="Pay rent", when="monday", now=NOW)
    assert (reminder.reminder_text, reminder.reminder_date) == ("Pay rent", at(9, 9))
    with pytest.raises(InvalidInput, match="what to change"):
        update_reminder(session, ann, reminder_id=reminder.id)
    with pytest.raises(InvalidInput):
        update_reminder(session, ann, reminder_id=reminder.id, when="flurb")
    assert reminder.reminder_date == at(9, 9)


def test_completing_is_idempotent_and_keeps_the_first_completion_time(session, make_user):
    ann = make_user("ann")
    reminder = remind(session, ann, "Pay", at(8, 9))
    first = complete_reminder(session, ann, reminder_id=reminder.id)
    stamp = first.completed_at
    assert first.completed is True and stamp is not None
    again = complete_reminder(session, ann, reminder_id=reminder.id)
    assert again.completed is True and again.completed_at == stamp


def test_snoozing_pushes_from_now_when_due_and_from_the_reminder_when_later(session, make_user):
    ann = make_user("ann")
    overdue = remind(session, ann, "Overdue", at(7, 14))
    future = remind(session, ann, "Future", at(7, 16))
    assert snooze_reminder(session, ann, reminder_id=overdue.id, now=NOW).reminder_date == (
        NOW + timedelta(minutes=10)
    )
    pushed = snooze_reminder(session, ann, reminder_id=future.id, duration="1 hour", now=NOW)
    assert pushed.reminder_date == at(7, 17)
    by_delta = snooze_reminder(
        session, ann, reminder_id=future.id, duration=timedelta(minutes=30), now=NOW
    )
    assert by_delta.reminder_date == at(7, 17, 30)


def test_snoozing_until_a_time_uses_the_owners_timezone_and_revives_dismissed(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    reminder = remind(session, ann, "Gym", at(7, 14))
    dismiss_reminder(session, ann, reminder_id=reminder.id)
    snoozed = snooze_reminder(session, ann, reminder_id=reminder.id, until="tomorrow", now=NOW)
    assert snoozed.reminder_date == at(8, 13)  # 09:00 EDT
    assert snoozed.dismissed is False


def test_snoozing_refuses_completed_reminders_past_times_and_bad_durations(session, make_user):
    ann = make_user("ann")
    reminder = remind(session, ann, "Gym", at(7, 14))
    with pytest.raises(InvalidInput):
        snooze_reminder(session, ann, reminder_id=reminder.id, until=at(7, 14), now=NOW)
    for duration in ("0 minutes", "3 days", "forever", timedelta(seconds=5)):
        with pytest.raises(InvalidInput):
            snooze_reminder(session, ann, reminder_id=reminder.id, duration=duration, now=NOW)
    assert reminder.reminder_date == at(7, 14)
    complete_reminder(session, ann, reminder_id=reminder.id)
    with pytest.raises(Conflict):
        snooze_reminder(session, ann, reminder_id=reminder.id, now=NOW)


def test_a_deleted_reminder_is_returned_and_then_gone(session, make_user):
    ann = make_user("ann")
    reminder = remind(session, ann, "Pay", at(8, 9))
    deleted = delete_reminder(session, ann, reminder_id=reminder.id)
    assert deleted.reminder_text == "Pay"
    with pytest.raises(NotFound):
        get_reminder(session, ann, reminder_id=reminder.id)
    assert list_reminders(session, ann, status="all").items == []
