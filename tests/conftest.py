"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when configured.

Set ``CONVONET_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``) to
run every database test on PostgreSQL too. Each pytest run creates its own throwaway
PostgreSQL database next to the one named in the URL, so concurrent runs never collide.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.limits import CounterStore, MemoryCounterStore, RedisCounterStore
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.db import make_engine, session_factory, upgrade
from convonet_mcp.models import Base, Role, Team, TeamMembership, User
from convonet_mcp.settings import Settings
from factories import MakeTeam, MakeUser, cheap_hashing

PG_URL = os.environ.get("CONVONET_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("CONVONET_TEST_REDIS_URL")

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# Tables whose rows the migration seeds; kept between tests.
SEEDED = {"departments", "alembic_version"}


def _normalise(url: str) -> str:
    return Settings(database_url=url).resolved_database_url()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """Create a private PostgreSQL database for this run, migrated to head."""
    if not PG_URL:
        pytest.skip("CONVONET_TEST_DATABASE_URL is not set")
    admin_url = make_url(_normalise(PG_URL))
    name = f"convonet_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate(engine: Engine) -> None:
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in SEEDED]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(names)} CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """URL of a freshly migrated, empty database (departments seeded) on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "convonet.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_database_url")
    engine = make_engine(url)
    _truncate(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the per-test database."""
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory the app would use."""
    return session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service tests; tests commit when they need to."""
    with factory() as s:
        yield s


@pytest.fixture
def make_user(session: Session) -> MakeUser:
    """Create and flush a user: ``make_user("ann")`` gives ann@example.com."""

    def _make(
        handle: str,
        *,
        first_name: str | None = None,
        last_name: str = "Tester",
        timezone: str = "UTC",
        phone_number: str | None = None,
    ) -> User:
        user = User(
            email=f"{handle.lower()}@example.com",
            username=handle.lower(),
            first_name=first_name if first_name is not None else handle.capitalize(),
            last_name=last_name,
            timezone=timezone,
            phone_number=phone_number,
        )
        session.add(user)
        session.flush()
        return user

    return _make


@pytest.fixture
def make_team(session: Session) -> MakeTeam:
    """Create a team with members: ``make_team("Dev", {ann: Role.owner, bob: Role.member})``."""

    def _make(name: str, members: dict[User, Role]) -> Team:
        team = Team(name=name)
        session.add(team)
        session.flush()
        for user, role in members.items():
            session.add(TeamMembership(team_id=team.id, user_id=user.id, role=role))
        session.flush()
        return team

    return _make


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a brand-new database with no schema at all, private to one test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    assert PG_URL
    admin_url = make_url(_normalise(PG_URL))
    name = f"convonet_empty_{uuid.uuid4().hex[:10]}"
    admin = make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    """The test Redis URL; skips the test when none is configured."""
    if not REDIS_URL:
        pytest.skip("CONVONET_TEST_REDIS_URL is not set")
    return REDIS_URL


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[RedisCounterStore]:
    """A Redis counter store under a private key prefix, emptied afterwards."""
    from redis import Redis

    prefix = f"convonet-test-{uuid.uuid4().hex}:"
    client = Redis.from_url(redis_url)
    store = RedisCounterStore(client, prefix=prefix)
    try:
        yield store
    finally:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        store.close()


@pytest.fixture(params=["memory", "redis"])
def counter_store(request: pytest.FixtureRequest) -> CounterStore:
    """Each counter store backend: in-process always, Redis when configured."""
    if request.param == "memory":
        return MemoryCounterStore()
    redis_store: RedisCounterStore = request.getfixturevalue("redis_store")
    return redis_store


@pytest.fixture
def secrets() -> Secrets:
    """A fresh PIN pepper and JWT secret."""
    return Secrets.generate()


@pytest.fixture
def fast_hashing() -> Iterator[None]:
    """Test-sized argon2 costs for the test (use with ``pytest.mark.usefixtures``)."""
    with cheap_hashing():
        yield
