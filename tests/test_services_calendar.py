"""Calendar events: visibility, team roles, dates, overlap warnings, listing and free time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest

from convonet_mcp.errors import Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Role, Todo
from convonet_mcp.services.agenda import get_agenda
from convonet_mcp.services.calendar import (
    create_event,
    delete_event,
    find_free_time,
    get_event,
    list_events,
    update_event,
)
from convonet_mcp.services.reminders import complete_reminder, create_reminder

# A Monday morning.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def event(session, user, title, start, end, team=None):
    return create_event(session, user, title=title, start=start, end=end, team=team, now=NOW).event


def test_an_event_from_natural_language_lasts_an_hour_by_default(session, make_user):
    ann = make_user("ann")
    result = create_event(session, ann, title=" Dentist ", start="tomorrow at 2pm", now=NOW)
    assert result.event.title == "Dentist"
    assert (result.event.event_from, result.event.event_to) == (at(3, 14), at(3, 15))
    assert result.event.team_id is None
    assert result.overlaps == []


def test_a_start_day_without_a_time_means_nine_in_the_actors_timezone(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    result = create_event(session, ann, title="Offsite", start="2026-03-04", now=NOW)
    assert result.event.event_from == at(4, 14)  # 09:00 EST


def test_the_end_or_a_duration_set_the_length(session, make_user):
    ann = make_user("ann")
    by_end = create_event(
        session, ann, title="A", start=at(3, 10), end="2026-03-03T12:30:00Z", now=NOW
    )
    assert by_end.event.event_to == at(3, 12, 30)
    by_duration = create_event(session, ann, title="B", start=at(4, 10), duration="90 minutes")
    assert by_duration.event.event_to == at(4, 11, 30)
    by_delta = create_event(session, ann, title="C", start=at(5, 10), duration=timedelta(hours=2))
    assert by_delta.event.event_to == at(5, 12)


def test_a_spoken_end_is_read_like_the_start_or_on_the_starts_day(session, make_user):
    ann = make_user("ann")
    friday = create_event(
        session, ann, title="A", start="next Friday at 2pm", end="next Friday at 3pm", now=NOW
    )
    assert (friday.event.event_from, friday.event.event_to) == (at(6, 14), at(6, 15))
    bare = create_event(session, ann, title="B", start="tomorrow at 2pm", end="3pm", now=NOW)
    assert (bare.event.event_from, bare.event.event_to) == (at(3, 14), at(3, 15))


def test_free_time_between_a_spoken_start_and_end_covers_whole_days(session, make_user):
    ann = make_user("ann")
    result = find_free_time(
        session, ann, duration="1 hour", start="tomorrow", end="wednesday", now=NOW, limit=5
    )
    assert result.slots == [(at(3, 9), at(3, 17)), (at(4, 9), at(4, 17))]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": "2026-03-03T10:00", "end": "2026-03-03T09:00"},
        {"start": "2026-03-03T10:00", "end": "2026-03-03T10:00"},
        {"start": "2026-03-03T10:00", "end": "2026-03-03T11:00", "duration": "1 hour"},
        {"start": "2026-03-03T10:00", "duration": "0 minutes"},
        {"start": "2026-03-03T10:00", "duration": "25 hours"},
        {"start": "2026-03-03T10:00", "duration": timedelta(days=2)},
        {"start": "2026-03-03T10:00", "duration": "a fortnight"},
        {"start": "tomorrow 3pm", "end": "tomorrow 2pm"},
        {"start": "when pigs fly"},
        {"start": ""},
        {"start": "2026-03-03T10:00", "end": "blorp"},
    ],
)
def test_bad_times_are_invalid_input(session, make_user, kwargs):
    with pytest.raises(InvalidInput):
        create_event(session, make_user("ann"), title="X", now=NOW, **kwargs)


def test_an_event_needs_a_title(session, make_user):
    with pytest.raises(InvalidInput, match="title"):
        create_event(session, make_user("ann"), title="  ", start=at(3, 10))


def test_overlapping_own_and_team_events_are_warnings_but_others_are_not(
    session, make_user, make_team
):
    ann, bob, zed = make_user("ann"), make_user("bob"), make_user("zed")
    dev = make_team("Dev", {ann: Role.member, bob: Role.owner})
    mine = event(session, ann, "Mine", at(3, 9), at(3, 10, 30))
    standup = event(session, bob, "Standup", at(3, 10), at(3, 10, 15), team=dev.name)
    event(session, bob, "Bob private", at(3, 10), at(3, 11))
    event(session, zed, "Zed", at(3, 10), at(3, 11))
    event(session, ann, "Touching", at(3, 11), at(3, 12))
    result = create_event(session, ann, title="Review", start=at(3, 10), end=at(3, 11))
    assert [e.id for e in result.overlaps] == [mine.id, standup.id]
    assert result.event.id not in [e.id for e in result.overlaps]


def test_team_events_need_member_role_to_create_and_are_hidden_from_outsiders(
    session, make_user, make_team
):
    ann, vic, zed = make_user("ann"), make_user("vic"), make_user("zed")
    dev = make_team("Dev", {ann: Role.member, vic: Role.viewer})
    created = create_event(session, ann, title="Retro", start=at(3, 15), team=str(dev.id)).event
    assert created.team_id == dev.id
    assert get_event(session, vic, event_id=created.id).id == created.id
    with pytest.raises(Forbidden):
        create_event(session, vic, title="Nope", start=at(3, 15), team="Dev")
    with pytest.raises(NotFound):
        create_event(session, zed, title="Nope", start=at(3, 15), team=str(dev.id))
    with pytest.raises(NotFound):
        get_event(session, zed, event_id=created.id)


def test_another_users_personal_event_is_not_found_for_every_verb(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.admin})
    private = event(session, ann, "Doctor", at(3, 9), at(3, 10))
    with pytest.raises(NotFound):
        get_event(session, bob, event_id=str(private.id))
    with pytest.raises(NotFound):
        update_event(session, bob, event_id=private.id, title="Mine now")
    with pytest.raises(NotFound):
        delete_event(session, bob, event_id=private.id)
    with pytest.raises(NotFound):
        get_event(session, ann, event_id="nonsense")
    with pytest.raises(NotFound):
        get_event(session, ann, event_id=uuid.uuid4())
    assert private.title == "Doctor"


def test_a_team_event_is_changed_only_by_its_creator_or_a_team_admin(session, make_user, make_team):
    ann, mia, adam, vic = make_user("ann"), make_user("mia"), make_user("adam"), make_user("vic")
    dev = make_team("Dev", {ann: Role.member, mia: Role.member, adam: Role.admin, vic: Role.viewer})
    retro = event(session, ann, "Retro", at(3, 15), at(3, 16), team="Dev")
    for outsider in (mia, vic):
        with pytest.raises(Forbidden):
            update_event(session, outsider, event_id=retro.id, title="Hijacked")
        with pytest.raises(Forbidden):
            delete_event(session, outsider, event_id=retro.id)
    assert update_event(session, ann, event_id=retro.id, location="Room 1").event.location == (
        "Room 1"
    )
    assert update_event(session, adam, event_id=retro.id, title="Retro!").event.title == "Retro!"
    assert delete_event(session, adam, event_id=retro.id).id == retro.id
    with pytest.raises(NotFound):
        get_event(session, ann, event_id=retro.id)
    assert dev.id is not None


def test_moving_the_start_keeps_the_length_and_overlaps_exclude_the_event_itself(
    session, make_user
):
    ann = make_user("ann")
    lunch = event(session, ann, "Lunch", at(3, 12), at(3, 13))
    meeting = event(session, ann, "Meeting", at(3, 9), at(3, 10, 30))
    result = update_event(session, ann, event_id=meeting.id, start=at(3, 12, 30))
    assert (result.event.event_from, result.event.event_to) == (at(3, 12, 30), at(3, 14))
    assert [e.id for e in result.overlaps] == [lunch.id]
    shorter = update_event(session, ann, event_id=meeting.id, duration="15 minutes")
    assert shorter.event.event_to == at(3, 12, 45)
    longer = update_event(session, ann, event_id=meeting.id, end="2026-03-03T15:00:00+00:00")
    assert longer.event.event_to == at(3, 15)


def test_updating_needs_a_change_and_a_sane_span(session, make_user):
    ann = make_user("ann")
    meeting = event(session, ann, "Meeting", at(3, 9), at(3, 10))
    with pytest.raises(InvalidInput, match="what to change"):
        update_event(session, ann, event_id=meeting.id)
    with pytest.raises(InvalidInput):
        update_event(session, ann, event_id=meeting.id, end=at(3, 8))
    with pytest.raises(InvalidInput):
        update_event(session, ann, event_id=meeting.id, start="the day after never")
    with pytest.raises(InvalidInput):
        update_event(session, ann, event_id=meeting.id, title="")
    assert (meeting.event_from, meeting.event_to, meeting.title) == (at(3, 9), at(3, 10), "Meeting")


def test_events_are_listed_from_now_in_time_order_across_pages(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.viewer, bob: Role.owner})
    event(session, ann, "Past", at(1, 9), at(1, 10))
    running = event(session, ann, "Running", at(2, 7), at(2, 9))
    later = [event(session, ann, f"E{i}", at(3 + i, 9), at(3 + i, 10)) for i in range(3)]
    team = event(session, bob, "Team", at(3, 8), at(3, 9), team="Dev")
    event(session, bob, "Bob private", at(3, 8), at(3, 9))
    expected = [running.id, team.id, *[e.id for e in later]]
    first = list_events(session, ann, limit=3, now=NOW)
    assert [e.id for e in first.items] == expected[:3]
    assert first.next_cursor is not None
    second = list_events(session, ann, limit=3, cursor=first.next_cursor, now=NOW)
    assert [e.id for e in second.items] == expected[3:]
    assert second.next_cursor is None


def test_events_are_filtered_by_window_team_and_text(session, make_user, make_team):
    ann = make_user("ann")
    make_team("Dev", {ann: Role.member})
    a = event(session, ann, "Planning", at(3, 9), at(3, 10))
    b = event(session, ann, "Dentist", at(3, 22), at(3, 23))
    c = event(session, ann, "Demo", at(4, 9), at(4, 10), team="Dev")
    window = list_events(session, ann, start="2026-03-03", end="2026-03-03", now=NOW)
    assert [e.id for e in window.items] == [a.id, b.id]
    assert [e.id for e in list_events(session, ann, team="dev", now=NOW).items] == [c.id]
    assert [e.id for e in list_events(session, ann, text="DENT", now=NOW).items] == [b.id]


def test_listing_refuses_backwards_windows_bad_cursors_and_foreign_teams(
    session, make_user, make_team
):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Secret", {bob: Role.owner})
    with pytest.raises(InvalidInput):
        list_events(session, ann, start="2026-03-05T10:00", end="2026-03-04T10:00", now=NOW)
    with pytest.raises(InvalidInput):
        list_events(session, ann, cursor="not-a-cursor", now=NOW)
    with pytest.raises(InvalidInput):
        list_events(session, ann, start="someday maybe", now=NOW)
    with pytest.raises(NotFound):
        list_events(session, ann, team="Secret", now=NOW)


def test_free_time_falls_between_existing_events_inside_working_hours(
    session, make_user, make_team
):
    ann, bob, zed = make_user("ann"), make_user("bob"), make_user("zed")
    make_team("Dev", {ann: Role.member, bob: Role.owner})
    e1 = event(session, ann, "Review", at(3, 10), at(3, 11))
    e2 = event(session, bob, "Standup", at(3, 13), at(3, 14), team="Dev")
    e3 = event(session, ann, "Lunch overlap", at(3, 13, 30), at(3, 14, 30))
    event(session, zed, "Zed's", at(3, 9), at(3, 17))
    result = find_free_time(session, ann, duration="1 hour", within="tomorrow", now=NOW)
    assert result.slots == [
        (at(3, 9), at(3, 10)),
        (at(3, 11), at(3, 13)),
        (at(3, 14, 30), at(3, 17)),
    ]
    assert [e.id for e in result.conflicts] == [e1.id, e2.id, e3.id]
    longer = find_free_time(session, ann, duration="150 minutes", within="tomorrow", now=NOW)
    assert longer.slots == [(at(3, 14, 30), at(3, 17))]


def test_free_time_starts_after_now_and_honours_limit_and_custom_hours(session, make_user):
    ann = make_user("ann")
    now = at(2, 10, 7)
    result = find_free_time(session, ann, duration=30, within="this week", now=now, limit=2)
    assert result.slots == [(at(2, 10, 15), at(2, 17)), (at(3, 9), at(3, 17))]
    evening = find_free_time(
        session,
        ann,
        duration="1h",
        start="2026-03-03T00:00:00Z",
        end="2026-03-04T00:00:00Z",
        working_hours=("18:00", time(20)),
        now=now,
    )
    assert evening.slots == [(at(3, 18), at(3, 20))]


def test_this_week_ends_on_sunday_and_next_week_runs_monday_to_sunday(session, make_user):
    ann = make_user("ann")
    this_week = find_free_time(
        session, ann, duration="1 hour", within="this week", now=NOW, limit=50
    )
    assert [s[0].date().day for s in this_week.slots] == [2, 3, 4, 5, 6, 7, 8]
    next_week = find_free_time(
        session, ann, duration="1 hour", within="next week", now=NOW, limit=50
    )
    assert [s[0].date().day for s in next_week.slots] == [9, 10, 11, 12, 13, 14, 15]


def test_free_time_uses_the_actors_working_hours_across_a_dst_change(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    result = find_free_time(session, ann, duration="1 hour", within="2026-03-07", now=NOW, limit=1)
    assert result.slots == [(at(7, 14), at(7, 22))]  # EST, UTC-5
    after = find_free_time(session, ann, duration="1 hour", within="2026-03-08", now=NOW, limit=1)
    assert after.slots == [(at(8, 13), at(8, 21))]  # EDT, UTC-4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration": "0 minutes"},
        {"duration": "2 days"},
        {"duration": "1 hour", "within": "whenever"},
        {"duration": "1 hour", "within": "yesterday"},
        {"duration": "1 hour", "within": "tomorrow", "start": "2026-03-03T09:00"},
        {"duration": "1 hour", "start": "2026-03-03T09:00", "end": "2026-03-03T08:00"},
        {"duration": "1 hour", "start": "2026-03-03T09:00", "end": "2026-05-03T08:00"},
        {"duration": "1 hour", "working_hours": ("17:00", "09:00")},
        {"duration": "1 hour", "working_hours": ("nine", "17:00")},
        {"duration": "1 hour", "limit": 0},
    ],
)
def test_free_time_refuses_bad_arguments(session, make_user, kwargs):
    with pytest.raises(InvalidInput):
        find_free_time(session, make_user("ann"), now=NOW, **kwargs)


def todo(session, creator, title, due, *, team=None, assignee=None, private=False, done=False):
    row = Todo(
        title=title,
        creator_id=creator.id,
        team_id=team.id if team else None,
        assignee_id=assignee.id if assignee else None,
        is_private=private,
        completed=done,
        due_date=due,
    )
    session.add(row)
    session.flush()
    return row


def test_the_agenda_day_follows_the_actors_timezone_on_the_dst_change_day(session, make_user):
    ann = make_user("ann", timezone="America/New_York")

    def remind(text, when):
        return create_reminder(session, ann, text=text, when=when)

    remind("Saturday night", at(8, 4, 30))  # 23:30 EST on the 7th
    first = remind("Just after midnight", at(8, 5, 0))  # 00:00 EST on the 8th
    last = remind("Late Sunday", at(9, 3, 30))  # 23:30 EDT on the 8th
    remind("Monday", at(9, 4, 0))  # 00:00 EDT on the 9th
    agenda = get_agenda(session, ann, day="2026-03-08")
    assert (agenda.start, agenda.end) == (at(8, 5), at(9, 4))  # a 23-hour day
    assert [r.id for r in agenda.reminders] == [first.id, last.id]


def test_the_agenda_day_is_twenty_five_hours_when_the_clocks_go_back(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    agenda = get_agenda(session, ann, day=date(2026, 11, 1))
    assert agenda.end - agenda.start == timedelta(hours=25)
    assert agenda.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def test_the_agenda_holds_visible_open_todos_due_that_day(session, make_user, make_team):
    ann, bob, zed = make_user("ann"), make_user("bob"), make_user("zed")
    dev = make_team("Dev", {ann: Role.viewer, bob: Role.owner})
    secret = make_team("Secret", {zed: Role.owner})
    mine = todo(session, ann, "Mine", at(3, 9))
    shared = todo(session, bob, "Shared", at(3, 10), team=dev)
    for_me = todo(session, bob, "Private for ann", at(3, 11), team=dev, assignee=ann, private=True)
    todo(session, bob, "Bob's private", at(3, 12), team=dev, private=True)
    todo(session, bob, "Bob's personal", at(3, 12))
    todo(session, zed, "Other team", at(3, 12), team=secret)
    todo(session, ann, "Done", at(3, 12), done=True)
    todo(session, ann, "Wednesday", at(4, 9))
    agenda = get_agenda(session, ann, day="tomorrow", now=NOW)
    assert agenda.day == date(2026, 3, 3)
    assert [t.id for t in agenda.todos] == [mine.id, shared.id, for_me.id]


def test_the_agenda_holds_pending_reminders_and_events_overlapping_the_day(
    session, make_user, make_team
):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.member, bob: Role.owner})
    overnight = event(session, ann, "Overnight", at(2, 22), at(3, 1))
    standup = event(session, bob, "Standup", at(3, 9), at(3, 9, 15), team="Dev")
    event(session, bob, "Bob's own", at(3, 9), at(3, 10))
    event(session, ann, "Tomorrow", at(4, 0), at(4, 1))
    pending = create_reminder(session, ann, text="Call", when=at(3, 8))
    done = create_reminder(session, ann, text="Done", when=at(3, 9))
    complete_reminder(session, ann, reminder_id=done.id)
    create_reminder(session, bob, text="Bob's", when=at(3, 9))
    agenda = get_agenda(session, ann, day="2026-03-03")
    assert [e.id for e in agenda.events] == [overnight.id, standup.id]
    assert [r.id for r in agenda.reminders] == [pending.id]
    assert agenda.todos == []


def test_the_agenda_defaults_to_today_and_refuses_unreadable_days(session, make_user):
    ann = make_user("ann", timezone="Asia/Tokyo")
    assert get_agenda(session, ann, now=at(2, 20)).day == date(2026, 3, 3)  # 05:00 in Tokyo
    assert get_agenda(session, ann, day="friday", now=NOW).day == date(2026, 3, 6)
    with pytest.raises(InvalidInput):
        get_agenda(session, ann, day="the day after never")
