"""Answer an utterance with the offline grammar, through the conversation's MCP session."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from convonet_voice.agent.grammar import Command, parse
from convonet_voice.agent.mcp_mount import McpSession, ToolReply
from convonet_voice.agent.prompts import OFFLINE_ONLY

logger = logging.getLogger("convonet.agent.offline")


@dataclass(frozen=True)
class OfflineAnswer:
    """What to say, whether the grammar understood, and a transfer if one was made."""

    text: str
    understood: bool
    transfer: dict[str, str] | None = None
    done: bool = False


def understands(text: str) -> bool:
    """True when the grammar would act on ``text``."""
    return parse(text) is not None


async def _complete_named(session: McpSession, text: str) -> ToolReply:
    """Complete the one open todo matching ``text``, or ask which one."""
    words = [w for w in text.split() if len(w) > 3]
    for query in [text, *sorted(words, key=len, reverse=True)[:1]]:
        found = await session.call("get_todos", {"text": query, "status": "open", "limit": 10})
        todos: list[dict[str, Any]] = found.data.get("todos", []) if found.ok else []
        exact = [t for t in todos if str(t["title"]).lower() == text.lower()]
        if len(exact) == 1 or len(todos) == 1:
            return await session.call("complete_todo", {"todo_id": (exact or todos)[0]["id"]})
        if todos:
            names = "; ".join(f'"{t["title"]}"' for t in todos[:3])
            return ToolReply(
                ok=False, summary=f"I found {len(todos)} open todos like that: {names}. Which one?"
            )
    return ToolReply(ok=False, summary=f'I could not find an open todo matching "{text}".')


async def run(session: McpSession, command: Command) -> ToolReply:
    """Carry out one parsed command."""
    if command.action == "say":
        return ToolReply(ok=False, summary=str(command.args["text"]))
    if command.action == "complete_todo_named":
        return await _complete_named(session, str(command.args["text"]))
    return await session.call(command.action, command.args)


async def answer(session: McpSession, text: str) -> OfflineAnswer:
    """Parse ``text`` and act on it; an honest "simple commands only" when not understood."""
    command = parse(text)
    if command is None:
        return OfflineAnswer(text=OFFLINE_ONLY, understood=False)
    reply = await run(session, command)
    transfer = None
    if command.action == "transfer_to_agent" and reply.ok:
        found = reply.data.get("transfer") or {}
        transfer = {k: str(found.get(k) or "") for k in ("id", "department", "extension", "reason")}
    logger.debug("Offline grammar ran %s (ok=%s)", command.action, reply.ok)
    return OfflineAnswer(text=reply.summary, understood=True, transfer=transfer, done=reply.ok)
