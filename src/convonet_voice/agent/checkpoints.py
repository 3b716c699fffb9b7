"""Where conversations persist: LangGraph checkpoints plus a small index of each thread.

SQLite at ``<data_dir>/checkpoints.db`` by default; the Convonet PostgreSQL database when
``CONVONET_DATABASE_URL`` points at PostgreSQL. The index maps a conversation (call sid or
browser session) to its current thread, its user and the summary a reset thread carries.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from convonet_voice.settings import VoiceSettings

logger = logging.getLogger("convonet.agent.checkpoints")

_DDL = """
CREATE TABLE IF NOT EXISTS convonet_agent_threads (
    conversation_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    resets INTEGER NOT NULL DEFAULT 0
)"""
_SELECT = "SELECT user_id, thread_id, summary, resets FROM convonet_agent_threads "
_UPSERT = (
    "INSERT INTO convonet_agent_threads (conversation_id, user_id, thread_id, summary, resets) "
    "VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (conversation_id) DO UPDATE SET "
    "thread_id = excluded.thread_id, summary = excluded.summary, resets = excluded.resets"
)


@dataclass(frozen=True)
class ThreadRecord:
    """The current thread of one conversation."""

    conversation_id: str
    user_id: str
    thread_id: str
    summary: str = ""
    resets: int = 0


class ThreadIndex:
    """Reads and writes thread records beside the checkpoints, in the same database."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self._saver = saver

    async def _run(self, sql: str, args: tuple[Any, ...], *, fetch: bool = False) -> Any:
        saver = self._saver
        if isinstance(saver, AsyncSqliteSaver):
            async with saver.lock:
                cursor = await saver.conn.execute(sql.replace("%s", "?"), args)
                row = await cursor.fetchone() if fetch else None
                await saver.conn.commit()
                return tuple(row) if row else None
        assert isinstance(saver, AsyncPostgresSaver)
        pool = saver.conn
        assert isinstance(pool, AsyncConnectionPool)
        async with pool.connection() as conn:
            pg_cursor = await conn.execute(sql, args)
            found = await pg_cursor.fetchone() if fetch else None
            return tuple(found.values()) if found else None

    async def setup(self) -> None:
        """Create the index table when missing."""
        await self._run(_DDL, ())

    async def get(self, conversation_id: str) -> ThreadRecord | None:
        """The record of ``conversation_id``, or None for a new conversation."""
        row = await self._run(
            _SELECT + "WHERE conversation_id = %s", (conversation_id,), fetch=True
        )
        if row is None:
            return None
        user_id, thread_id, summary, resets = row
        return ThreadRecord(conversation_id, str(user_id), str(thread_id), summary, int(resets))

    async def put(self, record: ThreadRecord) -> None:
        """Insert or move a conversation to ``record.thread_id`` (its user never changes)."""
        await self._run(
            _UPSERT.format(p="%s"),
            (
                record.conversation_id,
                record.user_id,
                record.thread_id,
                record.summary,
                record.resets,
            ),
        )


@dataclass(frozen=True)
class Persistence:
    """The checkpointer the graph compiles with, and the thread index beside it."""

    checkpointer: BaseCheckpointSaver[Any]
    threads: ThreadIndex


def postgres_conninfo(database_url: str) -> str | None:
    """The psycopg connection string for a PostgreSQL URL, or None for anything else."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def open_persistence(settings: VoiceSettings) -> AsyncIterator[Persistence]:
    """Open the checkpoint store for the app's lifetime, creating its tables when missing."""
    conninfo = postgres_conninfo(settings.database_url) if settings.database_url else None
    if conninfo is not None:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=10,
            open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        await pool.open()
        try:
            postgres = AsyncPostgresSaver(pool)
            await postgres.setup()
            threads = ThreadIndex(postgres)
            await threads.setup()
            logger.info("Agent checkpoints in PostgreSQL")
            yield Persistence(postgres, threads)
        finally:
            await pool.close()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "checkpoints.db"
    async with aiosqlite.connect(str(path)) as conn:
        saver = AsyncSqliteSaver(conn)
        await saver.setup()  # switches the file to WAL
        await conn.execute("PRAGMA synchronous=NORMAL")  # durable with WAL, no fsync per turn
        threads = ThreadIndex(saver)
        await threads.setup()
        logger.info("Agent checkpoints in %s", path)
        yield Persistence(saver, threads)
