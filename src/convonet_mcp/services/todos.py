"""Todos: personal and team todos, and who may see and change them (listing: todo_lists).

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

from sqlalchemy.orm import Session

from convonet_mcp.dates import parse_datetime
from convonet_mcp.errors import Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Priority, Role, Todo, User, utcnow
from convonet_mcp.services.access import (
    as_uuid,
    describe_user,
    require_role,
    resolve_team,
    resolve_user,
    role_in,
)

logger = logging.getLogger("convonet.todos")

MAX_TITLE = 500
DUE_TIME = time(17, 0)
NOBODY = frozenset({"nobody", "no one", "noone", "none", "unassigned", "unassign"})

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
