"""Todos: personal and team todos, who may see and change them, and paged listing.

Rules:

- A personal todo (no team) is its creator's alone; it can only be assigned to them.
- A team todo is visible to every member (viewer and up), created by members and up,
  changed (update, complete, reopen, assign) by its creator, its assignee or a team
  admin or owner, and deleted by its creator or an admin or owner.
- A private team todo is visible to, and changeable by, only its creator and assignee.
- The assignee of a team todo must be a member of that team (any role, viewers included).
- Anything the actor may not see is reported as NotFound.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, time
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from convonet_mcp.dates import parse_datetime
from convonet_mcp.errors import Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Priority, Role, Todo, User, utcnow
from convonet_mcp.services.access import (
    active_team_ids,
    as_uuid,
    describe_user,
    require_member,
    require_role,
    resolve_team,
    resolve_user,
    role_in,
)
from convonet_mcp.services.pagination import (
    Page,
    clamp_limit,
    decode_cursor,
    make_page,
    older_than,
)

logger = logging.getLogger("convonet.todos")

MAX_TITLE = 500
DUE_TIME = time(17, 0)
NOBODY = frozenset({"nobody", "no one", "noone", "none", "unassigned", "unassign"})

Status = Literal["open", "completed", "all"]
TodoAction = Callable[[Session, User], Todo]
Ref = uuid.UUID | str


def parse_priority(value: Priority | str) -> Priority:
    """Read a priority case-insensitively, or raise InvalidInput listing the choices."""
    if isinstance(value, Priority):
        return value
    try:
        return Priority(str(value).strip().lower())
    except ValueError as exc:
        choices = ", ".join(p.value for p in Priority)
        raise InvalidInput(f'"{value}" is not a priority; choose one of: {choices}.') from exc


def _clean_title(title: str) -> str:
    text = (title or "").strip()
    if not text:
        raise InvalidInput("A todo needs a title.")
    if len(text) > MAX_TITLE:
        raise InvalidInput(f"The title is {len(text)} characters long; keep it to {MAX_TITLE}.")
    return text


def _due(actor: User, value: datetime | str) -> datetime:
    return parse_datetime(value, actor.timezone, default_time=DUE_TIME, field="due date")


def _visible(session: Session, actor: User, todo_id: Ref) -> tuple[Todo, Role | None]:
    """Load a todo the actor may see, with the actor's role in its team (None if personal)."""
    missing = NotFound(f'No todo with id "{todo_id}" among yours.')
    todo = session.get(Todo, as_uuid(todo_id, "todo"))
    if todo is None:
        raise missing
    if todo.team_id is None:
        if todo.creator_id != actor.id:
            raise missing
        return todo, None
    role = role_in(session, todo.team_id, actor.id)
    if role is None:
        raise missing
    if todo.is_private and actor.id not in (todo.creator_id, todo.assignee_id):
        raise missing
    return todo, role


def _changeable(session: Session, actor: User, todo_id: Ref) -> Todo:
    todo, role = _visible(session, actor, todo_id)
    involved = actor.id in (todo.creator_id, todo.assignee_id)
    if role is not None and not involved and role.rank < Role.admin.rank:
        raise Forbidden("Only the todo's creator, its assignee, or a team admin can change it.")
    return todo


