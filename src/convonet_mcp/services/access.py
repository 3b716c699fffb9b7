"""Shared lookups and permission checks: memberships, roles, and name-or-id resolution."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from convonet_mcp.errors import Ambiguous, Forbidden, InvalidInput, NotFound
from convonet_mcp.models import Role, Team, TeamMembership, User


def as_uuid(value: uuid.UUID | str, what: str) -> uuid.UUID:
    """Parse an id, or raise NotFound naming ``what`` (a malformed id names nothing)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError as exc:
        raise NotFound(f'No {what} with id "{value}".') from exc


def looks_like_uuid(value: str) -> bool:
    """True when ``value`` parses as a UUID."""
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True


def membership(session: Session, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMembership | None:
    """Return the membership of ``user_id`` in an active team, or None."""
    return session.scalar(
        select(TeamMembership)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(
            TeamMembership.team_id == team_id,
            TeamMembership.user_id == user_id,
            Team.is_active.is_(True),
        )
    )


def role_in(session: Session, team_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
    """Return the user's role in the team, or None for a non-member."""
    found = membership(session, team_id, user_id)
    return found.role if found else None


def require_member(session: Session, actor: User, team_id: uuid.UUID) -> Role:
    """Return the actor's role, or raise NotFound: a non-member may not know the team exists."""
    role = role_in(session, team_id, actor.id)
    if role is None:
        raise NotFound("No such team among yours.")
    return role


def require_role(session: Session, actor: User, team_id: uuid.UUID, minimum: Role) -> Role:
    """Return the actor's role if it is at least ``minimum``; NotFound for non-members."""
    role = require_member(session, actor, team_id)
    if role.rank < minimum.rank:
        raise Forbidden(f"You need to be a team {minimum.value} or higher to do that.")
    return role


def active_team_ids(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """A subquery of the ids of the active teams the user belongs to."""
    return (
        select(TeamMembership.team_id)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.user_id == user_id, Team.is_active.is_(True))
    )


def teammate_ids(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """A subquery of the ids of everyone in the user's active teams (the user included)."""
    return select(TeamMembership.user_id).where(
        TeamMembership.team_id.in_(active_team_ids(user_id))
    )


def team_ids_of(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the active teams the user belongs to."""
    return list(session.scalars(active_team_ids(user_id)))


def resolve_team(session: Session, actor: User, ref: uuid.UUID | str) -> Team:
    """Find one of the actor's teams by id or by name (case-insensitive).

    Raises:
        NotFound: no team of the actor's matches.
        Ambiguous: several of the actor's teams share that name.
    """
    text = str(ref).strip()
    if not text:
        raise InvalidInput("Say which team: its name or id.")
    mine = (
        select(Team)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == actor.id, Team.is_active.is_(True))
    )
    if isinstance(ref, uuid.UUID) or looks_like_uuid(text):
        team = session.scalar(mine.where(Team.id == as_uuid(text, "team")))
        if team is None:
            raise NotFound(f'No team with id "{text}" among yours.')
        return team
    exact = list(session.scalars(mine.where(func.lower(Team.name) == text.lower())))
    if not exact:
        exact = list(
            session.scalars(
                mine.where(func.lower(Team.name).contains(text.lower(), autoescape=True))
            )
        )
    if not exact:
        raise NotFound(f'You are not in a team called "{text}".')
    if len(exact) > 1:
        raise Ambiguous("team", text, [f"{t.name} (id {t.id})" for t in exact])
    return exact[0]


def describe_user(user: User) -> str:
    """A short label for a candidate list: name and email."""
    return f"{user.full_name} <{user.email}>"


def pick_one(what: str, query: str, found: Sequence[User]) -> User:
    """Return the single match, or raise NotFound / Ambiguous."""
    if not found:
        raise NotFound(f'No {what} matches "{query}".')
    if len(found) > 1:
        raise Ambiguous(what, query, [describe_user(u) for u in found])
    return found[0]


def _known_people(actor: User, within_team: uuid.UUID | None) -> Select[User]:
    """Select users who share a team with the actor (or who are in ``within_team``)."""
    if within_team is not None:
        member_ids = select(TeamMembership.user_id).where(TeamMembership.team_id == within_team)
        return select(User).where(User.id.in_(member_ids), User.is_active.is_(True))
    mates = teammate_ids(actor.id)
    return select(User).where(
        (User.id.in_(mates)) | (User.id == actor.id), User.is_active.is_(True)
    )


def resolve_user(
    session: Session,
    actor: User,
    ref: uuid.UUID | str,
    *,
    within_team: uuid.UUID | None = None,
) -> User:
    """Find a person by id, exact email, "me", or name.

    An exact email finds any active account (that is how people are invited); ids and
    names only find people who share a team with the actor, or members of
    ``within_team`` when given.

    Raises:
        NotFound: nobody visible matches.
        Ambiguous: several people match the name.
    """
    text = str(ref).strip()
    if not text:
        raise InvalidInput("Say who: an email address or a name.")
    if text.lower() in {"me", "myself", "i"}:
        return actor
    if "@" in text:
        user = session.scalar(
            select(User).where(User.email == text.lower(), User.is_active.is_(True))
        )
        if user is None:
            raise NotFound(f"No account uses the email {text}.")
        return user
    known = _known_people(actor, within_team)
    if isinstance(ref, uuid.UUID) or looks_like_uuid(text):
        user = session.scalar(known.where(User.id == as_uuid(text, "person")))
        if user is None:
            raise NotFound(f'No person with id "{text}" among your teams.')
        return user
    lowered = text.lower()
    full = func.lower(User.first_name + " " + User.last_name)
    exact = list(
        session.scalars(
            known.where(
                (func.lower(User.username) == lowered)
                | (full == lowered)
                | (func.lower(User.first_name) == lowered)
                | (func.lower(User.last_name) == lowered)
            ).order_by(User.email)
        )
    )
    return pick_one("person", text, exact)
