"""Helpers for the phone-line tests: Twilio-signed requests, a TwiML checker, a call driver.

Requests are signed with twilio's own RequestValidator, as Twilio signs them; every TwiML
answer is parsed with xml.etree and checked against the verbs, nouns and attributes
Twilio documents.
"""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio.to_thread
import httpx
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from convonet_mcp.auth.limits import FixedWindowLimit, MemoryCounterStore
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import Channel, User
from convonet_mcp.services.accounts import register_user
from convonet_mcp.services.transfers import request_transfer
from convonet_voice.agent.api import TransferIntent, TurnResult
from convonet_voice.api.deps import Services
from convonet_voice.sessions import SessionStore
from convonet_voice.settings import VoiceSettings
from convonet_voice.telephony.calls import Agent
from convonet_voice.telephony.routes import mount, open_telephony

ANN = "+14155550123"  # the test caller's registered number

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://voice.example.com"
TWILIO_NUMBER = "+14155550100"

# Verbs and nouns Twilio documents, with their attributes.
_GATHER_ATTRS = {
    "input", "action", "method", "timeout", "speechTimeout", "maxSpeechTime",
    "profanityFilter", "finishOnKey", "numDigits", "partialResultCallback",
    "partialResultCallbackMethod", "language", "hints", "bargeIn", "debug",
    "actionOnEmptyResult", "speechModel", "enhanced",
}  # fmt: skip
_RECORD_ATTRS = {
    "action", "method", "timeout", "finishOnKey", "maxLength", "playBeep", "trim",
    "recordingStatusCallback", "recordingStatusCallbackMethod",
    "recordingStatusCallbackEvent", "transcribe", "transcribeCallback",
}  # fmt: skip
_DIAL_ATTRS = {
    "action", "method", "timeout", "hangupOnStar", "timeLimit", "callerId", "record", "trim",
    "recordingStatusCallback", "recordingStatusCallbackMethod",
    "recordingStatusCallbackEvent", "answerOnBridge", "ringTone", "recordingTrack", "sequential",
    "referUrl", "referMethod",
}  # fmt: skip
_SIP_ATTRS = {
    "username", "password", "url", "method", "statusCallbackEvent", "statusCallback",
    "statusCallbackMethod", "machineDetection", "amdStatusCallback", "amdStatusCallbackMethod",
    "machineDetectionTimeout",
}  # fmt: skip
_VERBS = {"Say", "Gather", "Dial", "Record", "Redirect", "Hangup", "Pause", "Play"}
SCHEMA: dict[str, tuple[set[str], set[str], bool]] = {
    # name: (attributes, allowed children, needs text)
    "Response": (set(), _VERBS, False),
    "Say": ({"voice", "loop", "language"}, set(), True),
    "Play": ({"loop", "digits"}, set(), False),
    "Pause": ({"length"}, set(), False),
    "Gather": (_GATHER_ATTRS, {"Say", "Play", "Pause"}, False),
    "Record": (_RECORD_ATTRS, set(), False),
    "Dial": (_DIAL_ATTRS, {"Number", "Sip", "Client", "Conference", "Queue"}, False),
    "Sip": (_SIP_ATTRS, set(), True),
    "Redirect": ({"method"}, set(), True),
    "Hangup": (set(), set(), False),
}  # fmt: skip
_BOOLEAN = {"bargeIn", "actionOnEmptyResult", "answerOnBridge", "playBeep", "hangupOnStar"}
_URLS = {"action", "url", "statusCallback"}


def check_twiml(text: str) -> ET.Element:
    """Parse a TwiML document and assert it is valid TwiML; return its root."""
    root = ET.fromstring(text)
    assert root.tag == "Response", f"root is <{root.tag}>, not <Response>"
    _check(root)
    verbs = [child.tag for child in root]
    if "Hangup" in verbs:
        assert verbs.index("Hangup") == len(verbs) - 1, "nothing may follow <Hangup>"
    if "Redirect" in verbs:
        assert verbs.index("Redirect") == len(verbs) - 1, "nothing may follow <Redirect>"
    return root


