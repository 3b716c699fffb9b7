"""Mount MCP servers for one conversation: Convonet itself plus any extra servers configured.

Convonet is reached in process (a FastMCP server bound to the authenticated user) or, when
``CONVONET_MCP_URL`` is set, over Streamable HTTP with ``CONVONET_MCP_TOKEN``. Extra servers
come from a standard ``mcpServers`` JSON file (``CONVONET_MCP_SERVERS_FILE``); their tools are
named ``<server>_<tool>``. Every session stays open for the whole conversation.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.group import ClientGroup
from fastmcp.mcp_config import MCPConfig, StdioMCPServer
from langchain_core._api import suppress_langchain_beta_warning
from langchain_core.tools import BaseTool
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.models import Channel
from convonet_mcp.server import for_user
from convonet_voice.settings import VoiceSettings

with suppress_langchain_beta_warning():
    from langchain.mcp import MCPAdapter

logger = logging.getLogger("convonet.agent.mcp")

ToolObserver = Callable[[str, dict[str, Any]], None]
"""Told of every tool call (name, arguments) as it starts; the text client shows them."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,23}$")


class MountError(RuntimeError):
    """The MCP configuration is unusable (bad file, bad server name, name clash)."""


@dataclass(frozen=True)
class ToolReply:
    """A tool's answer as the offline grammar and the transfer backstop read it."""

    ok: bool
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def load_mcp_servers(path: str | Path | None) -> MCPConfig | None:
    """Read a standard ``{"mcpServers": {...}}`` file; None when no file is configured.

    Raises:
        MountError: the file is missing, not JSON, or names a server badly.
    """
    if not path:
        return None
    file = Path(path).expanduser()
    try:
        config = MCPConfig.from_dict(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise MountError(f"Cannot read the MCP servers file {file}: {exc}") from exc
    for name, server in config.mcpServers.items():
        if isinstance(server, StdioMCPServer) and server.keep_alive is None:
            server.keep_alive = False  # a conversation's subprocess ends with the conversation
        if not _NAME.match(name):
            raise MountError(
                f'MCP server name "{name}" must be a letter then up to 23 letters, digits or '
                "hyphens: it becomes the prefix of its tools' names."
            )
    return config if config.mcpServers else None


class McpSession:
    """The open MCP sessions of one conversation and the LangChain tools over them."""

    def __init__(self, stack: AsyncExitStack, convonet: Client[Any], tools: list[BaseTool]):
        self._stack = stack
        self.convonet = convonet
        self.tools = tools
        self.by_name = {tool.name: tool for tool in tools}
        self.observer: ToolObserver | None = None

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolReply:
        """Call a Convonet tool through this conversation's session."""
        if self.observer is not None:
            self.observer(name, arguments)
        result = await self.convonet.call_tool(name, arguments, raise_on_error=False)
        data = result.structured_content or {}
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content).strip()
            return ToolReply(ok=False, summary=text or "That did not work.")
        return ToolReply(ok=True, summary=str(data.get("summary", "Done.")), data=data)

    async def aclose(self) -> None:
        """Close every session of the conversation."""
        await self._stack.aclose()


def convonet_client(
    settings: VoiceSettings,
    factory: sessionmaker[Session],
    user_id: uuid.UUID,
    channel: Channel,
    conversation_id: str,
) -> Client[Any]:
    """A client for Convonet: in process and bound to ``user_id``, or remote with the token."""
    if settings.mcp_url:
        token = settings.mcp_token.get_secret_value() if settings.mcp_token else None
        return Client(settings.mcp_url, auth=token)
    server = for_user(settings, factory, user_id, channel=channel, conversation_id=conversation_id)
    return Client(server)


async def mount(
    settings: VoiceSettings,
    factory: sessionmaker[Session],
    *,
    user_id: uuid.UUID,
    channel: Channel,
    conversation_id: str,
    extra: MCPConfig | None = None,
) -> McpSession:
    """Open the conversation's MCP sessions and adapt their tools for LangChain.

    Raises:
        MountError: an extra server's tool name clashes with a Convonet tool.
    """
    stack = AsyncExitStack()
    try:
        client = convonet_client(settings, factory, user_id, channel, conversation_id)
        adapter = await stack.enter_async_context(MCPAdapter(client))
        tools = await adapter.list_tools()
        convonet = adapter.client
        assert isinstance(convonet, Client)
        if extra is not None and extra.mcpServers:
            group = await stack.enter_async_context(MCPAdapter(ClientGroup.from_config(extra)))
            extra_tools = await group.list_tools()
            clash = {t.name for t in tools} & {t.name for t in extra_tools}
            if clash:
                raise MountError(f"Extra MCP tools clash with Convonet's: {sorted(clash)}")
            tools += extra_tools
        logger.debug("Mounted %d MCP tools", len(tools))
        return McpSession(stack, convonet, tools)
    except BaseException:
        await stack.aclose()
        raise
