"""Team tools: teams, members and roles, and team todos."""

from __future__ import annotations

from typing import Annotated, Literal

from fastmcp import FastMCP
from pydantic import Field
from sqlalchemy.orm import Session

from convonet_mcp.models import Role, TeamMembership, User
from convonet_mcp.services import teams, todo_lists
from convonet_mcp.services.access import role_in
from convonet_mcp.tools._kit import Registrar, Runtime
from convonet_mcp.tools.schemas import MemberOut, Result, TeamOut
from convonet_mcp.tools.todos import (
    Cursor,
    Limit,
    PersonRef,
    PriorityArg,
    TodoPage,
    TodoResult,
    When,
    create,
    listing,
)

TeamArg = Annotated[str, Field(description="Team name or id.")]
Person = Annotated[str, Field(description="The person's email or name.")]
RoleArg = Literal["owner", "admin", "member", "viewer"]


class TeamResult(Result):
    team: TeamOut


class TeamList(Result):
    teams: list[TeamOut]


class MemberResult(Result):
    team: str
    member: MemberOut


class MemberList(Result):
    team: str
    members: list[MemberOut]


def member_result(verb: str, membership: TeamMembership, tz: str) -> MemberResult:
    """Shape one membership with a spoken summary."""
    out = MemberOut.of(membership, tz)
    team = membership.team.name
    return MemberResult(
        summary=f"{verb} {out.user.name} in {team} as {out.role}.", team=team, member=out
    )


def register(mcp: FastMCP, rt: Runtime) -> None:
    """Add the twelve team tools."""
    tool = Registrar(mcp, rt, "teams")

    @tool("create", "Create a team")
    def create_team(
        name: Annotated[str, Field(min_length=1, max_length=100)], description: str = ""
    ) -> TeamResult:
        """Create a team; the user becomes its owner and can then add members."""

        def act(s: Session, a: User) -> TeamResult:
            team = teams.create_team(s, a, name=name, description=description)
            out = TeamOut.of(team, Role.owner)
            return TeamResult(summary=f"Created the team {team.name}. You are its owner.", team=out)

        return rt.run(act)

    @tool("read", "List my teams")
    def get_teams() -> TeamList:
        """List the teams the user belongs to, with the user's role in each."""

        def act(s: Session, a: User) -> TeamList:
            found = [TeamOut.of(team, role) for team, role in teams.list_teams(s, a)]
            if not found:
                return TeamList(summary="You are not in any team yet.", teams=[])
            names = ", ".join(f"{t.name} ({t.my_role})" for t in found)
            return TeamList(summary=f"You are in {len(found)} teams: {names}.", teams=found)

        return rt.run(act)

    @tool("read", "Get a team")
    def get_team(team: TeamArg) -> TeamResult:
        """Read one of the user's teams by name or id."""

        def act(s: Session, a: User) -> TeamResult:
            found = teams.get_team(s, a, team=team)
            role = role_in(s, found.id, a.id)
            out = TeamOut.of(found, role)
            return TeamResult(
                summary=f"{found.name}: {found.description or 'no description'}.", team=out
            )

        return rt.run(act)

    @tool("update", "Rename or describe a team")
    def update_team(
        team: TeamArg,
        name: Annotated[str | None, Field(min_length=1, max_length=100)] = None,
        description: str | None = None,
    ) -> TeamResult:
        """Change a team's name or description (admins and owners)."""

        def act(s: Session, a: User) -> TeamResult:
            found = teams.update_team(s, a, team=team, name=name, description=description)
            out = TeamOut.of(found, role_in(s, found.id, a.id))
            return TeamResult(summary=f"Updated the team {found.name}.", team=out)

        return rt.run(act)

    @tool("delete", "Delete a team")
    def delete_team(team: TeamArg) -> TeamResult:
        """Delete a team with its todos and events (owners only). Confirm with the user first."""

        def act(s: Session, a: User) -> TeamResult:
            found = teams.delete_team(s, a, team=team)
            return TeamResult(summary=f"Deleted the team {found.name}.", team=TeamOut.of(found))

        return rt.run(act)

    @tool("delete", "Leave a team")
    def leave_team(team: TeamArg) -> TeamResult:
        """Leave a team. The last owner must hand over ownership first."""

        def act(s: Session, a: User) -> TeamResult:
            found = teams.leave_team(s, a, team=team)
            return TeamResult(summary=f"You left the team {found.name}.", team=TeamOut.of(found))

        return rt.run(act)

    @tool("read", "List team members")
    def get_team_members(team: TeamArg) -> MemberList:
        """List a team's members and their roles."""

        def act(s: Session, a: User) -> MemberList:
            found = teams.list_members(s, a, team=team)
            members = [MemberOut.of(m, a.timezone) for m in found]
            name = found[0].team.name if found else team
            listed = ", ".join(f"{m.user.name} ({m.role})" for m in members)
            return MemberList(
                summary=f"{name} has {len(members)} members: {listed}.", team=name, members=members
            )

        return rt.run(act)

    @tool("create", "Add a team member")
    def add_team_member(team: TeamArg, person: Person, role: RoleArg = "member") -> MemberResult:
        """Add an existing Convonet user to a team by email (admins and owners).

        Only owners can add someone as owner or admin.
        """
        return rt.run(
            lambda s, a: member_result(
                "Added", teams.add_member(s, a, team=team, person=person, role=role), a.timezone
            )
        )

    @tool("delete", "Remove a team member")
    def remove_team_member(team: TeamArg, person: Person) -> MemberResult:
        """Remove someone from a team (admins and owners; owners for admins and owners)."""
        return rt.run(
            lambda s, a: member_result(
                "Removed", teams.remove_member(s, a, team=team, person=person), a.timezone
            )
        )

    @tool("update", "Change a member's role")
    def change_member_role(team: TeamArg, person: Person, role: RoleArg) -> MemberResult:
        """Change a member's role: owner > admin > member > viewer.

        Only owners grant owner or admin, and a team always keeps at least one owner.
        """
        return rt.run(
            lambda s, a: member_result(
                "Now", teams.change_role(s, a, team=team, person=person, role=role), a.timezone
            )
        )

    @tool("create", "Create a team todo")
    def create_team_todo(
        team: TeamArg,
        title: Annotated[str, Field(min_length=1, max_length=500)],
        description: str = "",
        priority: PriorityArg = "medium",
        due: When = None,
        assignee: PersonRef = None,
        private: bool = False,
    ) -> TodoResult:
        """Create a todo in a team, optionally assigned to a member ("assign a code review
        to John in the dev team"). Members and up can create team todos."""
        return create(
            rt,
            title=title,
            description=description,
            priority=priority,
            due=due,
            team=team,
            assignee=assignee,
            is_private=private,
        )

    @tool("read", "List team todos")
    def get_team_todos(
        team: TeamArg,
        status: Literal["open", "completed", "all"] = "open",
        priority: PriorityArg | None = None,
        assignee: PersonRef = None,
        due_after: When = None,
        due_before: When = None,
        text: str | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> TodoPage:
        """List a team's todos that the user can see, with filters and pagination."""
        return listing(
            rt,
            todo_lists.list_team_todos,
            "team todos",
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
