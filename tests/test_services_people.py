"""Searching for teammates and reading one's own profile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from convonet_mcp.errors import InvalidInput
from convonet_mcp.models import Reminder, Role, Team, Todo, User
from convonet_mcp.services.calendar import create_event
from convonet_mcp.services.people import get_profile, search_users
from convonet_mcp.services.reminders import create_reminder, dismiss_reminder

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    """A UTC moment in March 2026."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_search_finds_teammates_by_part_of_name_username_or_email(session, make_user, make_team):
    ann = make_user("ann")
    john = make_user("jsmith", first_name="John", last_name="Smith")
    joan = make_user("joan", first_name="Joan", last_name="Jones")
    make_user("john2", first_name="John", last_name="Stranger")
    make_team("Dev", {ann: Role.owner, john: Role.member, joan: Role.viewer})
    assert [u.id for u in search_users(session, ann, query="jo")] == [joan.id, john.id]
    assert [u.id for u in search_users(session, ann, query="john smith")] == [john.id]
    assert [u.id for u in search_users(session, ann, query="JSMITH")] == [john.id]
    assert [u.id for u in search_users(session, ann, query="joan@exa")] == [joan.id]
    assert [u.id for u in search_users(session, ann, query="jo", limit=1)] == [joan.id]


def test_search_never_reveals_strangers_by_partial_match(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_user("zed", first_name="Zed")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    assert search_users(session, ann, query="zed") == []
    assert search_users(session, ann, query="zed@example") == []
    assert search_users(session, make_user("loner"), query="bob") == []


def test_an_exact_email_finds_any_active_account(session, make_user, make_team):
    ann, zed = make_user("ann"), make_user("zed")
    assert [u.id for u in search_users(session, ann, query=" Zed@Example.com ")] == [zed.id]
    session.execute(update(User).where(User.id == zed.id).values(is_active=False))
    session.expire_all()
    assert search_users(session, ann, query="zed@example.com") == []


def test_inactive_people_and_teams_are_left_out_of_search(session, make_user, make_team):
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    old = make_team("Old", {ann: Role.owner, cat: Role.member})
    session.execute(update(User).where(User.id == bob.id).values(is_active=False))
    session.execute(update(Team).where(Team.id == old.id).values(is_active=False))
    session.expire_all()
    assert search_users(session, ann, query="example.com") == [ann]


def test_search_needs_a_query(session, make_user):
    with pytest.raises(InvalidInput):
        search_users(session, make_user("ann"), query="   ")


def test_search_treats_wildcards_literally(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    assert search_users(session, ann, query="%") == []
    assert search_users(session, ann, query="_") == []


def test_the_profile_lists_teams_with_roles_and_counts_what_is_on_the_plate(
    session, make_user, make_team
):
    ann, bob, zed = make_user("ann"), make_user("bob"), make_user("zed")
    dev = make_team("dev", {ann: Role.member, bob: Role.owner})
    ops = make_team("Ops", {ann: Role.admin})
    make_team("Secret", {zed: Role.owner})
    session.add_all(
        [
            Todo(title="Mine", creator_id=ann.id),
            Todo(title="Assigned", creator_id=bob.id, team_id=dev.id, assignee_id=ann.id),
            Todo(title="Done", creator_id=ann.id, completed=True),
            Todo(title="Bob's team todo", creator_id=bob.id, team_id=dev.id),
            Todo(title="Zed's", creator_id=zed.id),
        ]
    )
    create_reminder(session, ann, text="Pending", when=at(3, 9))
    gone = create_reminder(session, ann, text="Dismissed", when=at(3, 9))
    dismiss_reminder(session, ann, reminder_id=gone.id)
    session.add(Reminder(owner_id=zed.id, reminder_text="Zed's", reminder_date=at(3, 9)))
    create_event(session, ann, title="Past", start=at(1, 9), now=NOW)
    create_event(session, ann, title="Soon", start=at(3, 9), now=NOW)
    create_event(session, bob, title="Team", start=at(4, 9), team="dev", now=NOW)
    create_event(session, zed, title="Zed's", start=at(4, 9), now=NOW)
    profile = get_profile(session, ann, now=NOW)
    assert profile.user.id == ann.id
    assert [(t.team.id, t.role) for t in profile.teams] == [
        (dev.id, Role.member),
        (ops.id, Role.admin),
    ]
    assert (profile.open_todos, profile.pending_reminders, profile.upcoming_events) == (2, 1, 2)


def test_a_new_users_profile_is_empty(session, make_user):
    profile = get_profile(session, make_user("ann"))
    assert profile.teams == []
    assert (profile.open_todos, profile.pending_reminders, profile.upcoming_events) == (0, 0, 0)
