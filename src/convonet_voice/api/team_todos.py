"""Team todo endpoints and the team calendar (due todos plus team events in a range)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from convonet_mcp.dates import day_bounds, parse_datetime, parse_day
from convonet_mcp.errors import InvalidInput, NotFound
from convonet_mcp.models import Todo
from convonet_mcp.services import calendar, todo_lists, todos
from convonet_mcp.services.access import as_uuid
from convonet_voice.api.kit import Api, Call
from convonet_voice.api.schemas import (
    CalendarOut,
    CalendarQuery,
    EventOut,
    TodoIn,
    TodoOut,
    TodoPageOut,
    TodoQuery,
    TodoUpdateIn,
)
from convonet_voice.api.teams import TEAM, team_id_of

api = Api()
TAG = "team todos"
TODO = TEAM + "/todos/{todo_id}"
DEFAULT_SPAN = timedelta(days=31)
MAX_SPAN = timedelta(days=93)
PAGE = 200
MAX_PAGES = 5
_FIELDS = {"title", "description", "priority", "due", "is_private"}


def _team_todo(call: Call, team_id: uuid.UUID) -> Todo:
    """The ``{todo_id}`` of this team, visible to the caller, or NotFound."""
    todo_id = call.path["todo_id"]
    todo = todos.get_todo(call.session, call.actor, todo_id=as_uuid(todo_id, "todo"))
    if todo.team_id != team_id:
        raise NotFound(f'No todo with id "{todo_id}" in this team.')
    return todo


@api.route(
    "GET",
    TEAM + "/todos",
    summary="The team's todos you may see, newest first, with filters and a cursor",
    tag=TAG,
    query=TodoQuery,
    response=TodoPageOut,
    errors=(401, 404, 422),
)
def list_team_todos(call: Call) -> TodoPageOut:
    """List one page of the team's todos."""
    q = call.query(TodoQuery)
    page = todo_lists.list_team_todos(
        call.session,
        call.actor,
        team=team_id_of(call),
        status=q.status,
        priority=q.priority,
        assignee=q.assignee or None,
        due_after=q.due_after or None,
        due_before=q.due_before or None,
        text=q.q,
        limit=q.limit,
        cursor=q.cursor,
    )
    return TodoPageOut(items=[TodoOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@api.route(
    "POST",
    TEAM + "/todos",
    summary="Create a team todo (members and up)",
    tag=TAG,
    body=TodoIn,
    response=TodoOut,
    status=201,
    errors=(401, 403, 404, 422),
)
def create_team_todo(call: Call) -> TodoOut:
    """Create a todo in the team, optionally assigned to a member."""
    data = call.body(TodoIn)
    todo = todos.create_todo(
        call.session,
        call.actor,
        title=data.title,
        description=data.description,
        priority=data.priority,
        due=data.due or None,
        team=team_id_of(call),
        assignee=data.assignee or None,
        is_private=data.is_private,
    )
    return TodoOut.of(todo)


@api.route(
    "PUT",
    TODO,
    summary="Change, complete, reopen or (re)assign a team todo",
    tag=TAG,
    body=TodoUpdateIn,
    response=TodoOut,
    errors=(401, 403, 404, 422),
)
def update_team_todo(call: Call) -> TodoOut:
    """Apply the given fields; ``due: null`` clears the due date, ``assignee: null`` unassigns."""
    data = call.body(TodoUpdateIn)
    given = data.model_fields_set
    todo = _team_todo(call, team_id_of(call))
    session, actor = call.session, call.actor
    if given & _FIELDS:
        todo = todos.update_todo(
            session,
            actor,
            todo_id=todo.id,
            title=data.title,
            description=data.description,
            priority=data.priority,
            due=data.due if data.due else None,
            clear_due="due" in given and not data.due,
            is_private=data.is_private,
        )
    if data.completed is True:
        todo = todos.complete_todo(session, actor, todo_id=todo.id)
    elif data.completed is False:
        todo = todos.reopen_todo(session, actor, todo_id=todo.id)
    if "assignee" in given:
        todo = todos.assign_todo(session, actor, todo_id=todo.id, assignee=data.assignee or None)
    return TodoOut.of(todo)


@api.route(
    "DELETE",
    TODO,
    summary="Delete a team todo (its creator, or an admin or owner)",
    tag=TAG,
    status=204,
    errors=(401, 403, 404),
)
def delete_team_todo(call: Call) -> None:
    """Delete the todo."""
    todo = _team_todo(call, team_id_of(call))
    todos.delete_todo(call.session, call.actor, todo_id=todo.id)


def _range(call: Call, q: CalendarQuery) -> tuple[datetime, datetime]:
    tz = call.actor.timezone
    if q.start:
        start = parse_datetime(q.start, tz, default_time=time(0), field="start")
    else:
        start = day_bounds(parse_day(None, tz), tz)[0]
    end = (
        parse_datetime(q.end, tz, default_time=time.max, field="end")
        if q.end
        else start + DEFAULT_SPAN
    )
    if end <= start:
        raise InvalidInput("The end must be after the start.")
    if end - start > MAX_SPAN:
        raise InvalidInput(f"Ask for at most {MAX_SPAN.days} days at a time.")
    return start, end


@api.route(
    "GET",
    TEAM + "/calendar",
    summary="The team's todos due in a range and its events in that range",
    tag=TAG,
    query=CalendarQuery,
    response=CalendarOut,
    errors=(401, 404, 422),
)
def team_calendar(call: Call) -> CalendarOut:
    """Collect the team's due todos and events between ``start`` and ``end``."""
    team_id = team_id_of(call)
    start, end = _range(call, call.query(CalendarQuery))
    found: list[Todo] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = todo_lists.list_team_todos(
            call.session,
            call.actor,
            team=team_id,
            status="all",
            due_after=start,
            due_before=end,
            limit=PAGE,
            cursor=cursor,
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    events: list[EventOut] = []
    cursor = None
    for _ in range(MAX_PAGES):
        listed = calendar.list_events(
            call.session, call.actor, start=start, end=end, team=team_id, limit=PAGE, cursor=cursor
        )
        events.extend(EventOut.of(e) for e in listed.items)
        cursor = listed.next_cursor
        if cursor is None:
            break
    found.sort(key=lambda t: (t.due_date or start, t.title.lower()))
    return CalendarOut(start=start, end=end, todos=[TodoOut.of(t) for t in found], events=events)
