"""Plumbing shared by the ``convonet-mcp`` subcommands: errors, settings, sessions, secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from convonet_mcp.auth import SecretsError
from convonet_mcp.db import (
    alembic_config,
    current_revision,
    engine_from_settings,
    make_engine,
    session_factory,
    transaction,
)
from convonet_mcp.errors import ConvonetError
from convonet_mcp.settings import Settings

logger = logging.getLogger("convonet.cli")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``Error: message`` on one line to standard error and exit with ``code``."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def say(message: str) -> None:
    """Tell the person at the terminal what happened (standard error, never stdout)."""
    typer.echo(message, err=True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class ErrorHandlingGroup(TyperGroup):
    """A Typer group that turns expected failures into one-line errors and exit code 1.

    Domain errors carry a message that is safe to show; configuration and database
    connection problems are summarised without tracebacks. Anything else is a bug
    and keeps its traceback.
    """

    def invoke(self, ctx: Any) -> Any:
        """Run the group (and its subcommand), translating expected errors."""
        try:
            return super().invoke(ctx)
        except ConvonetError as exc:
            fail(exc.message)
        except ValidationError as exc:
            problems = "; ".join(
                f"CONVONET_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors()
            )
            fail(f"Invalid configuration: {problems}.")
        except (SecretsError, CommandError) as exc:
            fail(_one_line(exc))
        except OperationalError as exc:
            fail(f"Database error: {_one_line(exc.orig or exc)}")


def settings_of(ctx: typer.Context) -> Settings:
    """Return the ``Settings`` the root callback stored on the context."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def describe_database(settings: Settings) -> str:
    """The database URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)


@contextmanager
def raw_engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the configured database that never migrates by itself."""
    engine = make_engine(settings.resolved_database_url())
    try:
        yield engine
    finally:
        engine.dispose()


def head_revision(engine: Engine) -> str | None:
    """The newest revision of the migration scripts."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """A session in one transaction on a database whose schema is at head.

    The embedded SQLite default is migrated on first use; a configured database
    must have been upgraded with ``convonet-mcp db upgrade``.
    """
    engine = engine_from_settings(settings)
    try:
        current, head = current_revision(engine), head_revision(engine)
        if current != head:
            fail(
                f"The database schema is at {current or 'nothing'} but the code expects "
                f"{head}; run `convonet-mcp db upgrade` first."
            )
        with transaction(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def read_secret(value: str | None, *, prompt: str, allow_empty: bool = False) -> str:
    """Return ``value``, or ask for it without echo when it is missing or ``"-"``.

    The prompt goes to standard error and asks twice to catch typos.
    """
    if value is not None and value != "-":
        return value
    answer: str = typer.prompt(
        prompt,
        hide_input=True,
        confirmation_prompt=True,
        default="" if allow_empty else None,
        show_default=False,
        err=True,
    )
    return answer


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print ``rows`` as left-aligned columns on standard output (a listing's only output)."""
    table = [headers, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
