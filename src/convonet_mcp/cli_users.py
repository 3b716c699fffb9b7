"""``convonet-mcp user …`` and ``team …``: accounts and teams, for whoever runs the server."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from convonet_mcp.auth import load_secrets
from convonet_mcp.cli_common import open_session, print_table, read_secret, say, settings_of
from convonet_mcp.errors import NotFound
from convonet_mcp.models import Team, TeamMembership, User
from convonet_mcp.services import accounts, teams

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
team_app = typer.Typer(help="Teams.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``user`` and ``team`` subcommands to ``app``."""
    app.add_typer(user_app, name="user")
    app.add_typer(team_app, name="team")


def user_by_email(session: Session, email: str) -> User:
    """Return the account with this email (or username), or raise NotFound."""
    user = accounts.find_account(session, identifier=email)
    if user is None:
        raise NotFound(f'No user with email "{email.strip()}".')
    return user


def split_name(name: str) -> tuple[str, str]:
    """Split "First Last" at the first space (the rest is the last name)."""
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address; also the login.")],
    name: Annotated[str, typer.Option(help='Full name, "First Last".')] = "",
    username: Annotated[
        str | None, typer.Option(help="Username (default: the part of the email before @).")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Password; asked without echo when omitted or '-'.")
    ] = None,
    pin: Annotated[
        str | None,
        typer.Option(help="Voice PIN, 4-6 digits; asked when omitted or '-' (empty: none)."),
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA timezone, e.g. Europe/Paris.")] = "UTC",
    phone: Annotated[str | None, typer.Option(help="Phone number for caller ID.")] = None,
) -> None:
    """Create a user account."""
    settings = settings_of(ctx)
    secret = read_secret(password, prompt="Password")
    voice_pin = read_secret(pin, prompt="Voice PIN (empty for none)", allow_empty=True)
    first_name, last_name = split_name(name)
    with open_session(settings) as session:
        user = accounts.register_user(
            session,
            email=email,
            username=username or email.strip().partition("@")[0],
            password=secret,
            first_name=first_name,
            last_name=last_name,
            timezone=timezone,
            phone=phone,
            voice_pin=voice_pin or None,
            secrets=load_secrets(settings),
        )
        say(f"Created user {user.email} ({user.username}).")


@user_app.command("set-pin")
def user_set_pin(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email of the account.")],
    pin: Annotated[
        str | None, typer.Option(help="New voice PIN; asked without echo when omitted or '-'.")
    ] = None,
) -> None:
    """Set or change a user's voice PIN."""
    settings = settings_of(ctx)
    new_pin = read_secret(pin, prompt="New voice PIN")
    with open_session(settings) as session:
        user = user_by_email(session, email)
        accounts.set_pin(session, user, pin=new_pin, secrets=load_secrets(settings))
        say(f"Voice PIN of {user.email} changed.")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List user accounts (on standard output)."""
    with open_session(settings_of(ctx)) as session:
        users = session.scalars(
            select(User)
            .options(selectinload(User.memberships).selectinload(TeamMembership.team))
            .order_by(func.lower(User.email))
        ).all()
        rows = [
            [
                user.email,
                user.username,
                f"{user.first_name} {user.last_name}".strip(),
                user.timezone,
                user.phone_number or "",
                "yes" if user.voice_pin_hash else "no",
                ", ".join(
                    sorted(
                        f"{m.team.name} ({m.role.value})"
                        for m in user.memberships
                        if m.team.is_active
                    )
                ),
            ]
            for user in users
        ]
    print_table(["EMAIL", "USERNAME", "NAME", "TIMEZONE", "PHONE", "PIN", "TEAMS"], rows)


@team_app.command("add")
def team_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Team name.")],
    owner: Annotated[str, typer.Option(help="Email of the team's first owner.")],
    description: Annotated[str, typer.Option(help="What the team is for.")] = "",
) -> None:
    """Create a team owned by an existing user."""
    with open_session(settings_of(ctx)) as session:
        team = teams.create_team(
            session, user_by_email(session, owner), name=name, description=description
        )
        say(f"Created team {team.name}.")


@team_app.command("list")
def team_list(ctx: typer.Context) -> None:
    """List active teams and their members (on standard output)."""
    with open_session(settings_of(ctx)) as session:
        found = session.scalars(
            select(Team)
            .where(Team.is_active.is_(True))
            .options(selectinload(Team.memberships).selectinload(TeamMembership.user))
            .order_by(func.lower(Team.name), Team.created_at)
        ).all()
        rows = [
            [
                team.name,
                ", ".join(
                    f"{m.user.email} ({m.role.value})"
                    for m in sorted(team.memberships, key=lambda m: (-m.role.rank, m.user.email))
                ),
            ]
            for team in found
        ]
    print_table(["TEAM", "MEMBERS"], rows)
