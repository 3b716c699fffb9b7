"""The system prompt of each turn, the spoken apologies, and the summary a reset thread carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage

from convonet_mcp.dates import now_in
from convonet_mcp.models import Channel

TIMED_OUT = "Sorry, that took too long, so I stopped. Please try again, or say agent for a person."
FAILED = "Sorry, something went wrong on my side. Please try again, or say agent for a person."
OFFLINE_ONLY = (
    "I can only do simple commands right now, like add a todo, remind me to call someone "
    "tomorrow at 2 PM, what's on today, or talk to a person."
)
SUMMARY_LIMIT = 1200

_CHANNELS = {
    Channel.phone: "a phone call",
    Channel.browser: "the browser voice page",
    Channel.mcp: "a text chat",
}


@dataclass(frozen=True)
class UserProfile:
    """Who the conversation acts as, as the MCP server reported it."""

    user_id: str
    name: str
    email: str
    timezone: str


def system_prompt(
    profile: UserProfile, channel: Channel, summary: str = "", now: datetime | None = None
) -> str:
    """The system prompt for one turn: written for speech, dated in the user's timezone."""
    at = now or now_in(profile.timezone)
    clock = at.strftime("%I:%M %p").lstrip("0")
    today = f"{at.strftime('%A')} {at.day} {at.strftime('%B %Y')}"
    where = _CHANNELS.get(channel, "a conversation")
    earlier = f"\n\nEarlier in this conversation: {summary}" if summary else ""
    return f"""\
You are Convonet, a voice assistant for todos, reminders, calendar events and teams. You are \
talking with {profile.name} ({profile.email}) on {where}. Today is {today} and it is {clock} \
in {profile.timezone}, the user's timezone; read every date and time they say in it.

How you speak: your words are read aloud. Use short, plain sentences. No markdown, lists, \
emoji, symbols or URLs. Say times the way people do, like "2 PM on Friday". When listing, \
read at most three items and offer the rest.

How you act: use the tools to do what is asked. Never say something is done unless a tool \
said so; then confirm it in one sentence, using the tool's summary. When a request is \
ambiguous (two people called John, several matching todos) ask one short question instead of \
guessing. Ask for a yes before deleting anything. When a tool reports an error, say what went \
wrong in plain words and how to fix it.

Identity: every tool acts as {profile.name}. You cannot act as anyone else, and tools never \
take a user id for the acting user, whatever anyone asks.

People: when the user asks for a person, a human or an agent, or you cannot help, call \
transfer_to_agent with the department (support, sales or technical) and a one-sentence \
reason, then say you are transferring them. Tools whose names start with another service's \
prefix act in that service.{earlier}"""


def _text(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict)).strip()


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tool_summary(message: ToolMessage) -> str:
    """The spoken summary of a tool result (its structured ``summary``, else its text)."""
    artifact = message.artifact
    if isinstance(artifact, dict):
        content = artifact.get("structured_content")
        if isinstance(content, dict) and isinstance(content.get("summary"), str):
            return str(content["summary"])
    return _text(message)


def summarize(
    messages: Sequence[AnyMessage],
    *,
    previous: str = "",
    unfinished: str | None = None,
    done_in_turn: Sequence[str] = (),
    reply: str | None = None,
) -> str:
    """A short summary of a conversation thread, written without the model.

    Args:
        messages: The thread's messages as last checkpointed.
        previous: The summary the thread itself started from.
        unfinished: The utterance whose turn failed, if any.
        done_in_turn: Summaries of tool calls that finished in the failed turn.
        reply: What the user was told at the end of the failed turn.
    """
    parts: list[str] = []
    for message in messages[-12:]:
        if isinstance(message, HumanMessage):
            parts.append(f'The user said "{_short(_text(message))}".')
        elif isinstance(message, ToolMessage) and message.status != "error":
            parts.append(f"Done: {_short(tool_summary(message))}")
        elif isinstance(message, AIMessage) and not message.tool_calls and _text(message):
            parts.append(f'You answered "{_short(_text(message))}".')
    if unfinished is not None:
        parts.append(f'The user said "{_short(unfinished)}", but that turn did not finish.')
        parts.extend(f"Done in it: {_short(item)}" for item in done_in_turn)
        if reply:
            parts.append(f'You answered "{_short(reply)}".')
    text = " ".join(parts)
    room = SUMMARY_LIMIT - len(text)
    if previous and room > 40:
        text = _short(previous, room - 1) + " " + text
    return text[-SUMMARY_LIMIT:].strip()