def _check(node: ET.Element) -> None:
    assert node.tag in SCHEMA, f"<{node.tag}> is not a TwiML verb or noun"
    attributes, children, needs_text = SCHEMA[node.tag]
    unknown = set(node.attrib) - attributes
    assert not unknown, f"<{node.tag}> has unknown attributes {unknown}"
    for name, value in node.attrib.items():
        if name in _BOOLEAN:
            assert value in {"true", "false"}, f"{node.tag}.{name}={value!r}"
        if name == "method" or name.endswith("Method"):
            assert value in {"GET", "POST"}, f"{node.tag}.{name}={value!r}"
        if name in _URLS:
            assert value.startswith(("https://", "http://")), f"{node.tag}.{name}={value!r}"
    if node.tag == "Gather":
        assert node.get("input") in {"speech", "dtmf", "speech dtmf", "dtmf speech"}
        timeout = node.get("speechTimeout")
        assert timeout is None or timeout == "auto" or timeout.isdigit()
    if node.tag == "Redirect":
        assert (node.text or "").startswith(("https://", "http://"))
    if node.tag == "Sip":
        assert (node.text or "").startswith("sip:")
    if needs_text:
        assert (node.text or "").strip(), f"<{node.tag}> needs text"
    for child in node:
        assert child.tag in children, f"<{child.tag}> may not be inside <{node.tag}>"
        _check(child)


def spoken(root: ET.Element) -> str:
    """Everything the caller hears, in order, as one string."""
    return " ".join((n.text or "").strip() for n in root.iter("Say"))


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Sign a webhook the way Twilio does."""
    return str(RequestValidator(token).compute_signature(url, params))


def voice_settings(**overrides: Any) -> VoiceSettings:
    """Settings for a phone-line test: a public URL, an auth token and a PBX."""
    values: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "twilio_auth_token": AUTH_TOKEN,
        "pbx_sip_domain": "pbx.example.com",
        "pbx_sip_transport": "tcp",
        "pbx_sip_username": "convonet",
        "pbx_sip_password": "sip-secret",
        "pbx_caller_id": "+14155550199",
        "redis_url": None,
    }
    return VoiceSettings(**(values | overrides))


def build_app(
    settings: VoiceSettings,
    factory: sessionmaker[Session],
    secrets: Secrets,
    agent: Agent,
    *,
    sessions: SessionStore | None = None,
) -> Starlette:
    """A Starlette app with only the telephony webhooks, opened around a given agent.

    A given session store is closed with the app, on the app's event loop.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = MemoryCounterStore()
        services = Services(
            settings=settings,
            factory=factory,
            secrets=secrets,
            store=store,
            login_limit=FixedWindowLimit(
                store, kind="login", limit=10, window=timedelta(minutes=1)
            ),
        )
        try:
            async with open_telephony(services, agent=agent, sessions=sessions) as telephony:
                app.state.telephony = telephony
                yield
        finally:
            if sessions is not None:
                await sessions.aclose()

    return Starlette(routes=[mount()], lifespan=lifespan)


