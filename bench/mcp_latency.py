"""MCP tool-call latency: direct service call vs in-process MCP client vs stdio subprocess.

Usage:
    python bench/mcp_latency.py [--database-url URL] [--iterations 300] [--sizes 10000,100000]

For each operation it prints p50 and p99 in milliseconds for the direct service call
(one transaction: load the actor, call the service — what any front end must do), the
same tool through fastmcp's in-memory Client, the server's share of that call (timed by
a middleware around the tool call: argument validation, dispatch, the tool, shaping its
result), and through a real stdio subprocess, with the overhead above the direct call
and the ratio. Budgets (docs/DESIGN): in-process
<= 1 ms p50 above the direct call, stdio <= 2 ms p50 above, list latency flat from 10k to
100k rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from fastmcp.server.middleware import Middleware
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from convonet_mcp.db import make_engine, session_factory, transaction, upgrade
from convonet_mcp.models import Todo, User, utcnow
from convonet_mcp.server import for_user
from convonet_mcp.services import agenda, todo_lists, todos
from convonet_mcp.settings import Settings

BIN = Path(sys.executable).parent / "convonet-mcp"


class ServerClock(Middleware):
    """Times each tool call inside the server (dispatch, validation, the tool, its result)."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def on_call_tool(self, context: Any, call_next: Any) -> Any:
        start = time.perf_counter()
        try:
            return await call_next(context)
        finally:
            self.samples.append((time.perf_counter() - start) * 1000)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(fn: Callable[[], Awaitable[Any]], iterations: int) -> list[float]:
    for _ in range(max(10, iterations // 10)):
        await fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def seed(factory: Any, user_id: uuid.UUID, count: int) -> None:
    """Insert ``count`` personal todos for the user in bulk."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "title": f"Seeded task {i}",
            "description": "",
            "completed": i % 4 == 0,
            "priority": "medium",
            "creator_id": user_id,
            "is_private": False,
            "created_at": now - timedelta(seconds=i),
            "updated_at": now,
        }
        for i in range(count)
    ]
    with transaction(factory) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Todo), rows[start : start + 5000])
    # Fresh planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would give.
    with transaction(factory) as session:
        session.execute(text("ANALYZE"))


async def run(url: str, iterations: int, sizes: list[int]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    settings = Settings(database_url=url)
    results: list[tuple[str, str, list[float]]] = []

    for size in sizes:
        with transaction(factory) as session:
            handle = f"bench{size}{uuid.uuid4().hex[:6]}"
            user = User(email=f"{handle}@example.com", username=handle, first_name="Bench")
            session.add(user)
        seed(factory, user.id, size)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVONET_")}
        env.update(
            CONVONET_DATABASE_URL=url, CONVONET_USER=user.email, CONVONET_LOG_LEVEL="WARNING"
        )

        def direct(
            call: Callable[[Any, User], Any], user_id: uuid.UUID = user.id
        ) -> Callable[[], Awaitable[Any]]:
            async def go() -> Any:
                with transaction(factory) as session:
                    actor = session.get(User, user_id)
                    assert actor is not None
                    return call(session, actor)

            return go

        ops: list[tuple[str, Callable[[Any, User], Any], str, dict[str, Any]]] = [
            (
                f"get_todos page of 50 / {size:,} rows",
                lambda s, a: todo_lists.list_todos(s, a, limit=50),
                "get_todos",
                {"limit": 50},
            ),
            ("get_agenda", lambda s, a: agenda.get_agenda(s, a), "get_agenda", {}),
        ]
        if size == sizes[0]:
            ops.insert(
                0,
                (
                    "create_todo",
                    lambda s, a: todos.create_todo(s, a, title="Bench todo"),
                    "create_todo",
                    {"title": "Bench todo"},
                ),
            )
        server = for_user(settings, factory, user.id)
        server_side = ServerClock()
        server.add_middleware(server_side)
        stdio = StdioTransport(str(BIN), [], env=env)
        async with Client(server) as memory, Client(stdio) as piped:
            for label, call, tool, args in ops:
                results.append((label, "direct", await measure(direct(call), iterations)))
                server_side.samples.clear()
                results.append(
                    (
                        label,
                        "in-process",
                        await measure(partial(memory.call_tool, tool, args), iterations),
                    )
                )
                results.append((label, "server", server_side.samples[-iterations:]))
                results.append(
                    (
                        label,
                        "stdio",
                        await measure(partial(piped.call_tool, tool, args), iterations),
                    )
                )
    engine.dispose()
    report(results, url, iterations)


def report(results: list[tuple[str, str, list[float]]], url: str, iterations: int) -> None:
    backend = url.split(":", 1)[0]
    print(f"# MCP latency — {backend}, {iterations} calls each, milliseconds")
    print(f"{'operation':40} {'mode':11} {'p50':>8} {'p99':>8} {'+p50':>8} {'ratio':>6}")
    base: dict[str, float] = {}
    for label, mode, samples in results:
        p50, p99 = statistics.median(samples), percentile(samples, 0.99)
        if mode == "direct":
            base[label] = p50
            extra, ratio = "", ""
        else:
            extra, ratio = f"{p50 - base[label]:8.3f}", f"{p50 / base[label]:6.2f}"
        print(f"{label:40} {mode:11} {p50:8.3f} {p99:8.3f} {extra:>8} {ratio:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.database_url:
        with throwaway_database(args.database_url) as url:
            asyncio.run(run(url, args.iterations, sizes))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite:///{tmp}/bench.db", args.iterations, sizes))


@contextmanager
def throwaway_database(admin: str) -> Iterator[str]:
    """A new PostgreSQL database next to ``admin``'s, dropped afterwards."""
    admin_url = make_url(Settings(database_url=admin).resolved_database_url())
    name = f"convonet_bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


if __name__ == "__main__":
    main()
