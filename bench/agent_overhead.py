"""The conversation agent's own overhead per turn, with a scripted model at a fixed latency.

Usage:
    python bench/agent_overhead.py [--database-url URL] [--latency-ms 300] [--pause-ms 2000]
                                   [--turns 10] [--concurrency 1,50]

Each conversation sends ``--turns`` utterances, ``--pause-ms`` apart (the caller listening to
the reply and speaking the next one). All conversations open first (their MCP sessions and
a first turn, reported separately), then the measured turns start at random moments within
one pause. The scripted model answers each with a real ``create_todo`` tool call through the
conversation's MCP session, then confirms the tool's summary: two model calls per turn, each
after ``--latency-ms``. Per turn, overhead = total turn time - model calls x latency - time
measured inside the MCP tool calls. That is the agent's own work: the LangGraph loop, the
checkpoints (SQLite under a temporary directory, or PostgreSQL with ``--database-url``),
prompts, streaming into sentences and bookkeeping. The first turn of each conversation
(opening its MCP session) is reported separately. The process runs with
``convonet_voice.agent.gc_tuning.tune_for_conversations()`` as the voice app should
(``--default-gc`` to compare). Budget: <= 20 ms p50 at 50 conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from convonet_mcp.db import make_engine, session_factory, transaction, upgrade
from convonet_mcp.models import Channel, User
from convonet_voice.agent import ConversationAgent, open_agent
from convonet_voice.agent.gc_tuning import tune_for_conversations
from convonet_voice.settings import VoiceSettings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scripted_model import ScriptedChatModel, call, confirm


def policy(messages: list[BaseMessage]) -> AIMessage:
    """Create a todo for each utterance, then read the tool's summary back."""
    if isinstance(messages[-1], HumanMessage):
        return call("create_todo", title=str(messages[-1].content)[:80])
    return confirm(messages)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def conversation(
    agent: ConversationAgent, user_id: uuid.UUID, args: argparse.Namespace, opened: asyncio.Barrier
) -> tuple[float, list[float]]:
    """Run one conversation; return its opening turn's overhead and the others'.

    Every conversation opens (its MCP session, its first turn) before any is measured, as
    call starts are spread out in real traffic; then turns run ``--pause-ms`` apart.
    """
    latency, pause = args.latency_ms / 1000, args.pause_ms / 1000
    conversation_id = f"bench-{uuid.uuid4().hex}"
    overheads: list[float] = []
    for index in range(args.turns + 1):
        if index <= 1:
            await asyncio.sleep(random.uniform(0, pause))  # callers do not start together
        else:
            await asyncio.sleep(pause)  # the caller hears the reply and answers
        started = time.perf_counter()
        await agent.turn(
            user_id=user_id,
            conversation_id=conversation_id,
            channel=Channel.phone,
            text=f"Add a todo to check item {index}",
        )
        total = time.perf_counter() - started
        timings = agent.last_timings(conversation_id)
        assert timings is not None and timings.model_calls == 2 and timings.tool_calls == 1
        overheads.append(total - timings.model_calls * latency - timings.tools)
        if index == 0:
            await opened.wait()
    await agent.end(conversation_id)
    return overheads[0], overheads[1:]


async def run(settings: VoiceSettings, users: list[uuid.UUID], args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    random.seed(5)
    engine = make_engine(settings.resolved_database_url())
    factory = session_factory(engine)
    model = ScriptedChatModel(policy=policy, latency=latency)
    agent = await open_agent(settings, factory, model=model)
    if not args.default_gc:
        tune_for_conversations()
    try:
        for concurrency in args.concurrency:
            opened = asyncio.Barrier(concurrency)
            results = await asyncio.gather(
                *(conversation(agent, users[i], args, opened) for i in range(concurrency))
            )
            opening = [first for first, _ in results]
            steady = [value for _, rest in results for value in rest]
            ms = [v * 1000 for v in steady]
            print(
                f"{concurrency:>3} conversations, {len(ms)} turns: overhead p50 "
                f"{statistics.median(ms):6.1f} ms  p99 {percentile(ms, 0.99):6.1f} ms  "
                f"(opening turn p50 {statistics.median(opening) * 1000:6.1f} ms)"
            )
    finally:
        await agent.aclose()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--pause-ms", type=float, default=2000.0)
    parser.add_argument(
        "--default-gc", action="store_true", help="keep CPython's GC thresholds (no tuning)"
    )
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 50])  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'convonet.db'}"
        settings = VoiceSettings(
            database_url=database_url, data_dir=Path(tmp), anthropic_api_key=None,
            mcp_url=None, mcp_servers_file=None, turn_timeout=60.0, tool_timeout=30.0,
        )  # fmt: skip
        engine = make_engine(settings.resolved_database_url())
        upgrade(engine)
        users = []
        with transaction(session_factory(engine)) as session:
            for index in range(max(args.concurrency)):
                handle = f"bench{uuid.uuid4().hex[:8]}{index}"
                user = User(email=f"{handle}@example.com", username=handle, first_name="Bench")
                session.add(user)
                session.flush()
                users.append(user.id)
        engine.dispose()
        print(
            f"Agent overhead per turn (scripted model {args.latency_ms:g} ms per call, "
            f"{args.pause_ms:g} ms between turns, "
            f"{'default' if args.default_gc else 'tuned'} GC, "
            f"checkpoints in {'PostgreSQL' if args.database_url else 'SQLite'})"
        )
        asyncio.run(run(settings, users, args))


if __name__ == "__main__":
    main()
