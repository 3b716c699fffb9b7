"""Build the Convonet MCP server and serve it over stdio or Streamable HTTP."""

from __future__ import annotations

import logging
import uuid

from fastmcp import FastMCP
from fastmcp.server.auth import AuthProvider
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp import __version__
from convonet_mcp.db import engine_from_settings, session_factory
from convonet_mcp.identity import BearerTokenVerifier, bearer_identity, stdio_user_id
from convonet_mcp.models import Channel
from convonet_mcp.settings import Settings
from convonet_mcp.tools import register_all
from convonet_mcp.tools._kit import IdentityResolver, Runtime, parse_toolsets

logger = logging.getLogger("convonet.server")

INSTRUCTIONS = """\
Convonet is a productivity assistant for teams: personal and team todos, reminders,
calendar events, and teams with roles (owner > admin > member > viewer). Every call acts
as the signed-in user; you never pass a user id for yourself.

How to start: call get_my_profile to learn who the user is, their timezone and teams,
or get_agenda for "what's on today?". Dates accept natural language ("tomorrow at 2pm",
"next Friday") or ISO 8601 and are read in the user's timezone. Teams are named by name
or id and people by email or name; when a name is ambiguous the error lists the
candidates: ask the user which one, never guess. List tools return a next_cursor; pass
it back to get the next page. When the user asks for a person, or you cannot help, call
transfer_to_agent. Results carry a short "summary" you can read aloud.
"""


def build_server(
    settings: Settings,
    *,
    factory: sessionmaker[Session],
    identity: IdentityResolver,
    channel: Channel = Channel.mcp,
    conversation_id: str | None = None,
    auth: AuthProvider | None = None,
) -> FastMCP:
    """Build a server whose every tool call acts as the user ``identity`` returns.

    Args:
        settings: Toolsets and read-only mode are taken from here.
        factory: Session factory over the Convonet database.
        identity: Returns the acting user's id at call time (fixed user, bearer token…).
        channel: Where calls come from, recorded on transfer requests.
        conversation_id: Call sid or browser session id, recorded on transfer requests.
        auth: The HTTP bearer-token verifier, when serving HTTP.
    """
    runtime = Runtime(
        factory=factory,
        identity=identity,
        channel=channel,
        conversation_id=conversation_id,
        toolsets=parse_toolsets(settings.toolsets),
        read_only=settings.read_only,
    )
    mcp = FastMCP(
        "Convonet",
        instructions=INSTRUCTIONS,
        version=__version__,
        mask_error_details=True,
        on_duplicate="error",
        auth=auth,
    )
    register_all(mcp, runtime)
    return mcp


def for_user(
    settings: Settings,
    factory: sessionmaker[Session],
    user_id: uuid.UUID,
    *,
    channel: Channel = Channel.mcp,
    conversation_id: str | None = None,
) -> FastMCP:
    """A server bound to one authenticated user (the voice app mounts one per conversation)."""
    return build_server(
        settings,
        factory=factory,
        identity=lambda: user_id,
        channel=channel,
        conversation_id=conversation_id,
    )


def run_stdio(settings: Settings) -> None:
    """Serve stdio as the configured local user; stdout carries only the protocol."""
    engine = engine_from_settings(settings)
    try:
        factory = session_factory(engine)
        user_id = stdio_user_id(factory, settings.user)
        server = for_user(settings, factory, user_id)
        server.run(transport="stdio", show_banner=False)
    finally:
        engine.dispose()


def run_http(settings: Settings, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve Streamable HTTP at ``/mcp``; each request acts as its bearer token's user."""
    engine = engine_from_settings(settings)
    try:
        factory = session_factory(engine)
        server = build_server(
            settings,
            factory=factory,
            identity=bearer_identity,
            auth=BearerTokenVerifier(factory),
        )
        if host not in {"127.0.0.1", "localhost", "::1"}:
            logger.warning("Serving MCP over HTTP on %s: put TLS in front of it.", host)
        server.run(
            transport="http",
            host=host,
            port=port,
            path="/mcp",
            show_banner=False,
            host_origin_protection="auto",
            allowed_origins=settings.http_allowed_origins,
        )
    finally:
        engine.dispose()
