"""Team endpoints: teams, members and roles (todos and the calendar are in ``team_todos``).

Every handler calls the same service functions as the MCP tools, so the permission
rules are the services' own; ids in paths must be UUIDs (a name never resolves here).
"""

from __future__ import annotations

import uuid

from convonet_mcp.models import Role
from convonet_mcp.services import teams
from convonet_mcp.services.access import as_uuid, require_member
from convonet_voice.api.kit import Api, Call
from convonet_voice.api.schemas import (
    MemberIn,
    MemberOut,
    RoleIn,
    TeamDetailOut,
    TeamIn,
    TeamOut,
    TeamUpdateIn,
)

api = Api()
TAG = "teams"
TEAM = "/api/teams/{team_id}"
MEMBER = TEAM + "/members/{user_id}"


def team_id_of(call: Call) -> uuid.UUID:
    """The ``{team_id}`` path parameter; a malformed id is a 404 like any unknown team."""
    return as_uuid(call.path["team_id"], "team")


def _detail(call: Call, team_id: uuid.UUID) -> TeamDetailOut:
    team = teams.get_team(call.session, call.actor, team=team_id)
    role = require_member(call.session, call.actor, team.id)
    members = teams.list_members(call.session, call.actor, team=team.id)
    base = TeamOut.of(team, role)
    return TeamDetailOut(**base.model_dump(), members=[MemberOut.of(m) for m in members])


@api.route(
    "POST",
    "/api/teams/",
    summary="Create a team (you become its owner)",
    tag=TAG,
    body=TeamIn,
    response=TeamOut,
    status=201,
    errors=(401, 409, 422),
)
def create_team(call: Call) -> TeamOut:
    """Create a team owned by the caller."""
    data = call.body(TeamIn)
    team = teams.create_team(call.session, call.actor, name=data.name, description=data.description)
    return TeamOut.of(team, Role.owner)


@api.route(
    "GET",
    "/api/teams/",
    summary="Your teams, with your role in each",
    tag=TAG,
    response=TeamOut,
    many=True,
    errors=(401,),
)
def list_teams(call: Call) -> list[TeamOut]:
    """List the caller's active teams."""
    return [TeamOut.of(team, role) for team, role in teams.list_teams(call.session, call.actor)]


@api.route(
    "GET",
    TEAM,
    summary="One of your teams, with its members",
    tag=TAG,
    response=TeamDetailOut,
    errors=(401, 404),
)
def get_team(call: Call) -> TeamDetailOut:
    """Return the team and its members (any member may look)."""
    return _detail(call, team_id_of(call))


@api.route(
    "PUT",
    TEAM,
    summary="Rename a team or change its description (admins and owners)",
    tag=TAG,
    body=TeamUpdateIn,
    response=TeamDetailOut,
    errors=(401, 403, 404, 409, 422),
)
def update_team(call: Call) -> TeamDetailOut:
    """Change the team's name or description."""
    data = call.body(TeamUpdateIn)
    team = teams.update_team(
        call.session,
        call.actor,
        team=team_id_of(call),
        name=data.name,
        description=data.description,
    )
    return _detail(call, team.id)


@api.route(
    "DELETE",
    TEAM,
    summary="Delete a team (owners only)",
    tag=TAG,
    status=204,
    errors=(401, 403, 404),
)
def delete_team(call: Call) -> None:
    """Deactivate the team for everyone."""
    teams.delete_team(call.session, call.actor, team=team_id_of(call))


@api.route(
    "POST",
    TEAM + "/members",
    summary="Add a person to the team by email",
    tag=TAG,
    body=MemberIn,
    response=MemberOut,
    status=201,
    errors=(401, 403, 404, 409, 422),
)
def add_member(call: Call) -> MemberOut:
    """Add the account with this email (admins and owners; only owners grant admin/owner)."""
    data = call.body(MemberIn)
    member = teams.add_member(
        call.session, call.actor, team=team_id_of(call), person=data.email, role=data.role
    )
    return MemberOut.of(member)


@api.route(
    "DELETE",
    MEMBER,
    summary="Remove a member (or yourself, which is leaving)",
    tag=TAG,
    status=204,
    errors=(401, 403, 404, 409),
)
def remove_member(call: Call) -> None:
    """Remove the member; the last owner cannot go."""
    teams.remove_member(
        call.session,
        call.actor,
        team=team_id_of(call),
        person=as_uuid(call.path["user_id"], "person"),
    )


@api.route(
    "PUT",
    MEMBER + "/role",
    summary="Change a member's role",
    tag=TAG,
    body=RoleIn,
    response=MemberOut,
    errors=(401, 403, 404, 409, 422),
)
def change_role(call: Call) -> MemberOut:
    """Give the member another role (owner and admin roles are the owners' to grant)."""
    member = teams.change_role(
        call.session,
        call.actor,
        team=team_id_of(call),
        person=as_uuid(call.path["user_id"], "person"),
        role=call.body(RoleIn).role,
    )
    return MemberOut.of(member)
