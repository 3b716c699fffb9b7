"""Team service: creation, membership management, role rules and the last-owner guard."""

from __future__ import annotations

import uuid

import pytest

from convonet_mcp.errors import Conflict, Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Role, TeamMembership
from convonet_mcp.services import teams, todo_lists, todos


def roles(session, actor, team):
    return {m.user.username: m.role for m in teams.list_members(session, actor, team=team)}


def test_the_creator_of_a_team_becomes_its_owner(session, make_user):
    ann = make_user("ann")
    team = teams.create_team(session, ann, name="  Dev   Team ", description=" ours ")
    assert (team.name, team.description, team.is_active) == ("Dev Team", "ours", True)
    assert teams.list_teams(session, ann) == [(team, Role.owner)]
    assert roles(session, ann, "dev team") == {"ann": Role.owner}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_team_name_must_have_1_to_100_characters(session, make_user, name):
    with pytest.raises(InvalidInput):
        teams.create_team(session, make_user("ann"), name=name)


def test_a_second_team_of_mine_with_the_same_name_is_a_conflict(session, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    teams.create_team(session, ann, name="Dev")
    with pytest.raises(Conflict):
        teams.create_team(session, ann, name="dev")
    assert teams.create_team(session, bob, name="Dev").name == "Dev"


def test_teams_are_listed_by_name_with_my_role(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    ops = make_team("ops", {bob: Role.owner, ann: Role.viewer})
    dev = make_team("Dev", {ann: Role.admin})
    make_team("Sales", {bob: Role.owner})
    assert teams.list_teams(session, ann) == [(dev, Role.admin), (ops, Role.viewer)]


def test_members_are_listed_owners_first_then_by_name(session, make_user, make_team):
    ann, bob, cat, dan = (make_user(h) for h in ("ann", "bob", "cat", "dan"))
    make_team("Dev", {dan: Role.viewer, cat: Role.member, bob: Role.owner, ann: Role.member})
    members = teams.list_members(session, dan, team="Dev")
    assert [m.user.username for m in members] == ["bob", "ann", "cat", "dan"]


def test_non_members_get_not_found_for_everything_about_a_team(session, make_user, make_team):
    ann, zed = make_user("ann"), make_user("zed")
    dev = make_team("Dev", {ann: Role.owner})
    for op, extra in [
        (teams.get_team, {}),
        (teams.list_members, {}),
        (teams.update_team, {"name": "X"}),
        (teams.delete_team, {}),
        (teams.leave_team, {}),
        (teams.add_member, {"person": "zed@example.com"}),
        (teams.remove_member, {"person": "ann@example.com"}),
        (teams.change_role, {"person": "ann@example.com", "role": "viewer"}),
    ]:
        for ref in (str(dev.id), "Dev", "not-a-uuid", str(uuid.uuid4())):
            with pytest.raises(NotFound):
                op(session, zed, team=ref, **extra)
    assert teams.list_teams(session, zed) == []


def test_admins_add_members_by_email_and_an_existing_member_is_a_conflict(
    session, make_user, make_team
):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.admin})
    added = teams.add_member(session, ann, team="Dev", person="BOB@example.com", role="Viewer")
    assert (added.user_id, added.role) == (bob.id, Role.viewer)
    with pytest.raises(Conflict):
        teams.add_member(session, ann, team="Dev", person="bob")
    with pytest.raises(InvalidInput) as err:
        teams.add_member(session, ann, team="Dev", person="cat@example.com", role="boss")
    assert "owner, admin, member, viewer" in err.value.message


def test_only_owners_grant_owner_or_admin(session, make_user, make_team):
    own, adm, bob, _cat = (make_user(h) for h in ("own", "adm", "bob", "cat"))
    make_team("Dev", {own: Role.owner, adm: Role.admin, bob: Role.member})
    for role in ("admin", "owner"):
        with pytest.raises(Forbidden):
            teams.add_member(session, adm, team="Dev", person="cat@example.com", role=role)
        with pytest.raises(Forbidden):
            teams.change_role(session, adm, team="Dev", person="bob", role=role)
    teams.change_role(session, own, team="Dev", person="bob", role="ADMIN")
    teams.add_member(session, own, team="Dev", person="cat@example.com", role="owner")
    assert roles(session, own, "Dev") == {
        "own": Role.owner,
        "cat": Role.owner,
        "adm": Role.admin,
        "bob": Role.admin,
    }


def test_only_owners_change_or_remove_an_admin(session, make_user, make_team):
    own, adm, adm2 = make_user("own"), make_user("adm"), make_user("adm2")
    make_team("Dev", {own: Role.owner, adm: Role.admin, adm2: Role.admin})
    with pytest.raises(Forbidden):
        teams.change_role(session, adm, team="Dev", person="adm2", role="member")
    with pytest.raises(Forbidden):
        teams.remove_member(session, adm, team="Dev", person="adm2")
    with pytest.raises(Forbidden):
        teams.remove_member(session, adm, team="Dev", person="own")
    teams.change_role(session, own, team="Dev", person="adm2", role="member")
    teams.remove_member(session, own, team="Dev", person="adm")
    assert roles(session, own, "Dev") == {"own": Role.owner, "adm2": Role.member}


