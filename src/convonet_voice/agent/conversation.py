"""One open conversation: its MCP session, who it acts as, its model and its current thread."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable, RunnableConfig

from convonet_mcp.models import Channel
from convonet_voice.agent.checkpoints import ThreadRecord
from convonet_voice.agent.graph import RECURSION_LIMIT, AgentState
from convonet_voice.agent.mcp_mount import McpSession
from convonet_voice.agent.prompts import UserProfile


class ConversationOwnershipError(PermissionError):
    """The conversation belongs to another user; nobody can take it over."""


@dataclass(frozen=True)
class TurnTimings:
    """Where one turn's time went, in seconds (model and tool time as measured around calls)."""

    total: float
    model: float
    model_calls: int
    tools: float
    tool_calls: int


@dataclass
class Conversation:
    """The live state of one conversation, kept between its turns."""

    conversation_id: str
    user_id: uuid.UUID
    channel: Channel
    session: McpSession
    profile: UserProfile
    model: Runnable[LanguageModelInput, BaseMessage] | None
    record: ThreadRecord | None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dirty: bool = False
    last: TurnTimings | None = None

    def config(self) -> RunnableConfig:
        """The graph config addressing this conversation's current thread."""
        assert self.record is not None
        return {
            "configurable": {"thread_id": self.record.thread_id},
            "recursion_limit": RECURSION_LIMIT,
        }

    def turn_input(self, text: str) -> AgentState:
        """The graph input of one user utterance."""
        return {
            "messages": [HumanMessage(text)],
            "user_id": str(self.user_id),
            "channel": self.channel.value,
            "conversation_id": self.conversation_id,
            "summary": self.record.summary if self.record else "",
            "transfer": None,
        }


def new_thread_id(conversation_id: str) -> str:
    """A fresh, timestamped thread id for ``conversation_id``."""
    return f"{conversation_id}:{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"


def bind_model(
    model: BaseChatModel | None, session: McpSession
) -> Runnable[LanguageModelInput, BaseMessage] | None:
    """The chat model with this conversation's tools bound, or None without a model."""
    return model.bind_tools(session.tools) if model is not None else None


async def read_profile(session: McpSession, user_id: uuid.UUID) -> UserProfile:
    """Ask the MCP server who it acts as, and check it is ``user_id``.

    Raises:
        ConversationOwnershipError: the server acts as somebody else (a remote token of
            another user), so the conversation must not run.
        RuntimeError: the profile could not be read (the account is inactive, the server
            failed).
    """
    reply = await session.call("get_my_profile", {})
    if not reply.ok:
        raise RuntimeError(f"Could not read the user's profile: {reply.summary}")
    me = reply.data.get("me") or {}
    if str(me.get("id")) != str(user_id):
        raise ConversationOwnershipError("The MCP server does not act as this conversation's user.")
    return UserProfile(
        user_id=str(user_id),
        name=str(me.get("name") or me.get("email")),
        email=str(me.get("email")),
        timezone=str(reply.data.get("timezone") or "UTC"),
    )


def dangling(messages: list[AnyMessage]) -> bool:
    """True when a thread stopped mid-turn: anything but a final answer comes last."""
    if not messages:
        return False
    last = messages[-1]
    return not (isinstance(last, AIMessage) and not last.tool_calls)


def before_utterance(messages: list[AnyMessage], text: str) -> list[AnyMessage]:
    """The messages before the last ``text`` utterance (a failed turn's own messages dropped)."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, HumanMessage):
            return messages[:index] if message.content == text else messages
    return messages
