"""The Alembic migrations build exactly the models' schema, and undo it, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from convonet_mcp.db import current_revision, downgrade, make_engine, session_factory, upgrade
from convonet_mcp.models import Base, Department


@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_an_empty_database_upgrades_to_head_and_matches_the_models(empty_engine):
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert current_revision(empty_engine) == "0001"
    assert _tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert _schema_diff(empty_engine) == []


def test_the_migration_seeds_the_three_departments(empty_engine):
    upgrade(empty_engine)
    with session_factory(empty_engine)() as session:
        names = session.scalars(select(Department.name).order_by(Department.extension)).all()
    assert names == ["support", "sales", "technical"]


def test_downgrading_to_base_drops_everything_and_upgrading_again_restores_it(empty_engine):
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert current_revision(empty_engine) is None
    assert _tables(empty_engine) <= {"alembic_version"}
    upgrade(empty_engine)
    assert current_revision(empty_engine) == "0001"
    assert _schema_diff(empty_engine) == []


def test_upgrading_a_database_already_at_head_changes_nothing(empty_engine):
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == "0001"
    with session_factory(empty_engine)() as session:
        assert len(session.scalars(select(Department)).all()) == 3
