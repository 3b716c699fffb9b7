"""``convonet-voice twilio configure`` against a local fake of Twilio's IncomingPhoneNumbers API."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from convonet_voice.cli import app

SID = "AC" + "1" * 32
TOKEN = "fake-auth-token-for-the-fake-api"
NUMBER = "+14155550100"
NUMBER_SID = "PN" + "2" * 32
_ONE = re.compile(rf"^/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/(PN\w+)\.json$")
_LIST = f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json"


@dataclass
class FakeTwilio:
    """The numbers of one account, and every request the fake received."""

    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    url: str = ""


def _resource(sid: str, number: str) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": SID,
        "phone_number": number,
        "friendly_name": number,
        "voice_url": "https://old.example.com/voice",
        "voice_method": "GET",
        "status_callback": "",
        "status_callback_method": "POST",
        "uri": f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/{sid}.json",
    }


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return True
            self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return False

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.requests.append(("GET", parts.path, query))
            if not self._authorised():
                return
            if parts.path != _LIST:
                self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
                return
            wanted = query.get("PhoneNumber", [None])[0]
            found = [n for n in fake.numbers.values() if wanted in (None, n["phone_number"])]
            self._reply(
                200,
                {
                    "incoming_phone_numbers": found,
                    "uri": _LIST,
                    "first_page_uri": _LIST,
                    "next_page_uri": None,
                    "previous_page_uri": None,
                    "page": 0,
                    "page_size": 50,
                    "start": 0,
                    "end": len(found),
                },
            )

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            fake.requests.append(("POST", parts.path, form))
            if not self._authorised():
                return
            matched = _ONE.match(parts.path)
            if matched is None or matched[1] not in fake.numbers:
                self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
                return
            number = fake.numbers[matched[1]]
            names = {
                "VoiceUrl": "voice_url",
                "VoiceMethod": "voice_method",
                "StatusCallback": "status_callback",
                "StatusCallbackMethod": "status_callback_method",
            }
            for name, key in names.items():
                if name in form:
                    number[key] = form[name][0]
            self._reply(200, number)

    return Handler


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on loopback holding one number."""
    fake = FakeTwilio(numbers={NUMBER_SID: _resource(NUMBER_SID, NUMBER)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def env(fake: FakeTwilio, **overrides: str) -> dict[str, str]:
    values = {
        "CONVONET_TWILIO_ACCOUNT_SID": SID,
        "CONVONET_TWILIO_AUTH_TOKEN": TOKEN,
        "CONVONET_TWILIO_API_BASE": fake.url,
        "CONVONET_PUBLIC_URL": "https://voice.example.com/",
    }
    return values | overrides


def test_configure_points_the_numbers_voice_webhooks_at_the_public_url(
    twilio_api: FakeTwilio,
) -> None:
    result = CliRunner().invoke(
        app, ["twilio", "configure", "--number", NUMBER], env=env(twilio_api)
    )
    assert result.exit_code == 0, result.output
    assert "https://voice.example.com/convonet_todo/twilio/call" in result.output
    number = twilio_api.numbers[NUMBER_SID]
    assert number["voice_url"] == "https://voice.example.com/convonet_todo/twilio/call"
    assert number["voice_method"] == "POST"
    assert number["status_callback"] == "https://voice.example.com/convonet_todo/twilio/status"
    lookup, update = twilio_api.requests
    assert lookup[0] == "GET" and lookup[2]["PhoneNumber"] == [NUMBER]
    assert update[0] == "POST" and update[1].endswith(f"/{NUMBER_SID}.json")


def test_configure_reports_a_number_the_account_does_not_have(twilio_api: FakeTwilio) -> None:
    result = CliRunner().invoke(
        app, ["twilio", "configure", "--number", "+14155550999"], env=env(twilio_api)
    )
    assert result.exit_code == 1
    assert "has no number +14155550999" in result.output
    assert [r[0] for r in twilio_api.requests] == ["GET"]


def test_configure_reports_a_refused_login_without_showing_the_token(
    twilio_api: FakeTwilio,
) -> None:
    wrong = env(twilio_api, CONVONET_TWILIO_AUTH_TOKEN="not-the-right-token-at-all")
    result = CliRunner().invoke(app, ["twilio", "configure", "--number", NUMBER], env=wrong)
    assert result.exit_code == 1
    assert "Twilio refused" in result.output
    assert "not-the-right-token" not in result.output
    assert twilio_api.numbers[NUMBER_SID]["voice_url"] == "https://old.example.com/voice"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("CONVONET_PUBLIC_URL", "CONVONET_PUBLIC_URL"),
        ("CONVONET_TWILIO_AUTH_TOKEN", "CONVONET_TWILIO_AUTH_TOKEN"),
    ],
)
def test_configure_names_the_missing_setting_and_calls_nothing(
    twilio_api: FakeTwilio, missing: str, message: str
) -> None:
    values = env(twilio_api)
    del values[missing]
    result = CliRunner().invoke(
        app, ["twilio", "configure", "--number", NUMBER], env=values | {missing: ""}
    )
    assert result.exit_code == 1
    assert message in result.output
    assert twilio_api.requests == []
