"""The 38 MCP tools, grouped by domain; each a thin adapter over one service call."""

from __future__ import annotations

from fastmcp import FastMCP

from convonet_mcp.tools import calendar, people, reminders, teams, todos, transfer
from convonet_mcp.tools._kit import Runtime


def register_all(mcp: FastMCP, runtime: Runtime) -> None:
    """Register every enabled tool group on ``mcp``."""
    for module in (todos, teams, people, reminders, calendar, transfer):
        module.register(mcp, runtime)
