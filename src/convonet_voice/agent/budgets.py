"""Time budgets of a turn: each tool call, the whole turn, and the reserve for a spoken fallback."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from convonet_voice.settings import VoiceSettings

# Share of the turn budget kept back so a fallback answer or apology still fits in it.
FALLBACK_SHARE = 0.25
FALLBACK_CAP = 2.0


class BudgetExceeded(Exception):
    """A budget ran out; the turn ends with a short spoken apology."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"The {what} budget of {seconds:g} s ran out.")
        self.what = what
        self.seconds = seconds


class ToolBudgetExceeded(BudgetExceeded):
    """One tool call took longer than its budget."""

    def __init__(self, tool: str, seconds: float) -> None:
        super().__init__("tool", seconds)
        self.tool = tool


@dataclass(frozen=True)
class Budgets:
    """Per tool call and per turn budgets, in seconds."""

    tool: float = 8.0
    turn: float = 10.0

    @classmethod
    def from_settings(cls, settings: VoiceSettings) -> Budgets:
        """Read ``CONVONET_TOOL_TIMEOUT`` and ``CONVONET_TURN_TIMEOUT``."""
        return cls(tool=settings.tool_timeout, turn=settings.turn_timeout)

    @property
    def reserve(self) -> float:
        """Seconds of the turn kept for the offline fallback or the apology."""
        return min(FALLBACK_CAP, self.turn * FALLBACK_SHARE)

    @property
    def thinking(self) -> float:
        """Seconds the model and its tool calls may use before the fallback takes over."""
        return self.turn - self.reserve


class Deadline:
    """The end of one turn's budget on the running loop's clock."""

    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self.started = self._loop.time()
        self.at = self.started + seconds

    def remaining(self) -> float:
        """Seconds left, never below zero."""
        return max(0.0, self.at - self._loop.time())

    def elapsed(self) -> float:
        """Seconds since the turn started."""
        return self._loop.time() - self.started
