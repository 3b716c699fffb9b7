"""Convonet MCP server: todos, reminders, calendar events and teams for any MCP host."""

__version__ = "0.1.0"
