"""The conversation agent every channel talks to: one call per user utterance.

``open_agent`` builds it; ``turn`` answers an utterance, ``stream`` yields the reply sentence
by sentence, then a ``TransferIntent`` when the caller is to be handed to a person.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastmcp.mcp_config import MCPConfig
from langchain_core.language_models import BaseChatModel
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.models import Channel
from convonet_voice.agent.budgets import Budgets, Deadline
from convonet_voice.agent.checkpoints import Persistence, open_persistence
from convonet_voice.agent.conversation import Conversation, TurnTimings
from convonet_voice.agent.graph import build_graph
from convonet_voice.agent.llm import claude_model
from convonet_voice.agent.mcp_mount import ToolObserver, load_mcp_servers
from convonet_voice.agent.recovery import Turn, TurnRunner
from convonet_voice.settings import VoiceSettings

logger = logging.getLogger("convonet.agent")


@dataclass(frozen=True)
class TransferIntent:
    """Hand the caller to a person: the channel dials ``extension``."""

    transfer_id: str
    department: str
    extension: str
    reason: str


@dataclass(frozen=True)
class TurnResult:
    """The outcome of one utterance."""

    text: str
    transfer: TransferIntent | None
    timed_out: bool = False
    used_fallback: bool = False


def _intent(found: dict[str, str] | None) -> TransferIntent | None:
    if not found:
        return None
    return TransferIntent(
        transfer_id=found["id"],
        department=found["department"],
        extension=found["extension"],
        reason=found["reason"],
    )


class ConversationAgent:
    """Runs conversations turn by turn, each bound to one authenticated user."""

    def __init__(
        self,
        settings: VoiceSettings,
        factory: sessionmaker[Session],
        *,
        model: BaseChatModel | None,
        persistence: Persistence | None,
        extra_servers: MCPConfig | None,
        stack: AsyncExitStack,
        on_tool_call: ToolObserver | None = None,
    ) -> None:
        self.budgets = Budgets.from_settings(settings)
        graph = build_graph(persistence.checkpointer) if persistence and model else None
        self._runner = TurnRunner(
            settings,
            factory,
            model=model if graph else None,
            graph=graph,
            threads=persistence.threads if persistence else None,
            extra_servers=extra_servers,
            budgets=self.budgets,
            on_tool_call=on_tool_call,
        )
        self._stack = stack
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def resets(self) -> int:
        """How many conversation threads were reset after a failed or timed-out turn."""
        return self._runner.resets

    @property
    def has_model(self) -> bool:
        """False when only the offline grammar answers."""
        return self._runner.graph is not None

    def last_timings(self, conversation_id: str) -> TurnTimings | None:
        """Where the last turn of ``conversation_id`` spent its time."""
        conversation = self._runner.conversations.get(conversation_id)
        return conversation.last if conversation else None

    async def turn(
        self, *, user_id: uuid.UUID, conversation_id: str, channel: Channel, text: str
    ) -> TurnResult:
        """Answer one utterance as ``user_id``; always returns within the turn budget.

        Raises:
            ConversationOwnershipError: the conversation belongs to another user.
        """
        return await self._turn(user_id, conversation_id, channel, text, None)

    async def stream(
        self, *, user_id: uuid.UUID, conversation_id: str, channel: Channel, text: str
    ) -> AsyncIterator[str | TransferIntent]:
        """Yield the reply sentence by sentence as it is generated, then a transfer if any.

        Raises:
            ConversationOwnershipError: the conversation belongs to another user.
        """
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        task = asyncio.create_task(
            self._turn(user_id, conversation_id, channel, text, queue.put_nowait)
        )
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (sentence := await queue.get()) is not None:
                yield sentence
            result = await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if result.transfer is not None:
            yield result.transfer

    async def end(self, conversation_id: str) -> None:
        """Close the conversation's MCP session (its checkpoints stay for a later turn)."""
        lock = self._locks.pop(conversation_id, None)
        if lock is not None:
            async with lock:
                await self._runner.close(conversation_id)

    async def aclose(self) -> None:
        """End every conversation and close the checkpoint store."""
        for conversation_id in list(self._locks):
            await self.end(conversation_id)
        await self._stack.aclose()

    async def _turn(
        self,
        user_id: uuid.UUID,
        conversation_id: str,
        channel: Channel,
        text: str,
        emit: Callable[[str], None] | None,
    ) -> TurnResult:
        deadline = Deadline(self.budgets.turn)
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            conversation: Conversation = await self._runner.open(user_id, conversation_id, channel)
            turn = Turn(text=text, deadline=deadline, emit=emit)
            try:
                await self._runner.run(conversation, turn)
            except asyncio.CancelledError:
                conversation.dirty = True
                raise
        return TurnResult(
            text=" ".join(turn.spoken),
            transfer=_intent(turn.transfer),
            timed_out=turn.timed_out,
            used_fallback=turn.used_fallback,
        )


async def open_agent(
    settings: VoiceSettings,
    factory: sessionmaker[Session],
    *,
    model: BaseChatModel | None = None,
    on_tool_call: ToolObserver | None = None,
) -> ConversationAgent:
    """Build the agent: ``model``, else Claude when a key is set, else the offline grammar.

    ``on_tool_call`` is told of each tool call as it starts (the text client prints them).

    Raises:
        MountError: ``CONVONET_MCP_SERVERS_FILE`` is unreadable or invalid.
    """
    extra = load_mcp_servers(settings.mcp_servers_file)
    chosen = model if model is not None else claude_model(settings)
    stack = AsyncExitStack()
    try:
        persistence = (
            await stack.enter_async_context(open_persistence(settings)) if chosen else None
        )
    except BaseException:
        await stack.aclose()
        raise
    logger.info("Conversation agent ready (%s)", "model" if chosen else "offline grammar only")
    return ConversationAgent(
        settings,
        factory,
        model=chosen,
        persistence=persistence,
        extra_servers=extra,
        stack=stack,
        on_tool_call=on_tool_call,
    )
