"""Team, member, team todo, calendar and people endpoints over HTTP, with the authz matrix."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from api_helpers import ApiClient, bearer, error_of, running_app
from convonet_mcp.auth.jwt import issue_token_pair
from convonet_mcp.models import Role, Team, Todo, User, utcnow
from convonet_mcp.services import calendar, todos
from test_authz_matrix import TEAM_ACTORS, TEAM_MATRIX, TODO_ACTORS, TODO_MATRIX, expand

Headers = dict[str, str]


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    with running_app(database_url, tmp_path) as client:
        yield client


def _team(api: ApiClient, headers: Headers, name: str = "Dev") -> dict[str, Any]:
    response = api.request("POST", "/api/teams/", headers=headers, json={"name": name})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _join(api: ApiClient, owner: Headers, team_id: str, handle: str, role: str) -> None:
    body = {"email": f"{handle}@example.com", "role": role}
    response = api.request("POST", f"/api/teams/{team_id}/members", headers=owner, json=body)
    assert response.status_code == 201, response.text


def _todo(api: ApiClient, headers: Headers, team_id: str, **fields: Any) -> dict[str, Any]:
    response = api.request("POST", f"/api/teams/{team_id}/todos", headers=headers, json=fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


# ------------------------------------------------------------------ teams


def test_a_team_is_created_listed_read_renamed_and_deleted(api: ApiClient) -> None:
    ann = api.user("ann")
    team = _team(api, ann, "Dev")
    assert team["my_role"] == "owner" and team["name"] == "Dev"
    listed = api.request("GET", "/api/teams/", headers=ann).json()
    assert [t["id"] for t in listed] == [team["id"]]
    url = f"/api/teams/{team['id']}"
    detail = api.request("GET", url, headers=ann).json()
    assert [(m["username"], m["role"]) for m in detail["members"]] == [("ann", "owner")]
    renamed = api.request("PUT", url, headers=ann, json={"name": "Core", "description": "d"})
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Core", "d")
    assert api.request("DELETE", url, headers=ann).status_code == 204
    assert error_of(api.request("GET", url, headers=ann)) == (404, "not_found")
    assert api.request("GET", "/api/teams/", headers=ann).json() == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"name": ""}, 422), ({"name": "   "}, 422), ({}, 422), ({"name": "x" * 101}, 422)],
)
def test_creating_a_team_with_a_bad_name_is_422(
    api: ApiClient, body: dict[str, Any], expected: int
) -> None:
    ann = api.user("ann")
    assert error_of(api.request("POST", "/api/teams/", headers=ann, json=body))[0] == expected


def test_a_second_team_with_the_same_name_is_a_conflict(api: ApiClient) -> None:
    ann = api.user("ann")
    _team(api, ann, "Dev")
    again = api.request("POST", "/api/teams/", headers=ann, json={"name": "dev"})
    assert error_of(again) == (409, "conflict")


def test_renaming_a_team_to_a_name_already_used_is_a_conflict_and_bad_input_is_422(
    api: ApiClient,
) -> None:
    ann = api.user("ann")
    _team(api, ann, "Dev")
    ops = _team(api, ann, "Ops")
    url = f"/api/teams/{ops['id']}"
    assert error_of(api.request("PUT", url, headers=ann, json={"name": "DEV"})) == (409, "conflict")
    assert error_of(api.request("PUT", url, headers=ann, json={"name": ""}))[0] == 422
    assert error_of(api.request("PUT", url, headers=ann, json={"owner": "me"}))[0] == 422
    broken = api.request(
        "PUT", url, headers=ann | {"content-type": "application/json"}, content=b"{oops"
    )
    assert error_of(broken) == (422, "invalid_input")


@pytest.mark.parametrize("team_id", ["not-a-uuid", "Dev", str(uuid.uuid4())])
def test_a_malformed_unknown_or_named_team_id_is_404(api: ApiClient, team_id: str) -> None:
    ann = api.user("ann")
    _team(api, ann, "Dev")
    for method in ("GET", "PUT", "DELETE"):
        body = {"name": "x"} if method == "PUT" else None
        response = api.request(method, f"/api/teams/{team_id}", headers=ann, json=body)
        assert error_of(response) == (404, "not_found")
    listing = api.request("GET", f"/api/teams/{team_id}/todos", headers=ann)
    assert error_of(listing) == (404, "not_found")


def test_team_endpoints_need_a_token(api: ApiClient) -> None:
    some = uuid.uuid4()
    for method, url in [
        ("GET", "/api/teams/"),
        ("POST", "/api/teams/"),
        ("GET", f"/api/teams/{some}"),
        ("GET", f"/api/teams/{some}/todos"),
        ("GET", f"/api/teams/{some}/calendar"),
        ("GET", "/api/users/search?q=a"),
    ]:
        body = {"name": "x"} if method == "POST" else None
        assert error_of(api.request(method, url, json=body)) == (401, "unauthorized")


# ---------------------------------------------------------------- members


def test_members_are_added_by_email_re_roled_and_removed(api: ApiClient) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    team = _team(api, ann)
    base = f"/api/teams/{team['id']}/members"
    added = api.request("POST", base, headers=ann, json={"email": "bob@example.com"})
    assert added.status_code == 201 and added.json()["role"] == "member"
    bob_id = added.json()["user_id"]
    assert api.request("GET", f"/api/teams/{team['id']}", headers=bob).json()["my_role"] == "member"
    role = api.request("PUT", f"{base}/{bob_id}/role", headers=ann, json={"role": "viewer"})
    assert role.status_code == 200 and role.json()["role"] == "viewer"
    assert api.request("DELETE", f"{base}/{bob_id}", headers=ann).status_code == 204
    assert error_of(api.request("GET", f"/api/teams/{team['id']}", headers=bob))[0] == 404


def test_member_errors_map_to_404_409_and_422(api: ApiClient) -> None:
    ann = api.user("ann")
    api.register("bob")
    team = _team(api, ann)
    base = f"/api/teams/{team['id']}/members"
    me = api.request("GET", "/api/auth/profile", headers=ann).json()["id"]
    unknown = api.request("POST", base, headers=ann, json={"email": "nobody@example.com"})
    assert error_of(unknown) == (404, "not_found")
    not_email = api.request("POST", base, headers=ann, json={"email": "bob"})
    assert error_of(not_email)[0] == 422
    bad_role = api.request(
        "POST", base, headers=ann, json={"email": "bob@example.com", "role": "x"}
    )
    assert error_of(bad_role)[0] == 422
    _join(api, ann, team["id"], "bob", "member")
    twice = api.request("POST", base, headers=ann, json={"email": "bob@example.com"})
    assert error_of(twice) == (409, "conflict")
    last_owner = api.request("DELETE", f"{base}/{me}", headers=ann)
    assert error_of(last_owner) == (409, "conflict")
    demote = api.request("PUT", f"{base}/{me}/role", headers=ann, json={"role": "admin"})
    assert error_of(demote) == (409, "conflict")
    stranger = api.request("DELETE", f"{base}/{uuid.uuid4()}", headers=ann)
    assert error_of(stranger) == (404, "not_found")
    malformed = api.request("PUT", f"{base}/bob/role", headers=ann, json={"role": "viewer"})
    assert error_of(malformed) == (404, "not_found")


# ------------------------------------------------------------------- todos


def test_team_todos_are_created_assigned_completed_reopened_and_deleted(api: ApiClient) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    team = _team(api, ann)
    _join(api, ann, team["id"], "bob", "member")
    todo = _todo(
        api,
        ann,
        team["id"],
        title="Ship it",
        priority="high",
        due="2031-05-02T15:00:00+00:00",
        assignee="bob@example.com",
    )
    assert todo["assignee"]["username"] == "bob" and todo["priority"] == "high"
    assert todo["due_date"].startswith("2031-05-02T15:00:00")
    url = f"/api/teams/{team['id']}/todos/{todo['id']}"
    done = api.request("PUT", url, headers=bob, json={"completed": True})
    assert done.json()["completed"] is True and done.json()["completed_at"]
    reopened = api.request("PUT", url, headers=ann, json={"completed": False, "due": None})
    assert reopened.json()["completed"] is False and reopened.json()["due_date"] is None
    renamed = api.request(
        "PUT", url, headers=ann, json={"title": "Ship it now", "assignee": None, "priority": "low"}
    )
    body = renamed.json()
    assert (body["title"], body["assignee"], body["priority"]) == ("Ship it now", None, "low")
    assert api.request("DELETE", url, headers=ann).status_code == 204
    assert error_of(api.request("DELETE", url, headers=ann)) == (404, "not_found")


def test_team_todos_are_filtered_and_paged_with_a_cursor(api: ApiClient) -> None:
    ann = api.user("ann")
    api.register("bob")
    team = _team(api, ann)
    _join(api, ann, team["id"], "bob", "member")
    base = f"/api/teams/{team['id']}/todos"
    for n in range(5):
        _todo(api, ann, team["id"], title=f"task {n}", priority="urgent" if n % 2 else "low")
    _todo(api, ann, team["id"], title="Bob's", assignee="bob@example.com", due="2031-01-10")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.request("GET", base, headers=ann, params=params).json()
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Bob's", "task 4", "task 3", "task 2", "task 1", "task 0"]

    def titles(**params: Any) -> list[str]:
        response = api.request("GET", base, headers=ann, params=params)
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["items"]]

    assert titles(priority="urgent") == ["task 3", "task 1"]
    assert titles(assignee="bob@example.com") == ["Bob's"]
    assert titles(q="TASK 4") == ["task 4"]
    assert titles(due_after="2031-01-01", due_before="2031-01-31") == ["Bob's"]
    task4 = _id_of(api, ann, base, "task 4")
    api.request("PUT", f"{base}/{task4}", headers=ann, json={"completed": True})
    assert "task 4" not in titles() and titles(status="completed") == ["task 4"]
    assert len(titles(status="all")) == 6


def _id_of(api: ApiClient, headers: Headers, base: str, title: str) -> str:
    items = api.request("GET", base, headers=headers, params={"status": "all"}).json()["items"]
    return str(next(t["id"] for t in items if t["title"] == title))


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage!"},
        {"status": "done"},
        {"priority": "meh"},
        {"limit": 0},
        {"limit": 201},
        {"due_after": "not a date at all"},
    ],
)
def test_bad_todo_filters_are_422(api: ApiClient, params: dict[str, Any]) -> None:
    ann = api.user("ann")
    team = _team(api, ann)
    response = api.request("GET", f"/api/teams/{team['id']}/todos", headers=ann, params=params)
    assert error_of(response)[0] == 422


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "ok", "priority": "meh"},
        {"title": "ok", "due": "not a date at all"},
        {"title": "ok", "assignee": "nobody@example.com"},
        {"title": "ok", "extra": 1},
    ],
)
def test_bad_todo_input_is_refused(api: ApiClient, body: dict[str, Any]) -> None:
    ann = api.user("ann")
    team = _team(api, ann)
    response = api.request("POST", f"/api/teams/{team['id']}/todos", headers=ann, json=body)
    assert error_of(response)[0] in {404, 422}
    if "assignee" not in body:
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"priority": "meh"}, 422),
        ({"title": ""}, 422),
        ({"due": "not a date at all"}, 422),
        ({"assignee": "carl@example.com"}, 422),
        ({"assignee": "nobody@example.com"}, 404),
        ({"completed": "maybe"}, 422),
    ],
)
def test_bad_todo_changes_are_refused(api: ApiClient, body: dict[str, Any], expected: int) -> None:
    ann = api.user("ann")
    api.register("carl")
    team = _team(api, ann)
    todo = _todo(api, ann, team["id"], title="t")
    url = f"/api/teams/{team['id']}/todos/{todo['id']}"
    assert error_of(api.request("PUT", url, headers=ann, json=body))[0] == expected
    unchanged = api.request("GET", f"/api/teams/{team['id']}/todos", headers=ann).json()
    assert [(t["title"], t["priority"], t["assignee"]) for t in unchanged["items"]] == [
        ("t", "medium", None)
    ]


def test_a_role_change_to_an_unknown_role_is_422(api: ApiClient) -> None:
    ann = api.user("ann")
    bob = api.register("bob")
    team = _team(api, ann)
    _join(api, ann, team["id"], "bob", "member")
    url = f"/api/teams/{team['id']}/members/{bob['id']}/role"
    assert error_of(api.request("PUT", url, headers=ann, json={"role": "boss"}))[0] == 422
    assert error_of(api.request("PUT", url, headers=ann, json={}))[0] == 422


def test_a_todo_of_another_team_is_404_under_this_team(api: ApiClient) -> None:
    ann = api.user("ann")
    dev, ops = _team(api, ann, "Dev"), _team(api, ann, "Ops")
    todo = _todo(api, ann, ops["id"], title="ops work")
    for method in ("PUT", "DELETE"):
        body = {"title": "x"} if method == "PUT" else None
        url = f"/api/teams/{dev['id']}/todos/{todo['id']}"
        assert error_of(api.request(method, url, headers=ann, json=body)) == (404, "not_found")
        bad = f"/api/teams/{dev['id']}/todos/not-a-uuid"
        assert error_of(api.request(method, bad, headers=ann, json=body)) == (404, "not_found")


# ---------------------------------------------------------------- calendar


def test_the_calendar_shows_due_team_todos_and_team_events_in_the_range(
    api: ApiClient, session: Session
) -> None:
    ann = api.user("ann")
    team = _team(api, ann)
    _todo(api, ann, team["id"], title="in range", due="2031-03-10T12:00:00+00:00")
    _todo(api, ann, team["id"], title="too late", due="2031-05-10T12:00:00+00:00")
    _todo(api, ann, team["id"], title="no due date")
    me = api.request("GET", "/api/auth/profile", headers=ann).json()["id"]
    owner = session.get(User, uuid.UUID(me))
    assert owner is not None
    calendar.create_event(
        session, owner, title="Planning", start="2031-03-12T09:00:00+00:00", team=team["id"]
    )
    calendar.create_event(session, owner, title="Personal", start="2031-03-12T11:00:00+00:00")
    session.commit()
    url = f"/api/teams/{team['id']}/calendar"
    got = api.request("GET", url, headers=ann, params={"start": "2031-03-01", "end": "2031-03-31"})
    assert got.status_code == 200, got.text
    data = got.json()
    assert [t["title"] for t in data["todos"]] == ["in range"]
    assert [e["title"] for e in data["events"]] == ["Planning"]
    assert data["start"].startswith("2031-03-01T00:00:00")
    default = api.request("GET", url, headers=ann).json()
    span = datetime.fromisoformat(default["end"]) - datetime.fromisoformat(default["start"])
    assert span == timedelta(days=31)


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2031-03-10", "end": "2031-03-01"},
        {"start": "2031-01-01", "end": "2031-12-31"},
        {"start": "gibberish words only"},
    ],
)
def test_a_bad_calendar_range_is_422(api: ApiClient, params: dict[str, str]) -> None:
    ann = api.user("ann")
    team = _team(api, ann)
    response = api.request("GET", f"/api/teams/{team['id']}/calendar", headers=ann, params=params)
    assert error_of(response)[0] == 422


def test_the_calendar_of_someone_elses_team_is_404(api: ApiClient) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    team = _team(api, ann)
    response = api.request("GET", f"/api/teams/{team['id']}/calendar", headers=bob)
    assert error_of(response) == (404, "not_found")


# ------------------------------------------------------------------ people


def test_people_search_finds_teammates_and_exact_emails_only(api: ApiClient) -> None:
    ann = api.user("ann", first_name="Ann")
    api.register("bob", first_name="Bobby")
    api.register("carl", first_name="Carl")
    team = _team(api, ann)
    _join(api, ann, team["id"], "bob", "member")

    def search(q: str) -> list[str]:
        response = api.request("GET", "/api/users/search", headers=ann, params={"q": q})
        assert response.status_code == 200, response.text
        return [p["username"] for p in response.json()]

    assert search("bobby") == ["bob"]
    assert search("carl") == []
    assert search("carl@example.com") == ["carl"]
    result = api.request("GET", "/api/users/search", headers=ann, params={"q": "bob"}).json()
    assert set(result[0]) == {"id", "name", "email", "username"}
    for params in ({}, {"q": ""}, {"q": "a", "limit": 0}):
        bad = api.request("GET", "/api/users/search", headers=ann, params=params)
        assert error_of(bad)[0] == 422


# ------------------------------------------------- authorization matrix over HTTP


@dataclass
class World:
    api: ApiClient
    session: Session
    people: dict[str, User]
    tokens: dict[str, Headers]
    team: Team
    items: dict[str, Todo]

    def call(self, actor: str, method: str, url: str, body: Any = None) -> httpx.Response:
        return self.api.request(method, url, headers=self.tokens[actor], json=body)


@pytest.fixture
def world(api: ApiClient, session: Session, make_user: Any, make_team: Any) -> World:
    names = [*TODO_ACTORS, "target_member", "target_admin", "newbie"]
    people = {name: make_user(name.replace("_", "")) for name in names}
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
        "team public": todos.create_todo(
            session, creator, title="public", team=dev.id, assignee=assignee
        ),
        "team private": todos.create_todo(
            session, creator, title="private", team=dev.id, assignee=assignee, is_private=True
        ),
    }
    tokens = {
        name: bearer(issue_token_pair(session, user, api.secrets).access_token)
        for name, user in people.items()
    }
    session.commit()
    return World(api, session, people, tokens, dev, items)


def code_of(response: httpx.Response) -> str:
    """Name an HTTP outcome the way the domain matrix does."""
    if response.is_success:
        return "ok"
    assert response.status_code in {403, 404, 409}, response.text
    return {404: "NF", 403: "FB", 409: "CF"}[error_of(response)[0]]


HttpTodoOp = Callable[[World, str, Todo | None], str]


def _todo_url(w: World, todo: Todo) -> str:
    return f"/api/teams/{w.team.id}/todos/{todo.id}"


def _http_list(w: World, actor: str, todo: Todo | None) -> str:
    assert todo is not None
    response = w.call(actor, "GET", f"/api/teams/{w.team.id}/todos?status=all")
    if not response.is_success:
        return code_of(response)
    return "ok" if str(todo.id) in {t["id"] for t in response.json()["items"]} else "--"


def _http_put(
    body: dict[str, Any], check: Callable[[dict[str, Any], World, str], bool]
) -> HttpTodoOp:
    def op(w: World, actor: str, todo: Todo | None) -> str:
        assert todo is not None
        response = w.call(actor, "PUT", _todo_url(w, todo), body)
        if response.is_success:
            assert check(response.json(), w, actor), response.json()
        return code_of(response)

    return op


def _http_reopen(w: World, actor: str, todo: Todo | None) -> str:
    assert todo is not None
    todo.completed, todo.completed_at = True, utcnow()
    w.session.commit()
    return _http_put({"completed": False}, lambda data, _w, _a: not data["completed"])(
        w, actor, todo
    )


def _http_delete(w: World, actor: str, todo: Todo | None) -> str:
    assert todo is not None
    todo_id = todo.id
    outcome = code_of(w.call(actor, "DELETE", _todo_url(w, todo)))
    if outcome == "ok":
        w.session.expire_all()
        assert w.session.get(Todo, todo_id) is None
    return outcome


def _http_create(private: bool) -> HttpTodoOp:
    def op(w: World, actor: str, _todo: Todo | None) -> str:
        body = {"title": "new", "is_private": private}
        response = w.call(actor, "POST", f"/api/teams/{w.team.id}/todos", body)
        if response.is_success:
            data = response.json()
            assert (data["creator_id"], data["is_private"]) == (str(w.people[actor].id), private)
        return code_of(response)

    return op


HTTP_TODO_OPS: dict[str, HttpTodoOp] = {
    "list": _http_list,
    "update": _http_put({"title": "renamed"}, lambda d, _w, _a: d["title"] == "renamed"),
    "complete": _http_put({"completed": True}, lambda d, _w, _a: d["completed"]),
    "reopen": _http_reopen,
    "assign": _http_put(
        {"assignee": "me"}, lambda d, w, a: d["assignee"]["id"] == str(w.people[a].id)
    ),
    "delete": _http_delete,
    "create team public": _http_create(False),
    "create team private": _http_create(True),
}

# Personal todos and single-todo reads have no team endpoint; everything else is covered.
HTTP_TODO_CASES = [
    case
    for case in expand(TODO_MATRIX, TODO_ACTORS)
    if case.values[0] != "personal" and case.values[1] in HTTP_TODO_OPS
]


@pytest.mark.parametrize(("item", "op", "actor", "expected"), HTTP_TODO_CASES)
def test_team_todo_endpoint_outcome_matches_the_domain_matrix(
    world: World, item: str, op: str, actor: str, expected: str
) -> None:
    assert HTTP_TODO_OPS[op](world, actor, world.items.get(item)) == expected


HttpTeamOp = Callable[[World, str], str]


def _team_url(w: World) -> str:
    return f"/api/teams/{w.team.id}"


def _members_of(w: World) -> dict[str, str]:
    detail = w.call("owner", "GET", _team_url(w))
    if not detail.is_success:
        return {}
    return {m["username"]: m["role"] for m in detail.json()["members"]}


def _get_team_http(w: World, actor: str) -> str:
    response = w.call(actor, "GET", _team_url(w))
    if response.is_success:
        assert response.json()["id"] == str(w.team.id)
    return code_of(response)


def _list_teams_http(w: World, actor: str) -> str:
    listed = w.call(actor, "GET", "/api/teams/").json()
    return "ok" if str(w.team.id) in {t["id"] for t in listed} else "--"


def _list_members_http(w: World, actor: str) -> str:
    response = w.call(actor, "GET", _team_url(w))
    if response.is_success:
        assert len(response.json()["members"]) == 8
    return code_of(response)


def _update_team_http(w: World, actor: str) -> str:
    response = w.call(actor, "PUT", _team_url(w), {"name": "New"})
    if response.is_success:
        assert response.json()["name"] == "New"
    return code_of(response)


def _delete_team_http(w: World, actor: str) -> str:
    outcome = code_of(w.call(actor, "DELETE", _team_url(w)))
    if outcome == "ok":
        assert not w.call("owner", "GET", _team_url(w)).is_success
    return outcome


def _leave_http(w: World, actor: str) -> str:
    outcome = code_of(w.call(actor, "DELETE", f"{_team_url(w)}/members/{w.people[actor].id}"))
    if outcome == "ok":
        assert actor.replace("_", "") not in _members_of(w)
    return outcome


def _adds_http(role: str) -> HttpTeamOp:
    def op(w: World, actor: str) -> str:
        body = {"email": "newbie@example.com", "role": role}
        outcome = code_of(w.call(actor, "POST", f"{_team_url(w)}/members", body))
        if outcome == "ok":
            assert _members_of(w)["newbie"] == role
        return outcome

    return op


def _changes_http(who: str, role: str) -> HttpTeamOp:
    def op(w: World, actor: str) -> str:
        url = f"{_team_url(w)}/members/{w.people[who].id}/role"
        outcome = code_of(w.call(actor, "PUT", url, {"role": role}))
        if outcome == "ok":
            assert _members_of(w)[who.replace("_", "")] == role
        return outcome

    return op


def _removes_http(who: str) -> HttpTeamOp:
    def op(w: World, actor: str) -> str:
        outcome = code_of(w.call(actor, "DELETE", f"{_team_url(w)}/members/{w.people[who].id}"))
        if outcome == "ok":
            assert who.replace("_", "") not in _members_of(w)
        return outcome

    return op


def _create_team_todo_http(w: World, actor: str) -> str:
    return code_of(w.call(actor, "POST", f"{_team_url(w)}/todos", {"title": "t"}))


def _list_team_todos_http(w: World, actor: str) -> str:
    response = w.call(actor, "GET", f"{_team_url(w)}/todos?status=all")
    if response.is_success:
        assert "public" in {t["title"] for t in response.json()["items"]}
    return code_of(response)


def _create_team_http(w: World, actor: str) -> str:
    response = w.call(actor, "POST", "/api/teams/", {"name": "Fresh"})
    if response.is_success:
        assert response.json()["my_role"] == "owner"
    return code_of(response)


HTTP_TEAM_OPS: dict[str, HttpTeamOp] = {
    "get_team": _get_team_http,
    "list_teams": _list_teams_http,
    "list_members": _list_members_http,
    "update_team": _update_team_http,
    "delete_team": _delete_team_http,
    "leave_team": _leave_http,
    "add member": _adds_http("member"),
    "add admin": _adds_http("admin"),
    "add owner": _adds_http("owner"),
    "member -> viewer": _changes_http("target_member", "viewer"),
    "member -> admin": _changes_http("target_member", "admin"),
    "admin -> member": _changes_http("target_admin", "member"),
    "last owner -> admin": _changes_http("owner", "admin"),
    "remove member": _removes_http("target_member"),
    "remove admin": _removes_http("target_admin"),
    "remove last owner": _removes_http("owner"),
    "create team todo": _create_team_todo_http,
    "list team todos": _list_team_todos_http,
    "create team": _create_team_http,
}


def test_every_team_operation_of_the_domain_matrix_has_an_http_counterpart() -> None:
    assert set(HTTP_TEAM_OPS) == set(TEAM_MATRIX)


@pytest.mark.parametrize(
    ("item", "op", "actor", "expected"), expand({"team": TEAM_MATRIX}, TEAM_ACTORS)
)
def test_team_endpoint_outcome_matches_the_domain_matrix(
    world: World, item: str, op: str, actor: str, expected: str
) -> None:
    assert item == "team"
    assert HTTP_TEAM_OPS[op](world, actor) == expected


def test_a_naive_due_date_is_read_in_the_users_timezone_and_returned_in_utc(api: ApiClient) -> None:
    ann = api.user("ann", timezone="America/New_York")
    team = _team(api, ann)
    todo = _todo(api, ann, team["id"], title="t", due="2031-07-01 09:00")
    due = datetime.fromisoformat(todo["due_date"])
    assert due.astimezone(UTC) == datetime(2031, 7, 1, 13, 0, tzinfo=UTC)
