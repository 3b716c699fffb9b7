"""Name-or-id resolution of teams and people, shared by every service."""

from __future__ import annotations

import pytest

from convonet_mcp.errors import Ambiguous, NotFound
from convonet_mcp.models import Role
from convonet_mcp.services.access import resolve_team, resolve_user


def test_a_team_is_found_by_name_or_id_only_among_the_actors_teams(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    dev = make_team("Dev", {ann: Role.owner})
    make_team("Dev", {bob: Role.owner})
    assert resolve_team(session, ann, "dev").id == dev.id
    assert resolve_team(session, ann, str(dev.id)).id == dev.id
    with pytest.raises(NotFound):
        resolve_team(session, bob, str(dev.id))


def test_two_teams_with_one_name_ask_which_one(session, make_user, make_team):
    ann = make_user("ann")
    make_team("Dev", {ann: Role.owner})
    make_team("dev", {ann: Role.member})
    with pytest.raises(Ambiguous) as err:
        resolve_team(session, ann, "Dev")
    assert len(err.value.candidates) == 2


def test_people_by_name_are_limited_to_teammates_but_exact_email_finds_anyone(
    session, make_user, make_team
):
    ann, john, stranger = make_user("ann"), make_user("john"), make_user("zed", first_name="John")
    make_team("Dev", {ann: Role.owner, john: Role.member})
    assert resolve_user(session, ann, "John").id == john.id
    assert resolve_user(session, ann, "zed@example.com").id == stranger.id
    with pytest.raises(NotFound):
        resolve_user(session, ann, str(stranger.id))


def test_a_name_shared_by_two_teammates_asks_which_one(session, make_user, make_team):
    ann = make_user("ann")
    j1, j2 = make_user("john1", first_name="John"), make_user("john2", first_name="John")
    make_team("Dev", {ann: Role.owner, j1: Role.member, j2: Role.member})
    with pytest.raises(Ambiguous) as err:
        resolve_user(session, ann, "john")
    assert "john1@example.com" in str(err.value) and "john2@example.com" in str(err.value)
