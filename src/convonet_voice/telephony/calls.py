"""Per-call state in the session store, and the services the telephony webhooks share."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from convonet_mcp.auth.limits import CounterStore
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.db import transaction
from convonet_mcp.models import Channel
from convonet_voice.sessions import SessionStore, get_json, set_json
from convonet_voice.settings import VoiceSettings

if TYPE_CHECKING:
    from convonet_voice.agent.api import TurnResult

logger = logging.getLogger("convonet.telephony")

T = TypeVar("T")

CALL_TTL = 4 * 60 * 60.0  # seconds a call's state outlives its last webhook
MAX_PIN_TRIES = 3
MAX_SILENCES = 2


class Agent(Protocol):
    """The part of ``ConversationAgent`` the phone line uses."""

    async def turn(
        self, *, user_id: uuid.UUID, conversation_id: str, channel: Channel, text: str
    ) -> TurnResult:
        """Answer one utterance of a conversation."""
        ...

    async def end(self, conversation_id: str) -> None:
        """Forget a finished conversation."""
        ...


class Stage(StrEnum):
    """Where a call is in its life."""

    identify = "identify"  # asking an unknown number for the account's phone or digits
    pin = "pin"  # asking for the PIN
    talk = "talk"  # signed in, talking to the assistant
    ended = "ended"


@dataclass
class CallState:
    """What the app remembers about one call between webhooks (never the PIN)."""

    stage: Stage = Stage.identify
    candidate_id: str | None = None  # the account the PIN is checked against, if any
    user_id: str | None = None  # set once the PIN was right
    silences: int = 0
    holds: int = 0
    transfer_id: str | None = None
    first_name: str = ""
    hints: list[str] = field(default_factory=list)  # speech hints, refreshed every turn
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallState:
        """Rebuild a state stored with :meth:`to_json`."""
        state = cls(**{**data, "stage": Stage(data["stage"])})
        state.transcript = [(role, text) for role, text in data.get("transcript", [])]
        return state

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)

    @property
    def user_uuid(self) -> uuid.UUID | None:
        """The signed-in user's id."""
        return uuid.UUID(self.user_id) if self.user_id else None


@dataclass
class Telephony:
    """Services shared by every webhook of one app: opened by the app's lifespan."""

    settings: VoiceSettings
    factory: sessionmaker[Session]
    secrets: Secrets
    limits: CounterStore
    sessions: SessionStore
    agent: Agent
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a committed transaction on a worker thread."""

        def run() -> T:
            with transaction(self.factory) as session:
                return work(session)

        return await run_in_threadpool(run)

    async def load(self, call_sid: str) -> CallState | None:
        """Return the call's state, or None for a call the app has not seen."""
        data = await get_json(self.sessions, f"call:{call_sid}")
        return CallState.from_json(data) if data else None

    async def save(self, call_sid: str, state: CallState) -> None:
        """Store the call's state for ``CALL_TTL`` seconds."""
        await set_json(self.sessions, f"call:{call_sid}", state.to_json(), ttl=CALL_TTL)

    async def forget(self, call_sid: str) -> None:
        """Drop everything kept about a call."""
        await self.sessions.delete(f"call:{call_sid}", f"pin-tries:{call_sid}")

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        """Run ``coro`` in the background, keeping a reference until it finishes."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def aclose(self) -> None:
        """Cancel turns still running in the background."""
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
