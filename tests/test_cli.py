"""The ``convonet-mcp`` command line, run against private databases on each backend."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from convonet_mcp.auth.pins import pin_matches
from convonet_mcp.auth.secrets import load_secrets
from convonet_mcp.cli import app
from convonet_mcp.db import make_engine, session_factory
from convonet_mcp.demo import DEMO_PASSWORD, DEMO_PIN
from convonet_mcp.models import CalendarEvent, Reminder, Team, Todo, User
from convonet_mcp.services.accounts import authenticate
from convonet_mcp.services.todo_lists import list_todos
from convonet_mcp.settings import Settings

PASSWORD = "correct horse battery"
PIN = "4826"


@dataclass
class Cli:
    """Runs ``convonet-mcp`` in-process with its own environment."""

    env: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env, input=input)

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.env["CONVONET_DATA_DIR"], database_url=self.env["CONVONET_DATABASE_URL"]
        )

    def user(self, email: str) -> User:
        engine = make_engine(self.settings().resolved_database_url())
        try:
            with session_factory(engine)() as session:
                user = session.scalar(select(User).where(User.email == email))
                assert user is not None
                return user
        finally:
            engine.dispose()


pytestmark = pytest.mark.usefixtures("fast_hashing")


def _env(tmp_path: Path, database_url: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CONVONET_")}
    env |= {"CONVONET_DATA_DIR": str(tmp_path / "data"), "CONVONET_DATABASE_URL": database_url}
    return env


@pytest.fixture
def fresh_cli(tmp_path: Path, empty_database_url: str) -> Cli:
    """The CLI on a configured database that has no schema yet."""
    return Cli(_env(tmp_path, empty_database_url))


@pytest.fixture
def cli(fresh_cli: Cli) -> Cli:
    """The CLI on a configured database upgraded to head."""
    assert fresh_cli("db", "upgrade").exit_code == 0
    return fresh_cli


def _add_ann(cli: Cli, *extra: str) -> Result:
    return cli(
        "user", "add", "ann@example.com", "--name", "Ann Lee", "--password", PASSWORD,
        "--pin", PIN, "--timezone", "Europe/Paris", *extra,
    )  # fmt: skip


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr
    return errors[0]


def test_db_upgrade_current_and_downgrade_walk_the_schema_up_and_down(fresh_cli):
    assert fresh_cli("db", "current").stdout.startswith("none (empty database")
    upgraded = fresh_cli("db", "upgrade")
    assert upgraded.exit_code == 0
    assert "upgraded from nothing to 0001" in upgraded.stderr
    assert fresh_cli("db", "current").stdout == "0001 (head)\n"
    assert fresh_cli("db", "downgrade", "--yes").exit_code == 0
    assert fresh_cli("db", "current").stdout.startswith("none")


def test_db_downgrade_asks_first_and_keeps_the_schema_when_refused(cli):
    refused = cli("db", "downgrade", input="n\n")
    assert refused.exit_code == 1
    assert cli("db", "current").stdout == "0001 (head)\n"


def test_an_unknown_revision_is_a_one_line_error(fresh_cli):
    error = _one_line_error(fresh_cli("db", "upgrade", "--revision", "nope"))
    assert "nope" in error
    assert fresh_cli("db", "current").stdout.startswith("none")


def test_a_configured_database_that_was_never_upgraded_is_a_clear_error(fresh_cli):
    error = _one_line_error(fresh_cli("user", "list"))
    assert "convonet-mcp db upgrade" in error


def test_user_add_creates_an_account_whose_pin_matches_and_is_never_printed(cli):
    added = _add_ann(cli, "--phone", "+14155552671")
    assert added.exit_code == 0, added.output
    listing = cli("user", "list")
    assert listing.exit_code == 0
    row = listing.stdout.splitlines()[1].split()
    assert row[:5] == ["ann@example.com", "ann", "Ann", "Lee", "Europe/Paris"]
    assert "+14155552671" in row and "yes" in row
    for result in (added, listing):
        assert PASSWORD not in result.output and PIN not in result.output
    ann = cli.user("ann@example.com")
    assert pin_matches(ann.voice_pin_hash, PIN, load_secrets(cli.settings()))


def test_passwords_and_pins_are_asked_without_echo_when_left_out(cli):
    answers = f"{PASSWORD}\n{PASSWORD}\n{PIN}\n{PIN}\n"
    added = cli("user", "add", "bob@example.com", "--name", "Bob Ray", input=answers)
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output and PIN not in added.output
    bob = cli.user("bob@example.com")
    assert pin_matches(bob.voice_pin_hash, PIN, load_secrets(cli.settings()))


def test_user_set_pin_replaces_the_pin(cli):
    _add_ann(cli)
    changed = cli("user", "set-pin", "ANN@example.com", "--pin", "-", input="7391\n7391\n")
    assert changed.exit_code == 0, changed.output
    ann = cli.user("ann@example.com")
    secrets = load_secrets(cli.settings())
    assert pin_matches(ann.voice_pin_hash, "7391", secrets)
    assert not pin_matches(ann.voice_pin_hash, PIN, secrets)


def test_a_weak_pin_is_refused_with_a_message_that_does_not_repeat_it(cli):
    _add_ann(cli)
    error = _one_line_error(cli("user", "set-pin", "ann@example.com", "--pin", "1234"))
    assert "1234" not in error


def test_a_duplicate_email_is_a_one_line_error(cli):
    assert _add_ann(cli).exit_code == 0
    _one_line_error(_add_ann(cli, "--username", "ann2"))
    assert cli("user", "list").stdout.count("ann@example.com") == 1


def test_an_unknown_timezone_is_a_one_line_error(cli):
    error = _one_line_error(_add_ann(cli, "--timezone", "Mars/Olympus_Mons"))
    assert "Mars/Olympus_Mons" in error


def test_team_add_makes_the_owner_its_owner(cli):
    _add_ann(cli)
    created = cli("team", "add", "Platform", "--owner", "ann@example.com")
    assert created.exit_code == 0, created.output
    assert "Platform  ann@example.com (owner)" in cli("team", "list").stdout
    assert "Platform (owner)" in cli("user", "list").stdout


def test_team_add_with_an_unknown_owner_is_a_one_line_error(cli):
    error = _one_line_error(cli("team", "add", "Platform", "--owner", "nobody@example.com"))
    assert "nobody@example.com" in error


def test_the_embedded_database_is_created_and_migrated_on_first_use(tmp_path):
    cli = Cli(_env(tmp_path, None))
    assert _add_ann(cli).exit_code == 0
    assert (tmp_path / "data" / "convonet.db").exists()
    assert cli("db", "current").stdout == "0001 (head)\n"


def test_invalid_configuration_is_a_one_line_error(tmp_path):
    cli = Cli(_env(tmp_path, None) | {"CONVONET_PRODUCTION": "perhaps"})
    assert "CONVONET_PRODUCTION" in _one_line_error(cli("db", "current"))


def test_the_console_script_keeps_stdout_for_listings_and_logs_on_stderr(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVONET_")}
    env["CONVONET_DATA_DIR"] = str(tmp_path / "data")
    script = Path(sys.executable).with_name("convonet-mcp")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )

    upgraded = run("db", "upgrade")
    assert (upgraded.returncode, upgraded.stdout) == (0, "")
    assert "upgraded from nothing to 0001" in upgraded.stderr
    current = run("db", "current")
    assert (current.returncode, current.stdout, current.stderr) == (0, "0001 (head)\n", "")
    assert run("--version").stdout == "convonet-mcp 0.1.0\n"


def _counts(cli: Cli) -> dict[str, int]:
    engine = make_engine(cli.settings().resolved_database_url())
    try:
        with engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (
                    User.__table__,
                    Team.__table__,
                    Todo.__table__,
                    Reminder.__table__,
                    CalendarEvent.__table__,
                )
            }
    finally:
        engine.dispose()


def test_demo_loads_people_who_can_sign_in_and_a_second_run_changes_nothing(cli):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert first.stdout == ""
    assert DEMO_PASSWORD in first.stderr and DEMO_PIN in first.stderr
    loaded = _counts(cli)
    assert loaded["users"] == 4 and loaded["teams"] == 2
    assert min(loaded.values()) > 0
    second = cli("demo")
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.stderr
    assert _counts(cli) == loaded
    ada = cli.user("ada@example.com")
    assert pin_matches(ada.voice_pin_hash, DEMO_PIN, load_secrets(cli.settings()))
    engine = make_engine(cli.settings().resolved_database_url())
    try:
        with session_factory(engine)() as session:
            signed_in = authenticate(session, login="ada@example.com", password=DEMO_PASSWORD)
            page = list_todos(session, signed_in, status="open")
            assert "Draft the Q3 roadmap" in [todo.title for todo in page.items]
    finally:
        engine.dispose()


def test_demo_refuses_clearly_and_writes_nothing_when_a_demo_email_is_taken(cli):
    taken = cli(
        "user", "add", "ben@example.com", "--name", "Ben Other", "--password", PASSWORD, "--pin", ""
    )
    assert taken.exit_code == 0, taken.output
    _one_line_error(cli("demo"))
    assert _counts(cli)["users"] == 1
