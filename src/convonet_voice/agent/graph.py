"""The LangGraph graph: an assistant node (the chat model, tools bound) and a tool node.

The assistant streams its reply sentence by sentence to the turn's ``emit`` callback; the tool
node runs the model's tool calls through the conversation's MCP session, each under the tool
budget, and records a transfer when ``transfer_to_agent`` succeeds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict, cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
    message_chunk_to_message,
)
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import tools_condition
from langgraph.runtime import Runtime

from convonet_mcp.models import Channel
from convonet_voice.agent.budgets import ToolBudgetExceeded
from convonet_voice.agent.prompts import UserProfile, system_prompt, tool_summary
from convonet_voice.agent.sentences import SentenceSplitter

TRANSFER_TOOL = "transfer_to_agent"
RECURSION_LIMIT = 16  # about seven model ⇄ tool rounds per turn


class AgentState(TypedDict, total=False):
    """One conversation thread: messages, who acts, where, and a transfer if requested."""

    messages: Annotated[list[AnyMessage], add_messages]
    user_id: str
    channel: str
    conversation_id: str
    summary: str
    transfer: dict[str, str] | None


@dataclass
class TurnStats:
    """What one turn spent where, and what its finished tool calls did."""

    model_seconds: float = 0.0
    model_calls: int = 0
    tool_seconds: float = 0.0
    tool_calls: int = 0
    done: list[str] = field(default_factory=list)


@dataclass
class TurnContext:
    """Run-scoped context of one turn (never checkpointed)."""

    model: Runnable[LanguageModelInput, BaseMessage]
    tools: Mapping[str, BaseTool]
    profile: UserProfile
    tool_timeout: float
    emit: Callable[[str], None]
    stats: TurnStats = field(default_factory=TurnStats)
    observe: Callable[[str, dict[str, Any]], None] | None = None


async def assistant(state: AgentState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Ask the model, speaking each sentence as soon as it is complete."""
    ctx = runtime.context
    prompt = system_prompt(ctx.profile, Channel(state["channel"]), state.get("summary", ""))
    messages: list[BaseMessage] = [SystemMessage(prompt), *state["messages"]]
    splitter = SentenceSplitter()
    chunks: list[BaseMessage] = []
    started = time.perf_counter()
    ctx.stats.model_calls += 1
    try:
        async for chunk in ctx.model.astream(messages):
            chunks.append(chunk)
            for sentence in splitter.feed(chunk.text):
                ctx.emit(sentence)
    finally:
        ctx.stats.model_seconds += time.perf_counter() - started
    tail = splitter.flush()
    if tail:
        ctx.emit(tail)
    return {"messages": [_whole(chunks)]}


def _whole(chunks: list[BaseMessage]) -> BaseMessage:
    """Join streamed chunks into one message (a model that does not stream sends one)."""
    if not chunks:
        return AIMessage(content="")
    if all(isinstance(c, AIMessageChunk) for c in chunks):
        first, *rest = cast(list[AIMessageChunk], chunks)
        return message_chunk_to_message(add_ai_message_chunks(first, *rest) if rest else first)
    return chunks[-1]


def _transfer_of(message: ToolMessage) -> dict[str, str] | None:
    artifact = message.artifact if isinstance(message.artifact, dict) else {}
    content = artifact.get("structured_content") or {}
    found = content.get("transfer") if isinstance(content, dict) else None
    if not isinstance(found, dict):
        return None
    keys = ("id", "department", "extension", "reason")
    return {key: str(found.get(key) or "") for key in keys}


async def _run_tool(ctx: TurnContext, call: ToolCall) -> ToolMessage:
    tool = ctx.tools.get(call["name"])
    if tool is None:
        return ToolMessage(
            f'There is no tool named "{call["name"]}".',
            tool_call_id=call["id"] or "",
            name=call["name"],
            status="error",
        )
    if ctx.observe is not None:
        ctx.observe(call["name"], call["args"])
    started = time.perf_counter()
    ctx.stats.tool_calls += 1
    try:
        async with asyncio.timeout(ctx.tool_timeout):
            message = await tool.ainvoke({**call, "type": "tool_call"})
    except TimeoutError:
        raise ToolBudgetExceeded(call["name"], ctx.tool_timeout) from None
    finally:
        ctx.stats.tool_seconds += time.perf_counter() - started
    assert isinstance(message, ToolMessage)
    if message.status != "error":
        ctx.stats.done.append(tool_summary(message))
    return message


async def tools(state: AgentState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Run the last reply's tool calls concurrently through the MCP session."""
    ctx = runtime.context
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_run_tool(ctx, call)) for call in last.tool_calls]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    results = [task.result() for task in tasks]
    update: dict[str, Any] = {"messages": results}
    for message in results:
        if message.name == TRANSFER_TOOL and message.status != "error":
            update["transfer"] = _transfer_of(message)
    return update


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None,
) -> CompiledStateGraph[AgentState, TurnContext, AgentState, AgentState]:
    """Compile the assistant ⇄ tools loop over ``checkpointer``."""
    builder = StateGraph(AgentState, context_schema=TurnContext)
    builder.add_node("assistant", assistant)
    builder.add_node("tools", tools)
    builder.add_edge(START, "assistant")
    builder.add_conditional_edges("assistant", tools_condition, {"tools": "tools", END: END})
    builder.add_edge("tools", "assistant")
    return builder.compile(checkpointer=checkpointer)