def _assignee_id(
    session: Session, actor: User, ref: Ref | None, team_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Resolve whom a todo is assigned to; None or "nobody" unassigns."""
    if ref is None or (isinstance(ref, str) and ref.strip().lower() in NOBODY):
        return None
    if team_id is None:
        person = resolve_user(session, actor, ref)
        if person.id != actor.id:
            raise InvalidInput(
                f"A personal todo can only be assigned to you. To assign it to "
                f"{describe_user(person)}, make it a team todo in a team you share."
            )
        return actor.id
    person = resolve_user(session, actor, ref, within_team=team_id)
    if role_in(session, team_id, person.id) is None:
        raise InvalidInput(
            f"{describe_user(person)} is not a member of this team; add them to the team first."
        )
    return person.id


def create_todo(
    session: Session,
    actor: User,
    *,
    title: str,
    description: str = "",
    priority: Priority | str = Priority.medium,
    due: datetime | str | None = None,
    team: Ref | None = None,
    assignee: Ref | None = None,
    is_private: bool = False,
) -> Todo:
    """Create a personal todo, or a team todo when ``team`` is given.

    Args:
        session: The open session (flushed, not committed).
        actor: The acting user, who becomes the creator.
        title: 1 to 500 characters.
        description: Free text.
        priority: low, medium, high or urgent (any case).
        due: A datetime or text such as "friday" (5 pm when no time is said).
        team: Team name or id; the actor must be a member or higher there.
        assignee: Email, name, id or "me"; a team member, or the actor for personal todos.
        is_private: For team todos, visible only to the creator and the assignee.

    Raises:
        InvalidInput: bad title, priority, date or assignee.
        NotFound: the team is not one of the actor's.
        Forbidden: the actor is a viewer in that team.
    """
    clean = _clean_title(title)
    level = parse_priority(priority)
    due_date = _due(actor, due) if due is not None else None
    team_id: uuid.UUID | None = None
    if team is not None:
        team_id = resolve_team(session, actor, team).id
        require_role(session, actor, team_id, Role.member)
    todo = Todo(
        title=clean,
        description=(description or "").strip(),
        priority=level,
        due_date=due_date,
        creator_id=actor.id,
        assignee_id=_assignee_id(session, actor, assignee, team_id),
        team_id=team_id,
        is_private=is_private,
    )
    session.add(todo)
    session.flush()
    logger.info("todo %s created by %s (team %s)", todo.id, actor.id, team_id)
    return todo


def get_todo(session: Session, actor: User, *, todo_id: Ref) -> Todo:
    """Return one todo the actor may see, or raise NotFound."""
    return _visible(session, actor, todo_id)[0]


def _filters(
    session: Session,
    actor: User,
    *,
    status: str,
    priority: Priority | str | None,
    assignee: Ref | None,
    team_id: uuid.UUID | None,
    due_after: datetime | str | None,
    due_before: datetime | str | None,
    text: str | None,
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    wanted = str(status).strip().lower()
    if wanted == "open":
        found.append(Todo.completed.is_(False))
    elif wanted == "completed":
        found.append(Todo.completed.is_(True))
    elif wanted != "all":
        raise InvalidInput(f'"{status}" is not a status; choose one of: open, completed, all.')
    if priority is not None:
        found.append(Todo.priority == parse_priority(priority))
    if assignee is not None:
        if isinstance(assignee, str) and assignee.strip().lower() in NOBODY:
            found.append(Todo.assignee_id.is_(None))
        else:
            person = resolve_user(session, actor, assignee, within_team=team_id)
            found.append(Todo.assignee_id == person.id)
    tz = actor.timezone
    if due_after is not None:
        after = parse_datetime(due_after, tz, default_time=time.min, field="due_after")
        found.append(Todo.due_date >= after)
    if due_before is not None:
        before = parse_datetime(due_before, tz, default_time=time.max, field="due_before")
        found.append(Todo.due_date <= before)
    if text and text.strip():
        needle = text.strip().lower()
        found.append(
            or_(
                func.lower(Todo.title).contains(needle, autoescape=True),
                func.lower(Todo.description).contains(needle, autoescape=True),
            )
        )
    return found


def _page(session: Session, stmt: Select[Todo], limit: int) -> Page[Todo]:
    rows = session.scalars(
        stmt.options(selectinload(Todo.team), selectinload(Todo.assignee))
        .order_by(Todo.created_at.desc(), Todo.id.desc())
        .limit(limit + 1)
    ).all()
    return make_page(rows, limit, lambda t: (t.created_at, t.id))


def seen_in_team(actor: User) -> ColumnElement[bool]:
    """Within a team: a private todo is seen only by its creator and its assignee."""
    return or_(
        Todo.is_private.is_(False), Todo.creator_id == actor.id, Todo.assignee_id == actor.id
    )


def visible_to(actor: User) -> ColumnElement[bool]:
    """Every todo the actor may see: their personal ones, and their active teams' todos."""
    return or_(
        and_(Todo.team_id.is_(None), Todo.creator_id == actor.id),
        and_(Todo.team_id.in_(active_team_ids(actor.id)), seen_in_team(actor)),
    )


def due_between(session: Session, actor: User, start: datetime, end: datetime) -> list[Todo]:
    """Open todos the actor may see that are due in ``[start, end)``, earliest first.

    The same set as :func:`visible_to`, queried as three branches (created by me,
    assigned to me, my teams' shared todos) so each is a range scan of one
    ``(x_id, due_date)`` index however many todos exist.
    """
    my_teams = active_team_ids(actor.id)
    due = (Todo.completed.is_(False), Todo.due_date >= start, Todo.due_date < end)
    created = select(Todo.id).where(
        Todo.creator_id == actor.id, or_(Todo.team_id.is_(None), Todo.team_id.in_(my_teams)), *due
    )
    assigned = select(Todo.id).where(
        Todo.assignee_id == actor.id, Todo.creator_id != actor.id, Todo.team_id.in_(my_teams), *due
    )
    shared = select(Todo.id).where(
        Todo.team_id.in_(my_teams),
        Todo.creator_id != actor.id,
        or_(Todo.assignee_id.is_(None), Todo.assignee_id != actor.id),
        Todo.is_private.is_(False),
        *due,
    )
    ids = union_all(created, assigned, shared).subquery()
    stmt = select(Todo).where(Todo.id.in_(select(ids.c.id))).order_by(Todo.due_date, Todo.id)
    return list(session.scalars(stmt))


def list_todos(
    session: Session,
    actor: User,
    *,
    status: Status = "open",
    priority: Priority | str | None = None,
    assignee: Ref | None = None,
    team: Ref | None = None,
    due_after: datetime | str | None = None,
    due_before: datetime | str | None = None,
    text: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Todo]:
    """List the actor's todos, newest first, a page at a time.

    Without ``team``: the actor's personal todos plus the todos of their teams that they
    created or are assigned to. With ``team``: that team's todos the actor may see.

    Args:
        session: The open session.
        actor: The acting user.
        status: "open", "completed" or "all".
        priority: Only this priority.
        assignee: Only todos assigned to this person ("nobody" for unassigned ones).
        team: Team name or id.
        due_after: Only todos due at or after this moment (a day means its start).
        due_before: Only todos due at or before this moment (a day means its end).
        text: Only todos whose title or description contains this text.
        limit: Page size, clamped to 1..200.
        cursor: ``next_cursor`` of the previous page.

    Raises:
        InvalidInput: bad status, priority, date or cursor.
        NotFound: the team or the assignee is not among the actor's.
    """
    if team is not None:
        return list_team_todos(
            session,
            actor,
            team=team,
            status=status,
            priority=priority,
            assignee=assignee,
            due_after=due_after,
            due_before=due_before,
            text=text,
            limit=limit,
            cursor=cursor,
        )
    size, key = clamp_limit(limit), decode_cursor(cursor)
    conds = _filters(
        session,
        actor,
        status=status,
        priority=priority,
        assignee=assignee,
        team_id=None,
        due_after=due_after,
        due_before=due_before,
        text=text,
    )
    if key is not None:
        conds.append(older_than(Todo.created_at, Todo.id, key))
    my_teams = active_team_ids(actor.id)
    # Two branches, each a range scan of one (x_id, created_at) index capped at size + 1.
    created = select(Todo.id).where(
        Todo.creator_id == actor.id,
        or_(Todo.team_id.is_(None), Todo.team_id.in_(my_teams)),
        *conds,
    )
    assigned = select(Todo.id).where(
        Todo.assignee_id == actor.id,
        Todo.creator_id != actor.id,
        Todo.team_id.in_(my_teams),
        *conds,
    )
    branches = [
        b.order_by(Todo.created_at.desc(), Todo.id.desc()).limit(size + 1).subquery()
        for b in (created, assigned)
    ]
    ids = union_all(*(select(b.c.id) for b in branches)).subquery()
    return _page(session, select(Todo).where(Todo.id.in_(select(ids.c.id))), size)


def list_team_todos(
    session: Session,
    actor: User,
    *,
    team: Ref,
    status: Status = "open",
    priority: Priority | str | None = None,
    assignee: Ref | None = None,
    due_after: datetime | str | None = None,
    due_before: datetime | str | None = None,
    text: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Todo]:
    """List one team's todos the actor may see (private ones only if theirs), newest first.

    Arguments are those of :func:`list_todos`; ``team`` is required.

    Raises:
        NotFound: the team is not one of the actor's.
        InvalidInput: bad filter or cursor.
    """
    team_id = resolve_team(session, actor, team).id
    require_member(session, actor, team_id)
    size, key = clamp_limit(limit), decode_cursor(cursor)
    conds = _filters(
        session,
        actor,
        status=status,
        priority=priority,
        assignee=assignee,
        team_id=team_id,
        due_after=due_after,
        due_before=due_before,
        text=text,
    )
    if key is not None:
        conds.append(older_than(Todo.created_at, Todo.id, key))
    stmt = select(Todo).where(Todo.team_id == team_id, seen_in_team(actor), *conds)
    return _page(session, stmt, size)


def update_todo(
    session: Session,
    actor: User,
    *,
    todo_id: Ref,
    title: str | None = None,
    description: str | None = None,
    priority: Priority | str | None = None,
    due: datetime | str | None = None,
    clear_due: bool = False,
    is_private: bool | None = None,
) -> Todo:
    """Change the given fields of a todo; fields left as None stay as they are.

    Raises:
        NotFound: the todo is not visible to the actor.
        Forbidden: the actor is neither creator, assignee nor a team admin.
        InvalidInput: a bad value, or both ``due`` and ``clear_due``.
    """
    todo = _changeable(session, actor, todo_id)
    if due is not None and clear_due:
        raise InvalidInput("Give a new due date or clear it, not both.")
    if title is not None:
        todo.title = _clean_title(title)
    if description is not None:
        todo.description = description.strip()
    if priority is not None:
        todo.priority = parse_priority(priority)
    if due is not None:
        todo.due_date = _due(actor, due)
    if clear_due:
        todo.due_date = None
    if is_private is not None:
        todo.is_private = is_private
    session.flush()
    return todo


def complete_todo(session: Session, actor: User, *, todo_id: Ref) -> Todo:
    """Mark a todo done (idempotent: completing a done todo keeps its completion time)."""
    todo = _changeable(session, actor, todo_id)
    if not todo.completed:
        todo.completed, todo.completed_at = True, utcnow()
        session.flush()
    return todo


def reopen_todo(session: Session, actor: User, *, todo_id: Ref) -> Todo:
    """Mark a todo not done (idempotent)."""
    todo = _changeable(session, actor, todo_id)
    if todo.completed or todo.completed_at is not None:
        todo.completed, todo.completed_at = False, None
        session.flush()
    return todo


def assign_todo(session: Session, actor: User, *, todo_id: Ref, assignee: Ref | None) -> Todo:
    """Assign a todo to a person (email, name, id, "me"), or unassign with None/"nobody".

    Raises:
        NotFound: the todo or the person is not visible to the actor.
        Forbidden: the actor may not change this todo.
        InvalidInput: the person is not in the todo's team, or the todo is personal.
    """
    todo = _changeable(session, actor, todo_id)
    todo.assignee_id = _assignee_id(session, actor, assignee, todo.team_id)
    session.flush()
    session.expire(todo, ["assignee"])
    return todo


def delete_todo(session: Session, actor: User, *, todo_id: Ref) -> Todo:
    """Delete a todo and return its data (team and assignee stay readable).

    Raises:
        NotFound: the todo is not visible to the actor.
        Forbidden: the actor is neither its creator nor a team admin or owner.
    """
    todo, role = _visible(session, actor, todo_id)
    if role is not None and todo.creator_id != actor.id and role.rank < Role.admin.rank:
        raise Forbidden("Only the todo's creator or a team admin can delete it.")
    _ = (todo.team, todo.assignee, todo.creator)  # load them before the row goes
    session.delete(todo)
    session.flush()
    logger.info("todo %s deleted by %s", todo.id, actor.id)
    return todo
