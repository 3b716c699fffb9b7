"""Helpers for driving the MCP server through a real fastmcp Client."""

from __future__ import annotations

from typing import Any

from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.models import Channel, User
from convonet_mcp.server import for_user
from convonet_mcp.settings import Settings


def server_for(
    factory: sessionmaker[Session],
    user: User,
    *,
    channel: Channel = Channel.mcp,
    conversation_id: str | None = None,
    **settings: Any,
) -> FastMCP:
    """A server bound to ``user``, as the voice app or stdio would build it."""
    return for_user(
        Settings(**settings), factory, user.id, channel=channel, conversation_id=conversation_id
    )


async def call(client: Client[Any], tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool and return its structured content (raises ToolError on a tool error)."""
    result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None, f"{tool} returned no structured content"
    assert isinstance(result.structured_content.get("summary"), str)
    return result.structured_content


async def error_of(client: Client[Any], tool: str, **arguments: Any) -> str:
    """Call a tool that must fail and return the error message the model would read."""
    try:
        await client.call_tool(tool, arguments)
    except ToolError as exc:
        return str(exc)
    raise AssertionError(f"{tool}({arguments}) succeeded but should have failed")
