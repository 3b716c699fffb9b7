"""Teams and memberships: who may see a team, manage its members, and change roles.

Rules:

- Anyone may create a team and becomes its owner.
- Members (viewer and up) see the team and its members; non-members get NotFound.
- Admins and owners add, remove and re-role members and rename the team; only owners
  grant owner or admin, and only owners change or remove an owner or admin.
- A team never loses its last owner (Conflict); only an owner deletes a team, which is
  a soft delete (``is_active`` False) after which it is invisible to everyone.
- A person who leaves or is removed is unassigned from the team's open todos.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from convonet_mcp.errors import Conflict, Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Role, Team, TeamMembership, Todo, User
from convonet_mcp.services.access import (
    describe_user,
    membership,
    require_member,
    require_role,
    resolve_team,
    resolve_user,
)

logger = logging.getLogger("convonet.teams")

MAX_NAME = 100
Ref = uuid.UUID | str


def parse_role(value: Role | str) -> Role:
    """Read a role case-insensitively, or raise InvalidInput listing the choices."""
    if isinstance(value, Role):
        return value
    try:
        return Role(str(value).strip().lower())
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f'"{value}" is not a team role; choose one of: {choices}.') from exc


def _clean_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise InvalidInput("A team needs a name.")
    if len(text) > MAX_NAME:
        raise InvalidInput(f"The team name is {len(text)} characters; keep it to {MAX_NAME}.")
    return text


def _ensure_unused(session: Session, actor: User, name: str, keep: uuid.UUID | None) -> None:
    """Refuse a name the actor already uses for another of their teams (it would be ambiguous)."""
    query = (
        select(Team.id)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(
            TeamMembership.user_id == actor.id,
            Team.is_active.is_(True),
            func.lower(Team.name) == name.lower(),
        )
    )
    if keep is not None:
        query = query.where(Team.id != keep)
    clash = session.scalar(query.limit(1))
    if clash is not None:
        raise Conflict(f'You are already in a team called "{name}"; pick another name.')


def _owner_count(session: Session, team_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(TeamMembership)
            .where(TeamMembership.team_id == team_id, TeamMembership.role == Role.owner)
        )
        or 0
    )


def _keep_an_owner(session: Session, team: Team, member: TeamMembership) -> None:
    if member.role is Role.owner and _owner_count(session, team.id) <= 1:
        raise Conflict(
            f"{member.user.full_name} is the last owner of {team.name}. Make someone else "
            "an owner first, or delete the team."
        )


def _drop(session: Session, team: Team, member: TeamMembership) -> TeamMembership:
    """Delete a membership and unassign the person from the team's open todos."""
    session.execute(
        update(Todo)
        .where(
            Todo.team_id == team.id,
            Todo.assignee_id == member.user_id,
            Todo.completed.is_(False),
        )
        .values(assignee_id=None)
        .execution_options(synchronize_session="fetch")
    )
    _ = member.user  # stays readable for the caller
    session.delete(member)
    session.flush()
    logger.info("user %s left team %s", member.user_id, team.id)
    return member


def _member(session: Session, actor: User, team: Team, person: Ref) -> TeamMembership:
    who = resolve_user(session, actor, person, within_team=team.id)
    found = membership(session, team.id, who.id)
    if found is None:
        raise NotFound(f"{describe_user(who)} is not a member of {team.name}.")
    return found


def create_team(session: Session, actor: User, *, name: str, description: str = "") -> Team:
    """Create a team with the actor as its owner.

    Raises:
        InvalidInput: the name is empty or longer than 100 characters.
        Conflict: the actor is already in a team with that name.
    """
    clean = _clean_name(name)
    _ensure_unused(session, actor, clean, None)
    team = Team(name=clean, description=(description or "").strip())
    session.add(team)
    session.flush()
    session.add(TeamMembership(team_id=team.id, user_id=actor.id, role=Role.owner))
    session.flush()
    logger.info("team %s created by %s", team.id, actor.id)
    return team


def list_teams(session: Session, actor: User) -> list[tuple[Team, Role]]:
    """The actor's active teams with the actor's role in each, by name."""
    rows = session.execute(
        select(Team, TeamMembership.role)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == actor.id, Team.is_active.is_(True))
        .order_by(func.lower(Team.name), Team.created_at)
    ).all()
    return [(team, role) for team, role in rows]


def get_team(session: Session, actor: User, *, team: Ref) -> Team:
    """One of the actor's teams by name or id, or NotFound."""
    return resolve_team(session, actor, team)


