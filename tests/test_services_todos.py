"""Todo service: creation rules, visibility, changes, filters and keyset paging."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from convonet_mcp.errors import Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Priority, Role, Todo
from convonet_mcp.services import teams, todo_lists, todos
from convonet_mcp.services.pagination import decode_cursor, encode_cursor


def titles(page):
    return [t.title for t in page.items]


def test_a_personal_todo_is_created_with_parsed_priority_and_a_5pm_due_date(session, make_user):
    ann = make_user("ann", timezone="Europe/Paris")
    todo = todos.create_todo(
        session, ann, title="  Buy milk ", priority="HIGH", due="2026-03-02", description=" x "
    )
    assert (todo.title, todo.description, todo.priority) == ("Buy milk", "x", Priority.high)
    assert todo.team_id is None and todo.creator_id == ann.id and todo.assignee_id is None
    assert todo.due_date == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 17:00 in Paris


def test_natural_language_due_dates_are_read_in_the_actors_timezone(session, make_user):
    ann = make_user("ann", timezone="America/New_York")
    todo = todos.create_todo(session, ann, title="Call", due="tomorrow at 9am")
    assert todo.due_date is not None
    local = todo.due_date.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 0)


@pytest.mark.parametrize("title", ["", "   ", "x" * 501])
def test_a_title_must_be_present_and_at_most_500_characters(session, make_user, title):
    with pytest.raises(InvalidInput):
        todos.create_todo(session, make_user("ann"), title=title)


def test_a_500_character_title_is_accepted(session, make_user):
    assert len(todos.create_todo(session, make_user("ann"), title="x" * 500).title) == 500


def test_an_unknown_priority_is_refused_with_the_choices_listed(session, make_user):
    with pytest.raises(InvalidInput) as err:
        todos.create_todo(session, make_user("ann"), title="t", priority="critical")
    assert "low, medium, high, urgent" in err.value.message


def test_a_personal_todo_can_be_assigned_only_to_its_creator(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    mine = todos.create_todo(session, ann, title="mine", assignee="me")
    assert mine.assignee_id == ann.id
    with pytest.raises(InvalidInput) as err:
        todos.create_todo(session, ann, title="t", assignee="bob@example.com")
    assert "team todo" in err.value.message
    with pytest.raises(InvalidInput):
        todos.assign_todo(session, ann, todo_id=mine.id, assignee="Bob")


def test_only_the_creator_sees_a_personal_todo(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.owner})
    todo = todos.create_todo(session, ann, title="secret")
    assert todos.get_todo(session, ann, todo_id=str(todo.id)).id == todo.id
    with pytest.raises(NotFound):
        todos.get_todo(session, bob, todo_id=todo.id)
    assert todo_lists.list_todos(session, bob).items == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "123", str(uuid.uuid4())])
def test_malformed_or_unknown_todo_ids_are_not_found(session, make_user, bad):
    ann = make_user("ann")
    for op in (todos.get_todo, todos.complete_todo, todos.delete_todo):
        with pytest.raises(NotFound):
            op(session, ann, todo_id=bad)


def test_a_team_todo_can_be_assigned_to_any_member_including_a_viewer(
    session, make_user, make_team
):
    ann, vic = make_user("ann"), make_user("vic")
    make_user("out")
    make_team("Dev", {ann: Role.member, vic: Role.viewer})
    todo = todos.create_todo(session, ann, title="t", team="dev", assignee="Vic")
    assert todo.assignee_id == vic.id and todo.assignee is not None
    with pytest.raises(InvalidInput) as err:
        todos.assign_todo(session, ann, todo_id=todo.id, assignee="out@example.com")
    assert "not a member" in err.value.message


def test_nobody_or_none_unassigns_a_todo(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    todo = todos.create_todo(session, ann, title="t", team="Dev", assignee="bob")
    assert todos.assign_todo(session, ann, todo_id=todo.id, assignee="Nobody").assignee is None
    todos.assign_todo(session, ann, todo_id=todo.id, assignee="bob@example.com")
    assert todos.assign_todo(session, ann, todo_id=todo.id, assignee=None).assignee_id is None


def test_a_viewer_cannot_create_team_todos_and_a_stranger_cannot_find_the_team(
    session, make_user, make_team
):
    vic, zed = make_user("vic"), make_user("zed")
    dev = make_team("Dev", {vic: Role.viewer})
    with pytest.raises(Forbidden):
        todos.create_todo(session, vic, title="t", team="Dev")
    with pytest.raises(NotFound):
        todos.create_todo(session, zed, title="t", team=str(dev.id))


def test_complete_and_reopen_are_idempotent(session, make_user):
    ann = make_user("ann")
    todo = todos.create_todo(session, ann, title="t")
    done = todos.complete_todo(session, ann, todo_id=todo.id)
    first = done.completed_at
    assert done.completed and first is not None
    assert todos.complete_todo(session, ann, todo_id=todo.id).completed_at == first
    again = todos.reopen_todo(session, ann, todo_id=todo.id)
    assert not again.completed and again.completed_at is None
    assert not todos.reopen_todo(session, ann, todo_id=todo.id).completed


def test_update_changes_only_the_given_fields_and_can_clear_the_due_date(session, make_user):
    ann = make_user("ann")
    todo = todos.create_todo(session, ann, title="t", description="d", due="2026-05-01")
    todos.update_todo(session, ann, todo_id=todo.id, title="new", priority="Urgent")
    assert (todo.title, todo.description, todo.priority) == ("new", "d", Priority.urgent)
    assert todo.due_date is not None
    todos.update_todo(session, ann, todo_id=todo.id, clear_due=True)
    assert todo.due_date is None
    with pytest.raises(InvalidInput):
        todos.update_todo(session, ann, todo_id=todo.id, due="friday", clear_due=True)
    with pytest.raises(InvalidInput):
        todos.update_todo(session, ann, todo_id=todo.id, title=" ")


def test_deleting_returns_the_rows_data_and_removes_it(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    todo = todos.create_todo(session, ann, title="gone", team="Dev", assignee="bob")
    todo_id = todo.id
    deleted = todos.delete_todo(session, ann, todo_id=todo_id)
    session.commit()
    assert deleted.title == "gone"
    assert deleted.team is not None and deleted.team.name == "Dev"
    assert deleted.assignee is not None and deleted.assignee.email == "bob@example.com"
    assert session.get(Todo, todo_id) is None


def test_my_todos_are_personal_ones_and_team_ones_i_created_or_am_assigned(
    session, make_user, make_team
):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    todos.create_todo(session, ann, title="personal")
    todos.create_todo(session, ann, title="team by me", team="Dev")
    todos.create_todo(session, bob, title="team for me", team="Dev", assignee="ann")
    todos.create_todo(session, bob, title="team not mine", team="Dev")
    todos.create_todo(session, bob, title="bob personal")
    assert titles(todo_lists.list_todos(session, ann)) == ["team for me", "team by me", "personal"]
    team_page = todo_lists.list_todos(session, ann, team="Dev")
    assert titles(team_page) == ["team not mine", "team for me", "team by me"]


def test_a_team_listing_hides_private_todos_from_members_who_are_not_involved(
    session, make_user, make_team
):
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    make_team("Dev", {ann: Role.owner, bob: Role.member, cat: Role.member})
    todos.create_todo(session, bob, title="private", team="Dev", assignee="cat", is_private=True)
    todos.create_todo(session, bob, title="public", team="Dev")
    assert titles(todo_lists.list_team_todos(session, ann, team="Dev")) == ["public"]
    assert titles(todo_lists.list_team_todos(session, cat, team="Dev")) == ["public", "private"]
    assert titles(todo_lists.list_todos(session, cat)) == ["private"]


def test_leaving_a_team_hides_its_todos_from_my_list(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    todo = todos.create_todo(session, bob, title="bob's", team="Dev")
    teams.leave_team(session, bob, team="Dev")
    assert todo_lists.list_todos(session, bob).items == []
    with pytest.raises(NotFound):
        todos.get_todo(session, bob, todo_id=todo.id)


def test_filters_by_status_priority_assignee_due_window_and_text(session, make_user, make_team):
    ann, bob = make_user("ann"), make_user("bob")
    make_team("Dev", {ann: Role.owner, bob: Role.member})
    a = todos.create_todo(session, ann, title="Write report", priority="high", due="2026-03-02")
    todos.create_todo(session, ann, title="Plan", description="the REPORT outline", team="Dev")
    todos.create_todo(session, ann, title="Fix bug", team="Dev", assignee="bob", due="2026-04-01")
    done = todos.create_todo(session, ann, title="Old", priority="high")
    todos.complete_todo(session, ann, todo_id=done.id)

    assert titles(todo_lists.list_todos(session, ann, status="completed")) == ["Old"]
    assert len(todo_lists.list_todos(session, ann, status="all").items) == 4
    assert titles(todo_lists.list_todos(session, ann, priority="HIGH")) == ["Write report"]
    assert titles(todo_lists.list_todos(session, ann, assignee="bob")) == ["Fix bug"]
    assert titles(todo_lists.list_todos(session, ann, assignee="nobody", team="Dev")) == ["Plan"]
    window = todo_lists.list_todos(session, ann, due_after="2026-03-02", due_before="2026-03-31")
    assert [t.id for t in window.items] == [a.id]
    assert titles(todo_lists.list_todos(session, ann, text="report")) == ["Plan", "Write report"]
    assert todo_lists.list_todos(session, ann, text="100%").items == []
    with pytest.raises(InvalidInput):
        todo_lists.list_todos(session, ann, status="done")  # type: ignore[arg-type]


def test_completed_todos_are_walked_page_by_page_with_the_cursor(session, make_user):
    ann = make_user("ann")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(7):
        todo = todos.create_todo(session, ann, title=f"t{i}")
        todo.created_at = base + timedelta(minutes=i // 2)  # ties resolved by id
        todos.complete_todo(session, ann, todo_id=todo.id)
    todos.create_todo(session, ann, title="still open")
    session.flush()

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = todo_lists.list_todos(session, ann, status="completed", limit=3, cursor=cursor)
        seen += titles(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == [f"t{i}" for i in range(7)] and len(set(seen)) == 7
    everything = todo_lists.list_todos(session, ann, status="completed", limit=200).items
    assert titles(todo_lists.list_todos(session, ann, status="completed", limit=200)) == seen
    assert [t.created_at for t in everything] == sorted(
        (t.created_at for t in everything), reverse=True
    )


def test_the_last_full_page_has_no_next_cursor_and_limits_are_clamped(session, make_user):
    ann = make_user("ann")
    for i in range(3):
        todos.create_todo(session, ann, title=f"t{i}")
    assert todo_lists.list_todos(session, ann, limit=3).next_cursor is None
    assert len(todo_lists.list_todos(session, ann, limit=0).items) == 1
    assert len(todo_lists.list_todos(session, ann, limit=10_000).items) == 3


@pytest.mark.parametrize(
    "cursor", ["garbage!", "Zm9v", encode_cursor(datetime.now(UTC), uuid.uuid4())[:-3]]
)
def test_a_malformed_cursor_is_invalid_input(session, make_user, cursor):
    with pytest.raises(InvalidInput):
        todo_lists.list_todos(session, make_user("ann"), cursor=cursor)


def test_a_cursor_round_trips_its_position():
    moment, row = datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=UTC), uuid.uuid4()
    key = decode_cursor(encode_cursor(moment, row))
    assert key is not None and (key.created_at, key.id) == (moment, row)


def test_my_todos_query_reads_through_the_creator_and_assignee_indexes(
    session, make_user, make_team
):
    ann = make_user("ann")
    make_team("Dev", {ann: Role.owner})
    todos.create_todo(session, ann, title="t", team="Dev")
    session.commit()
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "UNION ALL" in statement:
            statements.append((statement, parameters))

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", grab)
    try:
        assert titles(todo_lists.list_todos(session, ann, status="all")) == ["t"]
    finally:
        event.remove(bind, "before_cursor_execute", grab)
    sql, params = statements[0]
    conn = session.connection()
    if bind.dialect.name == "sqlite":
        plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    else:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
    assert "ix_todos_creator_created" in plan and "ix_todos_assignee_created" in plan
    session.rollback()


def test_todos_due_in_a_window_are_exactly_the_visible_open_ones(session, make_user, make_team):
    from sqlalchemy import select

    me, mate, stranger = make_user("me"), make_user("mate"), make_user("stranger")
    mine = make_team("Mine", {me: Role.member, mate: Role.owner})
    gone = make_team("Gone", {me: Role.member, mate: Role.owner})
    theirs = make_team("Theirs", {stranger: Role.owner})
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    cases = [
        (me, None, None, False, True),  # my personal todo
        (stranger, None, None, False, False),  # someone else's personal todo
        (mate, mine, None, False, True),  # a teammate's shared team todo
        (mate, mine, None, True, False),  # a teammate's private team todo
        (mate, mine, me, True, True),  # private, but assigned to me
        (me, mine, mate, True, True),  # private, created by me
        (mate, gone, me, False, False),  # a team that was deleted
        (stranger, theirs, None, False, False),  # a team I am not in
    ]
    expected = set()
    for creator, team, assignee, private, visible in cases:
        todo = Todo(
            title="t", creator_id=creator.id, team_id=team.id if team else None,
            assignee_id=assignee.id if assignee else None, is_private=private,
            due_date=now + timedelta(hours=1),
        )  # fmt: skip
        session.add(todo)
        session.flush()
        if visible:
            expected.add(todo.id)
    session.add(Todo(title="done", creator_id=me.id, completed=True, due_date=now))
    session.add(Todo(title="later", creator_id=me.id, due_date=now + timedelta(days=2)))
    gone.is_active = False
    session.flush()
    window = (now, now + timedelta(days=1))
    found = {t.id for t in todo_lists.due_between(session, me, *window)}
    assert found == expected
    by_clause = session.scalars(
        select(Todo.id).where(
            todo_lists.visible_to(me), Todo.completed.is_(False),
            Todo.due_date >= window[0], Todo.due_date < window[1],
        )
    )  # fmt: skip
    assert set(by_clause) == expected
