"""A scripted LangChain chat model that emits real tool calls, with no network.

Each model call takes the next step of the script: an ``AIMessage`` (text and/or tool calls),
a function of the messages the model was sent, ``HANG`` (never answers) or an exception to
raise. When the script is empty, ``policy`` answers. Replies stream word by word so the agent's
sentence streaming is exercised. ``latency`` simulates time to first token.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

HANG = object()
Step = AIMessage | Callable[[list[BaseMessage]], AIMessage] | BaseException | object


@dataclass(frozen=True)
class Gate:
    """A reply that streams ``first``, waits for ``event``, then streams ``rest``."""

    first: str
    event: asyncio.Event
    rest: AIMessage


def call(tool: str, /, **arguments: Any) -> AIMessage:
    """A reply that calls one tool."""
    return calls((tool, arguments))


def calls(*wanted: tuple[str, dict[str, Any]], text: str = "") -> AIMessage:
    """A reply that calls several tools at once (optionally saying ``text`` first)."""
    tool_calls = [
        {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}
        for name, args in wanted
    ]
    return AIMessage(content=text, tool_calls=tool_calls)


def say(text: str) -> AIMessage:
    """A final spoken answer."""
    return AIMessage(content=text)


def last_tool_text(messages: Sequence[BaseMessage]) -> str:
    """The summary (or error text) of the most recent tool result."""
    for message in reversed(messages):
        if isinstance(message, ToolMessage):
            artifact = message.artifact or {}
            summary = (artifact.get("structured_content") or {}).get("summary")
            if summary:
                return str(summary)
            content = message.content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content)
    return ""


def confirm(messages: list[BaseMessage]) -> AIMessage:
    """A final answer that reads the last tool result aloud, as Claude would."""
    return say(last_tool_text(messages) or "Done.")


class ScriptedChatModel(BaseChatModel):
    """Replays a script of replies; records what it was sent and which tools were bound."""

    latency: float = 0.0
    _script: list[Step] = PrivateAttr(default_factory=list)
    _policy: Callable[[list[BaseMessage]], AIMessage] | None = PrivateAttr(default=None)
    _seen: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _bound: list[str] = PrivateAttr(default_factory=list)

    def __init__(
        self,
        script: Sequence[Step] = (),
        *,
        policy: Callable[[list[BaseMessage]], AIMessage] | None = None,
        latency: float = 0.0,
    ) -> None:
        super().__init__(latency=latency)
        self._script = list(script)
        self._policy = policy

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def seen(self) -> list[list[BaseMessage]]:
        """The messages of every call, in order."""
        return self._seen

    @property
    def bound_tools(self) -> list[str]:
        """Names of the tools bound most recently."""
        return self._bound

    @property
    def remaining(self) -> int:
        """Steps of the script not used yet."""
        return len(self._script)

    def extend(self, *steps: Step) -> None:
        """Append steps to the script."""
        self._script.extend(steps)

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self._bound = [convert_to_openai_tool(tool)["function"]["name"] for tool in tools]
        return self.bind(tools=list(self._bound), **kwargs)

    def _next(self, messages: list[BaseMessage], tools: list[str] | None) -> Any:
        self._seen.append(list(messages))
        if self._script:
            step = self._script.pop(0)
        elif self._policy is not None:
            step = self._policy
        else:
            raise AssertionError("The scripted model ran out of steps")
        if callable(step) and not isinstance(step, (BaseException, Gate)):
            step = step(messages)
        if isinstance(step, AIMessage) and tools is not None:
            unknown = {c["name"] for c in step.tool_calls} - set(tools)
            assert not unknown, f"script calls tools that were not bound: {unknown}"
        return step

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        step = self._next(messages, kwargs.get("tools"))
        if isinstance(step, BaseException):
            raise step
        assert isinstance(step, AIMessage)
        return ChatResult(generations=[ChatGeneration(message=step)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        raise NotImplementedError("the agent streams asynchronously")

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        step = self._next(messages, kwargs.get("tools"))
        if self.latency:
            await asyncio.sleep(self.latency)  # simulated time to first token
        if step is HANG:
            await asyncio.Event().wait()  # a model that never answers
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, Gate):
            yield ChatGenerationChunk(message=AIMessageChunk(content=step.first))
            await step.event.wait()  # bounded by the agent's turn budget
            step = step.rest
        assert isinstance(step, AIMessage)
        text = step.content if isinstance(step.content, str) else ""
        for index, word in enumerate(text.split(" ")):
            piece = word if index == 0 else " " + word
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        chunks = [
            {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
            for i, c in enumerate(step.tool_calls)
        ]
        if chunks:
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
