"""Bad tokens over HTTP: every forged, stale, misdirected or replayed JWT is a 401."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest

from api_helpers import ApiClient, bearer, error_of, running_app
from convonet_mcp.auth.jwt import ALGORITHM, AUDIENCE, ISSUER

PROFILE = "/api/auth/profile"


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    with running_app(database_url, tmp_path) as client:
        yield client


@pytest.fixture
def ann(api: ApiClient) -> dict[str, Any]:
    """Ann's id and a fresh token pair."""
    profile = api.register("ann")
    return {"id": profile["id"], **api.login("ann")}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(user_id: str, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "typ": "access",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=30),
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(api: ApiClient, claims: dict[str, Any], algorithm: str = ALGORITHM) -> str:
    return pyjwt.encode(claims, api.secrets.jwt_secret, algorithm=algorithm)


def _tamper_signature(token: str) -> str:
    head, body, sig = token.split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    return f"{head}.{body}.{flipped}"


def _tamper_payload(token: str, user_id: str) -> str:
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["sub"] = user_id
    return f"{head}.{_b64(payload)}.{sig}"


def _unsigned(user_id: str, alg: str) -> str:
    stamp = int(datetime.now(UTC).timestamp())
    claims = _claims(user_id, iat=stamp, nbf=stamp, exp=stamp + 1800)
    return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}."


def _past(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def _future(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


Forge = Callable[[ApiClient, dict[str, Any]], str]

ACCESS_FORGERIES: dict[str, Forge] = {
    "alg none": lambda api, a: _unsigned(a["id"], "none"),
    "alg None capitalised": lambda api, a: _unsigned(a["id"], "None"),
    "alg HS512 with the right key": lambda api, a: _sign(api, _claims(a["id"]), "HS512"),
    "alg HS384 with the right key": lambda api, a: _sign(api, _claims(a["id"]), "HS384"),
    "another key": lambda api, a: pyjwt.encode(_claims(a["id"]), "x" * 48, algorithm="HS256"),
    "tampered signature": lambda api, a: _tamper_signature(a["access_token"]),
    "tampered subject": lambda api, a: _tamper_payload(a["access_token"], str(uuid.uuid4())),
    "expired": lambda api, a: _sign(api, _claims(a["id"], iat=_past(40), exp=_past(10))),
    "not yet valid": lambda api, a: _sign(api, _claims(a["id"], nbf=_future(10))),
    "wrong audience": lambda api, a: _sign(api, _claims(a["id"], aud="someone-else")),
    "wrong issuer": lambda api, a: _sign(api, _claims(a["id"], iss="evil")),
    "wrong typ": lambda api, a: _sign(api, _claims(a["id"], typ="id")),
    "missing typ": lambda api, a: _sign(api, _claims(a["id"], typ=None)),
    "missing exp": lambda api, a: _sign(api, _claims(a["id"], exp=None)),
    "missing jti": lambda api, a: _sign(api, _claims(a["id"], jti=None)),
    "unknown user": lambda api, a: _sign(api, _claims(str(uuid.uuid4()))),
    "subject not a uuid": lambda api, a: _sign(api, _claims("ann")),
    "refresh token used as access": lambda api, a: a["refresh_token"],
    "garbage": lambda api, a: "not.a.jwt",
    "two parts": lambda api, a: "abc.def",
}


@pytest.mark.parametrize("name", list(ACCESS_FORGERIES))
def test_a_bad_access_token_is_401(api: ApiClient, ann: dict[str, Any], name: str) -> None:
    token = ACCESS_FORGERIES[name](api, ann)
    response = api.request("GET", PROFILE, headers=bearer(token))
    assert error_of(response) == (401, "invalid_token")
    assert response.headers["www-authenticate"].startswith("Bearer")
    teams = api.request("GET", "/api/teams/", headers=bearer(token))
    assert error_of(teams) == (401, "invalid_token")


def test_the_genuine_token_is_accepted_so_the_forgeries_are_meaningful(
    api: ApiClient, ann: dict[str, Any]
) -> None:
    same_claims = _sign(api, _claims(ann["id"]))
    for token in (ann["access_token"], same_claims):
        assert api.request("GET", PROFILE, headers=bearer(token)).json()["id"] == ann["id"]


def _refresh_claims(user_id: str, **changes: Any) -> dict[str, Any]:
    return _claims(user_id, **({"typ": "refresh", "exp": _future(60 * 24)} | changes))


REFRESH_FORGERIES: dict[str, Forge] = {
    "access token used as refresh": lambda api, a: a["access_token"],
    "alg none": lambda api, a: _unsigned(a["id"], "none"),
    "alg HS512 with the right key": lambda api, a: _sign(api, _refresh_claims(a["id"]), "HS512"),
    "tampered signature": lambda api, a: _tamper_signature(a["refresh_token"]),
    "never issued": lambda api, a: _sign(api, _refresh_claims(a["id"])),
    "expired": lambda api, a: _sign(api, _refresh_claims(a["id"], iat=_past(9), exp=_past(1))),
    "not yet valid": lambda api, a: _sign(api, _refresh_claims(a["id"], nbf=_future(10))),
    "wrong audience": lambda api, a: _sign(api, _refresh_claims(a["id"], aud="x")),
    "wrong issuer": lambda api, a: _sign(api, _refresh_claims(a["id"], iss="x")),
}


@pytest.mark.parametrize("name", list(REFRESH_FORGERIES))
def test_a_bad_refresh_token_is_401(api: ApiClient, ann: dict[str, Any], name: str) -> None:
    token = REFRESH_FORGERIES[name](api, ann)
    response = api.request("POST", "/api/auth/refresh", json={"refresh_token": token})
    assert error_of(response) == (401, "invalid_token")
    from_cookie = api.request(
        "POST", "/api/auth/refresh", headers={"cookie": f"convonet_refresh={token}"}
    )
    assert error_of(from_cookie) == (401, "invalid_token")


def test_a_reused_rotated_refresh_token_is_401_and_ends_the_whole_chain(
    api: ApiClient, ann: dict[str, Any]
) -> None:
    first = api.request("POST", "/api/auth/refresh", json={"refresh_token": ann["refresh_token"]})
    assert first.status_code == 200
    replay = api.request("POST", "/api/auth/refresh", json={"refresh_token": ann["refresh_token"]})
    assert error_of(replay) == (401, "invalid_token")
    successor = first.json()["refresh_token"]
    revoked = api.request("POST", "/api/auth/refresh", json={"refresh_token": successor})
    assert error_of(revoked) == (401, "invalid_token")
    other_session = api.login("ann")
    fine = api.request(
        "POST", "/api/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
    )
    assert fine.status_code == 200
