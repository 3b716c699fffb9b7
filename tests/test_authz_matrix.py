"""Who may do what: every todo and team operation against every kind of actor.

Each row of a table lists the expected outcome for the actors in the column order.
Codes: ``ok`` allowed (and the effect is checked), ``NF`` NotFound, ``FB`` Forbidden,
``CF`` Conflict, ``--`` the call succeeds but the item is not in the listing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from convonet_mcp.errors import Conflict, Forbidden, NotFound
from convonet_mcp.models import Role, Team, Todo, User, utcnow
from convonet_mcp.services import teams, todo_lists, todos

# ---------------------------------------------------------------- todos

TODO_ACTORS = ["owner", "admin", "creator", "assignee", "member", "viewer", "non_member", "other"]

# The team "Dev" has every role; the creator and assignee are plain members. "non_member"
# is in no team; "other" owns another team. Items are created by "creator" and, for team
# items, assigned to "assignee".
TODO_MATRIX: dict[str, dict[str, str]] = {
    #            owner admin creator assignee member viewer non_member other
    "personal": {
        "get":      "NF  NF  ok  NF  NF  NF  NF  NF",
        "list":     "--  --  ok  --  --  --  --  --",
        "update":   "NF  NF  ok  NF  NF  NF  NF  NF",
        "complete": "NF  NF  ok  NF  NF  NF  NF  NF",
        "reopen":   "NF  NF  ok  NF  NF  NF  NF  NF",
        "assign":   "NF  NF  ok  NF  NF  NF  NF  NF",
        "delete":   "NF  NF  ok  NF  NF  NF  NF  NF",
    },
    "team public": {
        "get":      "ok  ok  ok  ok  ok  ok  NF  NF",
        "list":     "ok  ok  ok  ok  ok  ok  NF  NF",
        "update":   "ok  ok  ok  ok  FB  FB  NF  NF",
        "complete": "ok  ok  ok  ok  FB  FB  NF  NF",
        "reopen":   "ok  ok  ok  ok  FB  FB  NF  NF",
        "assign":   "ok  ok  ok  ok  FB  FB  NF  NF",
        "delete":   "ok  ok  ok  FB  FB  FB  NF  NF",
    },
    "team private": {
        "get":      "NF  NF  ok  ok  NF  NF  NF  NF",
        "list":     "--  --  ok  ok  --  --  NF  NF",
        "update":   "NF  NF  ok  ok  NF  NF  NF  NF",
        "complete": "NF  NF  ok  ok  NF  NF  NF  NF",
        "reopen":   "NF  NF  ok  ok  NF  NF  NF  NF",
        "assign":   "NF  NF  ok  ok  NF  NF  NF  NF",
        "delete":   "NF  NF  ok  FB  NF  NF  NF  NF",
    },
    "new": {
        "create personal":     "ok  ok  ok  ok  ok  ok  ok  ok",
        "create team public":  "ok  ok  ok  ok  ok  FB  NF  NF",
        "create team private": "ok  ok  ok  ok  ok  FB  NF  NF",
    },
}  # fmt: skip


@dataclass
class World:
    session: Session
    people: dict[str, User]
    team: Team
    items: dict[str, Todo]


@pytest.fixture
def world(session: Session, make_user: Any, make_team: Any) -> World:
    people = {name: make_user(name.replace("_", "")) for name in TODO_ACTORS}
    people["target_member"] = make_user("tm")
    people["target_admin"] = make_user("ta")
    people["newbie"] = make_user("newbie")
    p = people
    dev = make_team(
        "Dev",
        {
            p["owner"]: Role.owner,
            p["admin"]: Role.admin,
            p["creator"]: Role.member,
            p["assignee"]: Role.member,
            p["member"]: Role.member,
            p["viewer"]: Role.viewer,
            p["target_member"]: Role.member,
            p["target_admin"]: Role.admin,
        },
    )
    make_team("Other", {p["other"]: Role.owner})
    creator, assignee = p["creator"], str(p["assignee"].id)
    items = {
        "personal": todos.create_todo(session, creator, title="personal"),
        "team public": todos.create_todo(
            session, creator, title="public", team=dev.id, assignee=assignee
        ),
        "team private": todos.create_todo(
            session, creator, title="private", team=dev.id, assignee=assignee, is_private=True
        ),
    }
    return World(session, people, dev, items)


TodoOp = Callable[[World, User, Todo | None], str | None]


def _get(w: World, actor: User, todo: Todo | None) -> None:
    assert todo is not None
    assert todos.get_todo(w.session, actor, todo_id=str(todo.id)).id == todo.id


def _list(w: World, actor: User, todo: Todo | None) -> str:
    assert todo is not None
    if todo.team_id is None:
        page = todo_lists.list_todos(w.session, actor, status="all")
    else:
        page = todo_lists.list_team_todos(w.session, actor, team=str(todo.team_id), status="all")
    return "ok" if todo.id in {t.id for t in page.items} else "--"


def _update(w: World, actor: User, todo: Todo | None) -> None:
    assert todo is not None
    assert todos.update_todo(w.session, actor, todo_id=todo.id, title="renamed").title == "renamed"


def _complete(w: World, actor: User, todo: Todo | None) -> None:
    assert todo is not None
    assert todos.complete_todo(w.session, actor, todo_id=todo.id).completed


def _reopen(w: World, actor: User, todo: Todo | None) -> None:
    assert todo is not None
    todo.completed, todo.completed_at = True, utcnow()
    w.session.flush()
    assert not todos.reopen_todo(w.session, actor, todo_id=todo.id).completed


def _assign(w: World, actor: User, todo: Todo | None) -> None:
    assert todo is not None
    assert todos.assign_todo(w.session, actor, todo_id=todo.id, assignee="me").assignee_id == (
        actor.id
    )


def _delete(w: World, actor: User, todo: Todo | None) -> None:
    assert todo is not None
    todo_id = todo.id
    assert todos.delete_todo(w.session, actor, todo_id=todo_id).id == todo_id
    assert w.session.get(Todo, todo_id) is None


def _creating(*, in_team: bool, private: bool = False) -> TodoOp:
    def op(w: World, actor: User, _todo: Todo | None) -> None:
        team = w.team.id if in_team else None
        made = todos.create_todo(w.session, actor, title="new", team=team, is_private=private)
        assert (made.creator_id, made.team_id, made.is_private) == (actor.id, team, private)

    return op


TODO_OPS: dict[str, TodoOp] = {
    "get": _get,
    "list": _list,
    "update": _update,
    "complete": _complete,
    "reopen": _reopen,
    "assign": _assign,
    "delete": _delete,
    "create personal": _creating(in_team=False),
    "create team public": _creating(in_team=True),
    "create team private": _creating(in_team=True, private=True),
}


def outcome(call: Callable[[], str | None]) -> str:
    """Run one operation and name what happened."""
    try:
        return call() or "ok"
    except NotFound:
        return "NF"
    except Forbidden:
        return "FB"
    except Conflict:
        return "CF"


def expand(matrix: dict[str, dict[str, str]], actors: list[str]) -> list[Any]:
    """Flatten a table into one pytest case per (item, operation, actor)."""
    cases = []
    for item, rows in matrix.items():
        for op, codes in rows.items():
            cells = codes.split()
            assert len(cells) == len(actors), f"{item}/{op} needs one code per actor"
            for actor, code in zip(actors, cells, strict=True):
                cases.append(pytest.param(item, op, actor, code, id=f"{item}-{op}-{actor}-{code}"))
    return cases


@pytest.mark.parametrize(("item", "op", "actor", "expected"), expand(TODO_MATRIX, TODO_ACTORS))
def test_todo_operation_outcome_matches_the_matrix(
    world: World, item: str, op: str, actor: str, expected: str
) -> None:
    todo = world.items.get(item)
    got = outcome(lambda: TODO_OPS[op](world, world.people[actor], todo))
    assert got == expected


def test_the_todo_matrix_covers_every_operation_on_every_existing_item() -> None:
    existing = {op for op in TODO_OPS if not op.startswith("create")}
    for item in ("personal", "team public", "team private"):
        assert set(TODO_MATRIX[item]) == existing
    assert set(TODO_MATRIX["new"]) == set(TODO_OPS) - existing


@pytest.mark.parametrize("op", ["get", "update", "complete", "reopen", "assign", "delete"])
@pytest.mark.parametrize("bad_id", ["", "42", "not-a-uuid", "00000000-0000-0000-0000-00000000000g"])
def test_a_malformed_todo_id_is_not_found_for_every_operation(
    world: World, op: str, bad_id: str
) -> None:
    creator = world.people["creator"]
    calls: dict[str, Callable[[], object]] = {
        "get": lambda: todos.get_todo(world.session, creator, todo_id=bad_id),
        "update": lambda: todos.update_todo(world.session, creator, todo_id=bad_id, title="x"),
        "complete": lambda: todos.complete_todo(world.session, creator, todo_id=bad_id),
        "reopen": lambda: todos.reopen_todo(world.session, creator, todo_id=bad_id),
        "assign": lambda: todos.assign_todo(world.session, creator, todo_id=bad_id, assignee="me"),
        "delete": lambda: todos.delete_todo(world.session, creator, todo_id=bad_id),
    }
    with pytest.raises(NotFound):
        calls[op]()


# ---------------------------------------------------------------- teams

TEAM_ACTORS = ["owner", "admin", "member", "viewer", "non_member", "other"]

# "Dev" has one owner, plus "tm" (a member) and "ta" (an admin) to act upon;
# "newbie" (no team) is the person added.
TEAM_MATRIX: dict[str, str] = {
    #                         owner admin member viewer non_member other
    "get_team":               "ok  ok  ok  ok  NF  NF",
    "list_teams":             "ok  ok  ok  ok  --  --",
    "list_members":           "ok  ok  ok  ok  NF  NF",
    "update_team":            "ok  ok  FB  FB  NF  NF",
    "delete_team":            "ok  FB  FB  FB  NF  NF",
    "leave_team":             "CF  ok  ok  ok  NF  NF",
    "add member":             "ok  ok  FB  FB  NF  NF",
    "add admin":              "ok  FB  FB  FB  NF  NF",
    "add owner":              "ok  FB  FB  FB  NF  NF",
    "member -> viewer":       "ok  ok  FB  FB  NF  NF",
    "member -> admin":        "ok  FB  FB  FB  NF  NF",
    "admin -> member":        "ok  FB  FB  FB  NF  NF",
    "last owner -> admin":    "CF  FB  FB  FB  NF  NF",
    "remove member":          "ok  ok  FB  FB  NF  NF",
    "remove admin":           "ok  FB  FB  FB  NF  NF",
    "remove last owner":      "CF  FB  FB  FB  NF  NF",
    "create team todo":       "ok  ok  ok  FB  NF  NF",
    "list team todos":        "ok  ok  ok  ok  NF  NF",
    "create team":            "ok  ok  ok  ok  ok  ok",
}  # fmt: skip


TeamOp = Callable[[World, User], str | None]


def _role_of(w: World, who: str) -> Role | None:
    for m in teams.list_members(w.session, w.people["owner"], team=w.team.id):
        if m.user_id == w.people[who].id:
            return m.role
    return None


def _changes(who: str, role: Role) -> TeamOp:
    def op(w: World, actor: User) -> None:
        email = w.people[who].email
        changed = teams.change_role(w.session, actor, team=str(w.team.id), person=email, role=role)
        assert changed.role is role and _role_of(w, who) is role

    return op


def _adds(role: str) -> TeamOp:
    def op(w: World, actor: User) -> None:
        added = teams.add_member(
            w.session, actor, team=str(w.team.id), person="newbie@example.com", role=role
        )
        assert added.role.value == role and _role_of(w, "newbie") is Role(role)

    return op


def _removes(who: str) -> TeamOp:
    def op(w: World, actor: User) -> None:
        email = w.people[who].email
        teams.remove_member(w.session, actor, team=str(w.team.id), person=email)
        assert _role_of(w, who) is None

    return op


def _get_team(w: World, actor: User) -> None:
    assert teams.get_team(w.session, actor, team=str(w.team.id)).id == w.team.id


def _list_teams(w: World, actor: User) -> str:
    return "ok" if w.team.id in {t.id for t, _ in teams.list_teams(w.session, actor)} else "--"


def _list_members(w: World, actor: User) -> None:
    assert len(teams.list_members(w.session, actor, team=str(w.team.id))) == 8


def _update_team(w: World, actor: User) -> None:
    assert teams.update_team(w.session, actor, team=str(w.team.id), name="New").name == "New"


def _delete_team(w: World, actor: User) -> None:
    assert teams.delete_team(w.session, actor, team=str(w.team.id)).is_active is False


def _leave(w: World, actor: User) -> None:
    assert teams.leave_team(w.session, actor, team=str(w.team.id)).id == w.team.id
    assert w.team.id not in {t.id for t, _ in teams.list_teams(w.session, actor)}


def _create_team_todo(w: World, actor: User) -> None:
    assert todos.create_todo(w.session, actor, title="t", team=str(w.team.id)).team_id == w.team.id


def _list_team_todos(w: World, actor: User) -> None:
    page = todo_lists.list_team_todos(w.session, actor, team=str(w.team.id), status="all")
    assert "public" in {t.title for t in page.items}


def _create_team(w: World, actor: User) -> None:
    made = teams.create_team(w.session, actor, name="Fresh")
    assert (made, Role.owner) in teams.list_teams(w.session, actor)


TEAM_OPS: dict[str, TeamOp] = {
    "get_team": _get_team,
    "list_teams": _list_teams,
    "list_members": _list_members,
    "update_team": _update_team,
    "delete_team": _delete_team,
    "leave_team": _leave,
    "add member": _adds("member"),
    "add admin": _adds("admin"),
    "add owner": _adds("owner"),
    "member -> viewer": _changes("target_member", Role.viewer),
    "member -> admin": _changes("target_member", Role.admin),
    "admin -> member": _changes("target_admin", Role.member),
    "last owner -> admin": _changes("owner", Role.admin),
    "remove member": _removes("target_member"),
    "remove admin": _removes("target_admin"),
    "remove last owner": _removes("owner"),
    "create team todo": _create_team_todo,
    "list team todos": _list_team_todos,
    "create team": _create_team,
}


def test_the_team_matrix_covers_every_team_operation() -> None:
    assert set(TEAM_MATRIX) == set(TEAM_OPS)


@pytest.mark.parametrize(
    ("item", "op", "actor", "expected"), expand({"team": TEAM_MATRIX}, TEAM_ACTORS)
)
def test_team_operation_outcome_matches_the_matrix(
    world: World, item: str, op: str, actor: str, expected: str
) -> None:
    assert item == "team"
    assert outcome(lambda: TEAM_OPS[op](world, world.people[actor])) == expected
