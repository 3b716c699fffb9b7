"""Every webhook checks X-Twilio-Signature against the public URL and all posted parameters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import CallRecording
from twilio_helpers import (
    AUTH_TOKEN,
    PUBLIC_URL,
    Call,
    EchoAgent,
    build_app,
    check_twiml,
    phone,
    sign,
    voice_settings,
)

PATHS = ["call", "verify_pin", "process_audio", "transfer", "transfer_callback", "status"]


@pytest.fixture
def client(factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = build_app(voice_settings(), factory, Secrets.generate(), EchoAgent())
    with phone(app) as test_client:
        yield test_client


def params(call_sid: str = "CA0123456789abcdef0123456789abcdef") -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "From": "+14155550123",
        "To": "+14155550100",
        "CallStatus": "completed",
        "CallDuration": "12",
    }


def records(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(CallRecording)) or 0)


@pytest.mark.parametrize("path", PATHS)
def test_a_webhook_without_a_signature_is_refused_and_touches_nothing(
    client: TestClient, factory: sessionmaker[Session], path: str
) -> None:
    response = client.post(f"/convonet_todo/twilio/{path}", data=params())
    assert response.status_code == 403
    assert records(factory) == 0


@pytest.mark.parametrize("path", PATHS)
def test_a_signature_made_with_another_token_is_refused(
    client: TestClient, factory: sessionmaker[Session], path: str
) -> None:
    url = f"{PUBLIC_URL}/convonet_todo/twilio/{path}"
    forged = sign(url, params(), token="not-the-auth-token")
    response = client.post(
        f"/convonet_todo/twilio/{path}", data=params(), headers={"X-Twilio-Signature": forged}
    )
    assert response.status_code == 403
    assert records(factory) == 0


def test_a_tampered_parameter_breaks_the_signature(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    url = f"{PUBLIC_URL}/convonet_todo/twilio/call"
    good = sign(url, params())
    tampered = params() | {"From": "+14155550999"}
    response = client.post(
        "/convonet_todo/twilio/call", data=tampered, headers={"X-Twilio-Signature": good}
    )
    assert response.status_code == 403
    extra = params() | {"Digits": "1234"}
    response = client.post(
        "/convonet_todo/twilio/call", data=extra, headers={"X-Twilio-Signature": good}
    )
    assert response.status_code == 403
    assert records(factory) == 0


def test_a_tampered_query_string_breaks_the_signature(client: TestClient) -> None:
    url = f"{PUBLIC_URL}/convonet_todo/twilio/transfer_callback?transfer_id=a"
    good = sign(url, params())
    response = client.post(
        "/convonet_todo/twilio/transfer_callback?transfer_id=b",
        data=params(),
        headers={"X-Twilio-Signature": good},
    )
    assert response.status_code == 403


def test_a_signature_over_the_public_url_is_accepted_behind_a_proxy(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    # The app is reached at http://10.0.0.5:8000 (the proxy's upstream); Twilio signed
    # the public https URL, which is what the app checks against.
    assert str(client.base_url) != PUBLIC_URL
    call = Call(client, caller="+14155550123")
    root = call.post("call")
    assert root.find("Gather") is not None
    assert records(factory) == 1

    internal = sign("http://10.0.0.5:8000/convonet_todo/twilio/call", params("CA2"))
    response = client.post(
        "/convonet_todo/twilio/call", data=params("CA2"), headers={"X-Twilio-Signature": internal}
    )
    assert response.status_code == 403


def test_the_signature_also_holds_with_the_default_port_in_the_public_url(
    client: TestClient,
) -> None:
    url = f"{PUBLIC_URL}:443/convonet_todo/twilio/call"
    response = client.post(
        "/convonet_todo/twilio/call",
        data=params(),
        headers={"X-Twilio-Signature": sign(url, params())},
    )
    assert response.status_code == 200
    check_twiml(response.text)


def test_without_an_auth_token_every_webhook_is_refused(factory: sessionmaker[Session]) -> None:
    app = build_app(
        voice_settings(twilio_auth_token=None), factory, Secrets.generate(), EchoAgent()
    )
    with phone(app) as client:
        url = f"{PUBLIC_URL}/convonet_todo/twilio/call"
        response = client.post(
            "/convonet_todo/twilio/call",
            data=params(),
            headers={"X-Twilio-Signature": sign(url, params(), AUTH_TOKEN)},
        )
    assert response.status_code == 403
    assert records(factory) == 0
