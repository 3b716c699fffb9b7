"""``convonet-mcp serve``: stdio (default) or Streamable HTTP with bearer tokens."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from convonet_mcp.cli_common import settings_of


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    transport: Annotated[
        Transport, typer.Option(help="stdio, or http (Streamable HTTP at /mcp).")
    ] = Transport.stdio,
    host: Annotated[
        str, typer.Option(help="HTTP bind address (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8765,
) -> None:
    """Serve MCP. HTTP requires `Authorization: Bearer <token>` from `convonet-mcp token create`."""
    from convonet_mcp import server

    settings = settings_of(ctx)
    if transport is Transport.stdio:
        server.run_stdio(settings)
    else:
        server.run_http(settings, host=host, port=port)