def update_team(
    session: Session,
    actor: User,
    *,
    team: Ref,
    name: str | None = None,
    description: str | None = None,
) -> Team:
    """Rename a team or change its description (admins and owners).

    Raises:
        NotFound: not one of the actor's teams.
        Forbidden: the actor is a member or viewer.
        InvalidInput: a bad name. Conflict: the actor already has a team of that name.
    """
    found = resolve_team(session, actor, team)
    require_role(session, actor, found.id, Role.admin)
    if name is not None:
        clean = _clean_name(name)
        _ensure_unused(session, actor, clean, found.id)
        found.name = clean
    if description is not None:
        found.description = description.strip()
    session.flush()
    return found


def delete_team(session: Session, actor: User, *, team: Ref) -> Team:
    """Deactivate a team (owners only); it and its todos disappear for everyone.

    Raises:
        NotFound: not one of the actor's teams. Forbidden: the actor is not an owner.
    """
    found = resolve_team(session, actor, team)
    require_role(session, actor, found.id, Role.owner)
    found.is_active = False
    session.flush()
    logger.info("team %s deleted by %s", found.id, actor.id)
    return found


def leave_team(session: Session, actor: User, *, team: Ref) -> Team:
    """Leave a team.

    Raises:
        NotFound: not one of the actor's teams.
        Conflict: the actor is its last owner.
    """
    found = resolve_team(session, actor, team)
    mine = membership(session, found.id, actor.id)
    if mine is None:  # resolve_team only finds the actor's teams
        raise NotFound("No such team among yours.")
    _keep_an_owner(session, found, mine)
    _drop(session, found, mine)
    return found


def list_members(session: Session, actor: User, *, team: Ref) -> list[TeamMembership]:
    """The team's members, owners first then by name (any member may look)."""
    found = resolve_team(session, actor, team)
    require_member(session, actor, found.id)
    members = session.scalars(
        select(TeamMembership)
        .options(joinedload(TeamMembership.user))
        .where(TeamMembership.team_id == found.id)
    ).all()
    return sorted(members, key=lambda m: (-m.role.rank, m.user.full_name.lower(), m.user.email))


def add_member(
    session: Session, actor: User, *, team: Ref, person: Ref, role: Role | str = Role.member
) -> TeamMembership:
    """Add a person (an exact email finds anyone) to a team.

    Raises:
        NotFound: the team or the person is not found.
        Forbidden: the actor is below admin, or an admin grants owner or admin.
        Conflict: the person is already a member.
    """
    found = resolve_team(session, actor, team)
    mine = require_role(session, actor, found.id, Role.admin)
    wanted = parse_role(role)
    if wanted.rank >= Role.admin.rank and mine is not Role.owner:
        raise Forbidden("Only a team owner can make someone an owner or admin.")
    who = resolve_user(session, actor, person)
    if membership(session, found.id, who.id) is not None:
        raise Conflict(f"{describe_user(who)} is already a member of {found.name}.")
    added = TeamMembership(team_id=found.id, user_id=who.id, role=wanted)
    session.add(added)
    session.flush()
    logger.info("user %s added to team %s as %s by %s", who.id, found.id, wanted, actor.id)
    return added


def remove_member(session: Session, actor: User, *, team: Ref, person: Ref) -> TeamMembership:
    """Remove a member; removing yourself is the same as leaving.

    Raises:
        NotFound: the team, or the person in it, is not found.
        Forbidden: the actor is below admin, or an admin removes an owner or admin.
        Conflict: the person is the last owner.
    """
    found = resolve_team(session, actor, team)
    mine = require_member(session, actor, found.id)
    target = _member(session, actor, found, person)
    if target.user_id != actor.id:
        if mine.rank < Role.admin.rank:
            raise Forbidden("You need to be a team admin or owner to remove members.")
        if target.role.rank >= Role.admin.rank and mine is not Role.owner:
            raise Forbidden("Only a team owner can remove an owner or admin.")
    _keep_an_owner(session, found, target)
    return _drop(session, found, target)


def change_role(
    session: Session, actor: User, *, team: Ref, person: Ref, role: Role | str
) -> TeamMembership:
    """Give a member another role.

    Raises:
        NotFound: the team, or the person in it, is not found.
        Forbidden: the actor is below admin, or an admin touches owner or admin roles.
        Conflict: it would demote the last owner.
    """
    found = resolve_team(session, actor, team)
    mine = require_role(session, actor, found.id, Role.admin)
    wanted = parse_role(role)
    target = _member(session, actor, found, person)
    touches_top = max(wanted.rank, target.role.rank) >= Role.admin.rank
    if touches_top and mine is not Role.owner:
        raise Forbidden("Only a team owner can grant, change or take away owner or admin.")
    if target.role is not wanted:
        if wanted is not Role.owner:
            _keep_an_owner(session, found, target)
        target.role = wanted
        session.flush()
        logger.info("user %s is now %s in team %s", target.user_id, wanted, found.id)
    return target