def test_members_and_viewers_cannot_manage_members_or_rename(session, make_user, make_team):
    own, mem, vie = make_user("own"), make_user("mem"), make_user("vie")
    make_team("Dev", {own: Role.owner, mem: Role.member, vie: Role.viewer})
    make_user("new")
    for actor in (mem, vie):
        with pytest.raises(Forbidden):
            teams.add_member(session, actor, team="Dev", person="new@example.com")
        with pytest.raises(Forbidden):
            teams.change_role(session, actor, team="Dev", person="own", role="viewer")
        with pytest.raises(Forbidden):
            teams.update_team(session, actor, team="Dev", name="Mine")
    with pytest.raises(Forbidden):
        teams.remove_member(session, mem, team="Dev", person="vie")


def test_a_team_never_loses_its_last_owner(session, make_user, make_team):
    own, bob = make_user("own"), make_user("bob")
    make_team("Dev", {own: Role.owner, bob: Role.member})
    with pytest.raises(Conflict):
        teams.leave_team(session, own, team="Dev")
    with pytest.raises(Conflict):
        teams.remove_member(session, own, team="Dev", person="me")
    with pytest.raises(Conflict) as err:
        teams.change_role(session, own, team="Dev", person="own", role="admin")
    assert "last owner" in err.value.message
    teams.change_role(session, own, team="Dev", person="bob", role="owner")
    teams.change_role(session, own, team="Dev", person="own", role="admin")
    with pytest.raises(Conflict):
        teams.remove_member(session, bob, team="Dev", person="bob")
    assert roles(session, bob, "Dev") == {"bob": Role.owner, "own": Role.admin}


def test_an_owner_can_leave_when_another_owner_remains(session, make_user, make_team):
    own, two = make_user("own"), make_user("two")
    make_team("Dev", {own: Role.owner, two: Role.owner})
    left = teams.leave_team(session, own, team="Dev")
    assert left.name == "Dev"
    assert teams.list_teams(session, own) == []
    assert roles(session, two, "Dev") == {"two": Role.owner}


def test_removing_yourself_is_leaving_even_for_a_viewer(session, make_user, make_team):
    own, vie = make_user("own"), make_user("vie")
    make_team("Dev", {own: Role.owner, vie: Role.viewer})
    gone = teams.remove_member(session, vie, team="Dev", person="me")
    assert isinstance(gone, TeamMembership) and gone.user.username == "vie"
    assert teams.list_teams(session, vie) == []


def test_removing_someone_who_is_not_a_member_is_not_found(session, make_user, make_team):
    own = make_user("own")
    make_user("zed")
    make_team("Dev", {own: Role.owner})
    with pytest.raises(NotFound):
        teams.remove_member(session, own, team="Dev", person="zed@example.com")
    with pytest.raises(NotFound):
        teams.change_role(session, own, team="Dev", person="zed@example.com", role="viewer")


def test_a_removed_member_is_unassigned_from_the_teams_open_todos(session, make_user, make_team):
    own, bob = make_user("own"), make_user("bob")
    make_team("Dev", {own: Role.owner, bob: Role.member})
    open_one = todos.create_todo(session, own, title="open", team="Dev", assignee="bob")
    done = todos.create_todo(session, own, title="done", team="Dev", assignee="bob")
    todos.complete_todo(session, own, todo_id=done.id)
    teams.remove_member(session, own, team="Dev", person="bob")
    assert todos.get_todo(session, own, todo_id=open_one.id).assignee_id is None
    assert todos.get_todo(session, own, todo_id=done.id).assignee_id == bob.id


def test_admins_rename_and_describe_a_team(session, make_user, make_team):
    own, adm = make_user("own"), make_user("adm")
    make_team("Dev", {own: Role.owner, adm: Role.admin})
    make_team("Ops", {adm: Role.member})
    team = teams.update_team(session, adm, team="Dev", name="Platform", description="infra")
    assert (team.name, team.description) == ("Platform", "infra")
    assert teams.get_team(session, own, team="platform").id == team.id
    with pytest.raises(Conflict):
        teams.update_team(session, adm, team="Platform", name="ops")
    assert teams.update_team(session, adm, team="Platform", name="PLATFORM").name == "PLATFORM"


def test_only_an_owner_deletes_a_team_and_then_it_is_gone_with_its_todos(
    session, make_user, make_team
):
    own, adm = make_user("own"), make_user("adm")
    make_team("Dev", {own: Role.owner, adm: Role.admin})
    todo = todos.create_todo(session, adm, title="t", team="Dev")
    with pytest.raises(Forbidden):
        teams.delete_team(session, adm, team="Dev")
    deleted = teams.delete_team(session, own, team="Dev")
    assert deleted.is_active is False
    for actor in (own, adm):
        assert teams.list_teams(session, actor) == []
        with pytest.raises(NotFound):
            teams.get_team(session, actor, team=str(deleted.id))
        with pytest.raises(NotFound):
            todos.get_todo(session, actor, todo_id=todo.id)
    assert todo_lists.list_todos(session, adm).items == []
