"""Listing todos: the visibility clause, filters, and index-friendly keyset pages.

Who sees what follows the rules in :mod:`convonet_mcp.services.todos`; every query here
is shaped so that it is a range scan of one ``(x_id, created_at)`` or ``(x_id, due_date)``
index per branch, and stays flat however many todos exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from convonet_mcp.dates import parse_datetime
from convonet_mcp.errors import InvalidInput
from convonet_mcp.models import Priority, Todo, User
from convonet_mcp.services.access import (
    active_team_ids,
    require_member,
    resolve_team,
    resolve_user,
)
from convonet_mcp.services.pagination import (
    Page,
    clamp_limit,
    decode_cursor,
    make_page,
    older_than,
)
from convonet_mcp.services.todos import NOBODY, Ref, parse_priority

Status = Literal["open", "completed", "all"]


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
