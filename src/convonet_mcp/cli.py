"""The ``convonet-mcp`` command line: with no arguments it serves MCP on stdio.

Subcommands are Typer sub-apps: ``db`` (migrations), ``user``, ``team`` and ``demo``.
Other modules plug in more by exposing ``register(app: typer.Typer) -> None`` in one
of the modules named in ``EXTENSIONS`` (``serve``, ``token`` …); they are imported
only when present, so a partial build still has a working CLI.

Everything but listings goes to standard error: standard output is the MCP stdio
transport when serving, and holds only the data a listing command was asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Annotated

import typer

from convonet_mcp import __version__
from convonet_mcp.auth import load_secrets
from convonet_mcp.cli_common import (
    ErrorHandlingGroup,
    describe_database,
    fail,
    head_revision,
    open_session,
    raw_engine,
    say,
    settings_of,
)
from convonet_mcp.db import current_revision, downgrade, upgrade
from convonet_mcp.demo import load_demo
from convonet_mcp.logging_setup import configure_logging, parse_level
from convonet_mcp.settings import Settings

logger = logging.getLogger("convonet.cli")

# Commands that keep running and log at CONVONET_LOG_LEVEL (INFO) by default.
SERVERS = (None, "serve")
# Modules that may add subcommands; each exposes ``register(app: typer.Typer) -> None``.
EXTENSIONS = ("convonet_mcp.cli_users", "convonet_mcp.cli_server", "convonet_mcp.cli_tokens")

app = typer.Typer(
    name="convonet-mcp",
    cls=ErrorHandlingGroup,
    help="Convonet MCP server: todos, reminders, calendar and teams for any MCP host. "
    "Run without a command to serve MCP over stdio.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Schema migrations (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"convonet-mcp {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="DEBUG, INFO, WARNING or ERROR (default: CONVONET_LOG_LEVEL, else INFO "
            "when serving and WARNING for other commands)."
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Read the settings, set up logging, and serve stdio when no command is given.

    Serving logs at ``CONVONET_LOG_LEVEL`` (INFO by default); the one-shot admin
    commands only log warnings unless a level is asked for explicitly.
    """
    settings = Settings()
    ctx.obj = settings
    serving = ctx.invoked_subcommand is None
    if log_level is None:
        explicit = ctx.invoked_subcommand in SERVERS or "log_level" in settings.model_fields_set
        log_level = settings.log_level if explicit else "WARNING"
    try:
        configure_logging(parse_level(log_level))
    except ValueError as exc:
        fail(str(exc), code=2)
    if serving:
        serve_stdio(settings)


def serve_stdio(settings: Settings) -> None:
    """Serve MCP over stdio through ``convonet_mcp.server.run_stdio``, when it exists."""
    if importlib.util.find_spec("convonet_mcp.server") is None:
        fail("This build has no MCP server (convonet_mcp.server is missing).")
    server = importlib.import_module("convonet_mcp.server")
    logger.info("Serving MCP over stdio on %s", describe_database(settings))
    server.run_stdio(settings)


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (creates it on an empty database)."""
    settings = settings_of(ctx)
    with raw_engine(settings) as engine:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    where = describe_database(settings)
    if before == after:
        say(f"Database {where} is already at {after}.")
    else:
        say(f"Database {where} upgraded from {before or 'nothing'} to {after}.")


@db_app.command("downgrade")
def db_downgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Option(help="Target revision; base drops every table.")
    ] = "base",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Downgrade the database schema; data in dropped tables is lost."""
    settings = settings_of(ctx)
    where = describe_database(settings)
    if not yes:
        typer.confirm(
            f"Downgrade {where} to {revision}? Data in dropped tables is lost.",
            abort=True,
            err=True,
        )
    with raw_engine(settings) as engine:
        before = current_revision(engine)
        downgrade(engine, revision)
        after = current_revision(engine)
    say(f"Database {where} downgraded from {before} to {after or 'nothing'}.")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema's current revision (and whether it is the newest)."""
    with raw_engine(settings_of(ctx)) as engine:
        current, head = current_revision(engine), head_revision(engine)
    if current is None:
        typer.echo(f"none (empty database; newest is {head})")
    elif current == head:
        typer.echo(f"{current} (head)")
    else:
        typer.echo(f"{current} (behind; newest is {head})")


@app.command("demo")
def demo(ctx: typer.Context) -> None:
    """Load the demo people, teams, todos, reminders and events (once); show their logins.

    The accounts, shared password and voice PIN are printed on standard error.
    """
    settings = settings_of(ctx)
    with open_session(settings) as session:
        result = load_demo(session, secrets=load_secrets(settings))
    state = "loaded" if result.created else "was already loaded"
    say(f"Demo data {state} in {describe_database(settings)}. Demo accounts:")
    for person in result.people:
        name = f"{person.first_name} {person.last_name}"
        say(f"  {person.email:<18} {name:<13} {person.phone:<14} {person.timezone}")
    say(f"  password: {result.password}   voice PIN: {result.pin}   (shared by every demo account)")


def _register_extensions() -> None:
    for name in EXTENSIONS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(app)


_register_extensions()


def main() -> None:
    """Entry point of the ``convonet-mcp`` console script."""
    app()
