"""Logging to standard error only: standard output belongs to the MCP stdio transport."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that are chatty at INFO; they only speak up at WARNING unless we debug.
_QUIET = ("alembic.runtime.migration", "httpx", "httpcore", "sse_starlette", "uvicorn.access")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that always writes to the *current* ``sys.stderr``.

    Test runners swap ``sys.stderr``; resolving it at emit time means a handler
    installed during one invocation never writes to a stream that was closed since.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` to whatever ``sys.stderr`` is now."""
        self.stream = sys.stderr
        super().emit(record)


def parse_level(level: str | int) -> int:
    """Turn ``"info"``, ``"DEBUG"``, ``20`` … into a logging level number.

    Raises:
        ValueError: the name is not a logging level.
    """
    if isinstance(level, int):
        return level
    value = logging.getLevelName(level.strip().upper())
    if not isinstance(value, int):
        raise ValueError(f'Unknown log level "{level}" (use DEBUG, INFO, WARNING or ERROR).')
    return value


def configure_logging(level: str | int = "INFO") -> None:
    """Send every log record at ``level`` or above to standard error.

    Safe to call more than once: the previous Convonet handler is replaced, and
    handlers installed by others (such as a test runner's) are left alone.

    Args:
        level: a level name (case-insensitive) or number.
    """
    number = parse_level(level)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, StderrHandler):
            root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(number)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))