@dataclass
class Call:
    """One phone call driven through the webhooks, as Twilio would drive it."""

    client: TestClient
    caller: str
    sid: str = field(default_factory=lambda: f"CA{uuid.uuid4().hex}")
    base: str = PUBLIC_URL
    token: str = AUTH_TOKEN
    last: ET.Element | None = None

    def params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio posts with every voice webhook, plus ``extra``."""
        return {
            "AccountSid": "AC" + "0" * 32,
            "CallSid": self.sid,
            "From": self.caller,
            "To": TWILIO_NUMBER,
            "Caller": self.caller,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **extra,
        }

    def post_url(
        self, url: str, params: dict[str, str], *, idempotency: str | None = None
    ) -> httpx.Response:
        """POST a signed webhook to an absolute public URL; check and keep the TwiML."""
        parts = urlsplit(url)
        assert url.startswith(self.base), url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Twilio-Signature": sign(url, params, self.token)}
        headers["I-Twilio-Idempotency-Token"] = idempotency or uuid.uuid4().hex
        response = self.client.post(path, data=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        self.last = check_twiml(response.text)
        return response

    def post(self, path: str, **extra: str) -> ET.Element:
        """POST a webhook at ``path`` (under /convonet_todo/twilio) and return its TwiML."""
        self.post_url(f"{self.base}/convonet_todo/twilio/{path}", self.params(**extra))
        assert self.last is not None
        return self.last

    def answer(self, **extra: str) -> ET.Element:
        """Answer the last <Gather> with ``Digits`` or ``SpeechResult`` (nothing = silence)."""
        assert self.last is not None
        gathers = list(self.last.iter("Gather"))
        assert gathers, f"no <Gather> to answer in: {spoken(self.last)}"
        self.post_url(gathers[-1].attrib["action"], self.params(**extra))
        return self.last

    def follow(self) -> ET.Element:
        """Follow the trailing <Redirect> of the last answer."""
        assert self.last is not None
        redirect = self.last.find("Redirect")
        assert redirect is not None and redirect.text
        self.post_url(redirect.text, self.params())
        return self.last

    def keys(self, digits: str) -> ET.Element:
        """Type ``digits`` on the keypad (Twilio strips the finishing #)."""
        return self.answer(Digits=digits.rstrip("#"))

    def say(self, text: str) -> ET.Element:
        """Say ``text``."""
        return self.answer(SpeechResult=text, Confidence="0.92")

    def end(self, status: str = "completed", duration: int = 42) -> None:
        """Twilio's status callback for the end of the call."""
        self.post("status", CallStatus=status, CallDuration=str(duration))


def listens(root: ET.Element) -> bool:
    """True when the TwiML ends by listening for speech or keys."""
    return root.find("Gather") is not None


def hangs_up(root: ET.Element) -> bool:
    """True when the TwiML ends the call."""
    return root.find("Hangup") is not None


@contextmanager
def phone(app: Starlette) -> Iterator[TestClient]:
    """Run the app's lifespan around a test client that talks to it like Twilio."""
    with TestClient(app, base_url="http://10.0.0.5:8000") as client:
        yield client


def sip_headers(uri: str) -> dict[str, str]:
    """The X- headers a <Sip> URI asks Twilio to send."""
    return dict(parse_qsl(uri.partition("?")[2]))


PIN = "4071"


def add_caller(
    factory: sessionmaker[Session],
    secrets: Secrets,
    handle: str,
    *,
    phone: str | None,
    pin: str = PIN,
) -> User:
    """Register and commit an account with a voice PIN."""
    with factory() as session:
        user = register_user(
            session,
            email=f"{handle}@example.com",
            username=handle,
            first_name=handle.capitalize(),
            phone=phone,
            voice_pin=pin,
            secrets=secrets,
        )
        session.commit()
        return user


class EchoAgent:
    """A stand-in agent that repeats what it heard."""

    def __init__(self) -> None:
        self.turns: list[str] = []
        self.ended: list[str] = []

    async def turn(
        self, *, user_id: uuid.UUID, conversation_id: str, channel: Channel, text: str
    ) -> TurnResult:
        """Answer with the caller's words."""
        self.turns.append(text)
        return TurnResult(text=f"You said: {text}.", transfer=None)

    async def end(self, conversation_id: str) -> None:
        """Note the end of the conversation."""
        self.ended.append(conversation_id)

    async def aclose(self) -> None:
        """Nothing to release."""


class GatedAgent(EchoAgent):
    """An agent that runs late: it answers only once the test opens ``gate``."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = threading.Event()

    async def turn(
        self, *, user_id: uuid.UUID, conversation_id: str, channel: Channel, text: str
    ) -> TurnResult:
        """Wait for the gate (bounded), then answer."""
        self.started.set()
        opened = await anyio.to_thread.run_sync(self.gate.wait, 30)
        assert opened, "the test never let the late turn finish"
        return await super().turn(
            user_id=user_id, conversation_id=conversation_id, channel=channel, text=text
        )


class TransferAgent(EchoAgent):
    """An agent that puts every caller through to a department, as the transfer tool does."""

    def __init__(self, factory: sessionmaker[Session], department: str = "sales") -> None:
        super().__init__()
        self.factory = factory
        self.department = department

    async def turn(
        self, *, user_id: uuid.UUID, conversation_id: str, channel: Channel, text: str
    ) -> TurnResult:
        """Open a transfer request for the caller and ask to be transferred."""
        self.turns.append(text)
        with self.factory() as session:
            user = session.get(User, user_id)
            assert user is not None
            found = request_transfer(
                session, user, department=self.department, reason=text, channel=channel
            )
            session.commit()
            intent = TransferIntent(
                transfer_id=str(found.id),
                department=found.department.name,
                extension=found.extension,
                reason=text,
            )
        return TurnResult(text=f"Transferring you to {intent.department}.", transfer=intent)
