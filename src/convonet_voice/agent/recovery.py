"""Running one turn: the graph under its budgets, the offline fallback, thread resets, transfers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from fastmcp.mcp_config import MCPConfig
from langchain_core.language_models import BaseChatModel
from langgraph.graph.state import CompiledStateGraph
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.models import Channel
from convonet_voice.agent import offline
from convonet_voice.agent.budgets import BudgetExceeded, Budgets, Deadline
from convonet_voice.agent.checkpoints import ThreadIndex, ThreadRecord
from convonet_voice.agent.conversation import (
    Conversation,
    ConversationOwnershipError,
    TurnTimings,
    before_utterance,
    bind_model,
    dangling,
    new_thread_id,
    read_profile,
)
from convonet_voice.agent.graph import AgentState, TurnContext, TurnStats
from convonet_voice.agent.mcp_mount import ToolObserver, mount
from convonet_voice.agent.prompts import FAILED, TIMED_OUT, summarize
from convonet_voice.agent.transfer_intent import detect_transfer
from convonet_voice.settings import VoiceSettings

logger = logging.getLogger("convonet.agent.turns")

HISTORY_LIMIT = 48  # messages; a longer thread rolls over to a fresh one with a summary

Graph = CompiledStateGraph[AgentState, TurnContext, AgentState, AgentState]


@dataclass
class Turn:
    """One utterance in progress: what was said back, and how the turn went."""

    text: str
    deadline: Deadline
    emit: Callable[[str], None] | None = None
    spoken: list[str] = field(default_factory=list)
    transfer: dict[str, str] | None = None
    timed_out: bool = False
    used_fallback: bool = False
    stats: TurnStats = field(default_factory=TurnStats)

    def say(self, sentence: str) -> None:
        """Speak ``sentence``: stream it now and keep it for the whole reply."""
        self.spoken.append(sentence)
        if self.emit is not None:
            self.emit(sentence)


class TurnRunner:
    """Opens conversations and runs their turns; knows nothing about channels."""

    def __init__(
        self,
        settings: VoiceSettings,
        factory: sessionmaker[Session],
        *,
        model: BaseChatModel | None,
        graph: Graph | None,
        threads: ThreadIndex | None,
        extra_servers: MCPConfig | None,
        budgets: Budgets,
        on_tool_call: ToolObserver | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.model = model
        self.graph = graph
        self.threads = threads
        self.extra_servers = extra_servers
        self.budgets = budgets
        self.on_tool_call = on_tool_call
        self.conversations: dict[str, Conversation] = {}
        self.resets = 0

    async def open(
        self, user_id: uuid.UUID, conversation_id: str, channel: Channel
    ) -> Conversation:
        """The open conversation, or a newly opened one continuing any saved thread.

        Raises:
            ConversationOwnershipError: the conversation belongs to another user.
        """
        found = self.conversations.get(conversation_id)
        if found is not None:
            if found.user_id != user_id:
                raise ConversationOwnershipError("This conversation belongs to another user.")
            if found.dirty:
                await self._reset_if_dangling(found)
            return found
        record = await self.threads.get(conversation_id) if self.threads else None
        if record is not None and record.user_id != str(user_id):
            raise ConversationOwnershipError("This conversation belongs to another user.")
        session = await mount(
            self.settings,
            self.factory,
            user_id=user_id,
            channel=channel,
            conversation_id=conversation_id,
            extra=self.extra_servers,
        )
        try:
            profile = await read_profile(session, user_id)
            if self.threads is not None and record is None:
                record = ThreadRecord(conversation_id, str(user_id), new_thread_id(conversation_id))
                await self.threads.put(record)
        except BaseException:
            await session.aclose()
            raise
        session.observer = self.on_tool_call
        model = bind_model(self.model, session)
        conversation = Conversation(
            conversation_id, user_id, channel, session, profile, model, record
        )
        self.conversations[conversation_id] = conversation
        if self.graph is not None:
            await self._reset_if_dangling(conversation)
        return conversation

    async def close(self, conversation_id: str) -> None:
        """Close one conversation's MCP session."""
        conversation = self.conversations.pop(conversation_id, None)
        if conversation is not None:
            await conversation.session.aclose()

    async def run(self, conversation: Conversation, turn: Turn) -> None:
        """Answer ``turn`` within its budget; never raises for model, tool or budget failures."""
        if self.graph is None or conversation.model is None:
            await self._offline(conversation, turn)
        else:
            await self._think(conversation, turn, self.graph)
        if turn.transfer is None:
            await self._backstop(conversation, turn)
        stats = turn.stats
        conversation.last = TurnTimings(
            total=turn.deadline.elapsed(),
            model=stats.model_seconds,
            model_calls=stats.model_calls,
            tools=stats.tool_seconds,
            tool_calls=stats.tool_calls,
        )

    async def _think(self, conversation: Conversation, turn: Turn, graph: Graph) -> None:
        assert conversation.model is not None
        context = TurnContext(
            model=conversation.model,
            tools=conversation.session.by_name,
            profile=conversation.profile,
            tool_timeout=self.budgets.tool,
            emit=turn.say,
            stats=turn.stats,
            observe=self.on_tool_call,
        )
        failure: BaseException | None = None
        try:
            async with asyncio.timeout(max(0.0, self.budgets.thinking - turn.deadline.elapsed())):
                state = await graph.ainvoke(
                    conversation.turn_input(turn.text),
                    conversation.config(),
                    context=context,
                    durability="exit",
                )
            turn.transfer = state.get("transfer")
            if len(state.get("messages") or []) > HISTORY_LIMIT:
                await self._reset(conversation, None, reason="a long history", failure=False)
            return
        except (TimeoutError, BudgetExceeded) as exc:
            turn.timed_out, failure = True, exc
            logger.warning("Turn ran out of budget (%s)", type(exc).__name__)
        except Exception as exc:  # the model or a transport failed: fall back, never go silent
            failure = exc
            logger.warning("Turn failed: %s", type(exc).__name__, exc_info=exc)
        if turn.stats.tool_calls == 0 and offline.understands(turn.text):
            await self._offline(conversation, turn)
        else:
            turn.say(TIMED_OUT if turn.timed_out else FAILED)
        await self._reset(conversation, turn, reason=type(failure).__name__)

    async def _offline(self, conversation: Conversation, turn: Turn) -> None:
        try:
            async with asyncio.timeout(turn.deadline.remaining()):
                answer = await offline.answer(conversation.session, turn.text)
        except TimeoutError:
            turn.timed_out = True
            turn.say(TIMED_OUT)
            return
        except Exception as exc:  # a broken MCP session: apologise rather than go silent
            logger.warning("Offline answer failed: %s", type(exc).__name__, exc_info=exc)
            turn.say(FAILED)
            return
        turn.used_fallback = True
        turn.transfer = answer.transfer
        turn.say(answer.text)

    async def _backstop(self, conversation: Conversation, turn: Turn) -> None:
        """Transfer when the utterance plainly asks for a person and nothing transferred yet."""
        ask = detect_transfer(turn.text)
        remaining = min(turn.deadline.remaining(), self.budgets.tool)
        if ask is None or remaining <= 0:
            return
        arguments = {"department": ask.department, "reason": ask.reason}
        try:
            async with asyncio.timeout(remaining):
                reply = await conversation.session.call("transfer_to_agent", arguments)
        except Exception as exc:  # the transfer is best effort; the reply is already spoken
            logger.warning("Transfer backstop failed: %s", type(exc).__name__, exc_info=exc)
            return
        if reply.ok:
            logger.info("Transfer backstop fired")
            found = reply.data.get("transfer") or {}
            turn.transfer = {
                k: str(found.get(k) or "") for k in ("id", "department", "extension", "reason")
            }
            turn.say(reply.summary)

    async def _reset_if_dangling(self, conversation: Conversation) -> None:
        conversation.dirty = False
        assert self.graph is not None
        state = await self.graph.aget_state(conversation.config())
        if dangling(state.values.get("messages") or []):
            await self._reset(conversation, None, reason="an unfinished thread")

    async def _reset(
        self, conversation: Conversation, turn: Turn | None, *, reason: str, failure: bool = True
    ) -> None:
        """Move the conversation to a fresh thread carrying a summary of the old one.

        Failure resets are counted and logged as warnings; a long history rolls over quietly.
        """
        assert self.graph is not None and self.threads is not None
        assert conversation.record is not None
        state = await self.graph.aget_state(conversation.config())
        messages = state.values.get("messages") or []
        if turn is not None:
            messages = before_utterance(messages, turn.text)
        summary = summarize(
            messages,
            previous=conversation.record.summary,
            unfinished=turn.text if turn else None,
            done_in_turn=turn.stats.done if turn else (),
            reply=" ".join(turn.spoken) if turn else None,
        )
        record = replace(
            conversation.record,
            thread_id=new_thread_id(conversation.conversation_id),
            summary=summary,
            resets=conversation.record.resets + int(failure),
        )
        await self.threads.put(record)
        conversation.record = record
        if not failure:
            logger.debug("Rolled a long conversation over to a fresh thread")
            return
        self.resets += 1
        logger.warning(
            "Reset a conversation thread after %s (%d resets in it, %d in this process)",
            reason,
            record.resets,
            self.resets,
        )
