"""A local fake of the Anthropic Messages API: streaming SSE replies and scripted errors.

It speaks the real wire protocol (``POST /v1/messages`` with ``stream: true``), so the agent's
langchain-anthropic client runs unchanged against it on loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Reply:
    """One assistant message: text, then optional tool uses ``(name, input)``."""

    text: str = ""
    tools: tuple[tuple[str, dict[str, Any]], ...] = ()


@dataclass(frozen=True)
class Failure:
    """An HTTP error in Anthropic's error shape."""

    status: int = 500
    kind: str = "api_error"


@dataclass
class FakeAnthropic:
    """Replays ``script``; when it is empty, answers with ``default``. Records every request."""

    script: list[Reply | Failure] = field(default_factory=list)
    default: Reply | Failure = field(default_factory=lambda: Failure(500))
    requests: list[dict[str, Any]] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)
    url: str = ""

    async def messages(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.api_keys.append(request.headers.get("x-api-key") or bearer)
        step = self.script.pop(0) if self.script else self.default
        if isinstance(step, Failure):
            error = {"type": step.kind, "message": "The fake is failing on purpose."}
            return JSONResponse({"type": "error", "error": error}, status_code=step.status)
        assert body.get("stream") is True, "the agent must stream"
        events = _events(step, body.get("model", "claude"))
        return StreamingResponse(events, media_type="text/event-stream")


def _sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


async def _events(reply: Reply, model: str) -> AsyncIterator[str]:
    usage = {"input_tokens": 12, "output_tokens": 1}
    message = {
        "id": f"msg_{uuid.uuid4().hex[:12]}", "type": "message", "role": "assistant",
        "model": model, "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage,
    }  # fmt: skip
    yield _sse("message_start", {"type": "message_start", "message": message})
    index = 0
    if reply.text:
        block = {"type": "text", "text": ""}
        yield _sse("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": block})  # fmt: skip
        for word in reply.text.split(" "):
            delta = {"type": "text_delta", "text": word + " "}
            yield _sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": delta})  # fmt: skip
            await asyncio.sleep(0)
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        index = 1
    for offset, (name, arguments) in enumerate(reply.tools):
        at = index + offset
        block = {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:12]}", "name": name,
                 "input": {}}  # fmt: skip
        yield _sse("content_block_start", {"type": "content_block_start", "index": at,
                                           "content_block": block})  # fmt: skip
        delta = {"type": "input_json_delta", "partial_json": json.dumps(arguments)}
        yield _sse("content_block_delta", {"type": "content_block_delta", "index": at,
                                           "delta": delta})  # fmt: skip
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": at})
    stop = "tool_use" if reply.tools else "end_turn"
    yield _sse("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": stop, "stop_sequence": None},
                                 "usage": {"output_tokens": 20}})  # fmt: skip
    yield _sse("message_stop", {"type": "message_stop"})


@asynccontextmanager
async def serve(fake: FakeAnthropic) -> AsyncIterator[FakeAnthropic]:
    """Run ``fake`` on a free loopback port for the duration of the block."""
    app = Starlette(routes=[Route("/v1/messages", fake.messages, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)  # polling the fake's own start-up flag
        fake.url = f"http://127.0.0.1:{port}"
        yield fake
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()
