"""The account endpoints over HTTP: register, login, refresh, logout, profile, and the edges."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from api_helpers import PASSWORD, ApiClient, bearer, error_of, running_app
from convonet_mcp.auth.secrets import SecretsError
from convonet_mcp.models import User
from convonet_voice.app import create_app
from convonet_voice.settings import VoiceSettings

REDIS_URL = os.environ.get("CONVONET_TEST_REDIS_URL")


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    with running_app(database_url, tmp_path) as client:
        yield client


def test_register_returns_the_profile_without_any_secret(api: ApiClient) -> None:
    response = api.http.post(
        "/api/auth/register",
        json={
            "email": "Ann@Example.com",
            "username": "ann",
            "password": PASSWORD,
            "first_name": "Ann",
            "last_name": "Lee",
            "timezone": "Europe/Paris",
            "phone": "+14155552671",
            "voice_pin": "4826",
        },
    )
    assert response.status_code == 201
    profile = response.json()
    assert profile["email"] == "ann@example.com"
    assert profile["name"] == "Ann Lee"
    assert profile["timezone"] == "Europe/Paris"
    assert profile["phone"] == "+14155552671"
    assert profile["has_voice_pin"] is True
    assert PASSWORD not in response.text and "4826" not in response.text
    assert "hash" not in response.text


@pytest.mark.parametrize("field", ["email", "username"])
def test_register_refuses_a_taken_email_or_username_with_409(api: ApiClient, field: str) -> None:
    api.register("ann")
    body = {
        "email": "other@example.com",
        "username": "other",
        "password": PASSWORD,
        "first_name": "O",
        "last_name": "T",
    }
    body[field] = "ann@example.com" if field == "email" else "ann"
    assert error_of(api.http.post("/api/auth/register", json=body)) == (409, "conflict")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("username", "a b"),
        ("password", "short"),
        ("timezone", "Mars/Olympus"),
        ("phone", "12345"),
        ("voice_pin", "1234"),
        ("voice_pin", "12"),
        ("first_name", "x" * 101),
        ("unexpected", "field"),
    ],
)
def test_register_refuses_invalid_fields_with_422(api: ApiClient, field: str, value: str) -> None:
    body = {
        "email": "ann@example.com",
        "username": "ann",
        "password": PASSWORD,
        "first_name": "Ann",
        "last_name": "Lee",
        field: value,
    }
    response = api.http.post("/api/auth/register", json=body)
    assert error_of(response)[0] == 422
    if field in ("password", "voice_pin"):
        assert value not in response.text


@pytest.mark.parametrize(
    "content", [b"", b"not json", b"[1, 2]", b'{"email": 1}', b'{"email": "a\\u0000@b.c"}']
)
def test_register_refuses_a_body_that_is_not_the_expected_object(
    api: ApiClient, content: bytes
) -> None:
    response = api.http.post(
        "/api/auth/register", content=content, headers={"content-type": "application/json"}
    )
    assert error_of(response)[0] == 422


@pytest.mark.parametrize("login", ["ann", "ann@example.com", "ANN@example.com"])
def test_login_by_email_or_username_returns_tokens_and_sets_a_strict_httponly_cookie(
    api: ApiClient, login: str
) -> None:
    api.register("ann")
    response = api.http.post("/api/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert 1700 < tokens["expires_in"] <= 1800
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"convonet_refresh={tokens['refresh_token']};")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/api/auth", "Max-Age=604800"):
        assert attribute.lower() in cookie.lower()
    me = api.request("GET", "/api/auth/profile", headers=bearer(tokens["access_token"]))
    assert me.json()["username"] == "ann"


def test_login_gives_the_same_answer_for_an_unknown_user_and_a_wrong_password(
    api: ApiClient,
) -> None:
    api.register("ann")
    wrong = api.http.post("/api/auth/login", json={"login": "ann", "password": "nope" * 3})
    unknown = api.http.post("/api/auth/login", json={"login": "bob", "password": "nope" * 3})
    assert error_of(wrong) == error_of(unknown) == (401, "authentication_failed")
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers


def test_login_refuses_a_missing_password_with_422(api: ApiClient) -> None:
    assert error_of(api.http.post("/api/auth/login", json={"login": "ann"}))[0] == 422


@pytest.fixture(params=["memory"] + (["redis"] if REDIS_URL else []))
def limited_api(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[ApiClient]:
    redis = {"redis_url": REDIS_URL} if request.param == "redis" else {}
    with running_app(database_url, tmp_path, login_attempts_per_ip=3, **redis) as client:
        yield client


def test_login_attempts_are_rate_limited_per_address_with_429_and_retry_after(
    limited_api: ApiClient,
) -> None:
    api = limited_api
    api.register("ann")
    for _ in range(3):
        wrong = api.http.post("/api/auth/login", json={"login": "ann", "password": "x" * 9})
        assert wrong.status_code == 401
    blocked = api.http.post("/api/auth/login", json={"login": "ann", "password": PASSWORD})
    assert error_of(blocked) == (429, "too_many_requests")
    assert 0 < int(blocked.headers["retry-after"]) <= 300


def test_refresh_rotates_the_pair_and_a_reused_token_revokes_the_chain(api: ApiClient) -> None:
    api.register("ann")
    start = api.login("ann")
    rotated = api.request(
        "POST", "/api/auth/refresh", json={"refresh_token": start["refresh_token"]}
    )
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["refresh_token"] != start["refresh_token"]
    assert api.request("GET", "/api/auth/profile", headers=bearer(fresh["access_token"])).is_success
    replay = api.request(
        "POST", "/api/auth/refresh", json={"refresh_token": start["refresh_token"]}
    )
    assert error_of(replay) == (401, "invalid_token")
    after = api.request("POST", "/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert error_of(after) == (401, "invalid_token")


def test_refresh_reads_the_cookie_when_the_body_has_no_token(api: ApiClient) -> None:
    api.register("ann")
    api.http.cookies.clear()
    login = api.http.post("/api/auth/login", json={"login": "ann", "password": PASSWORD})
    cookie = login.cookies["convonet_refresh"]
    api.http.cookies.clear()
    response = api.http.post(
        "/api/auth/refresh", json={}, headers={"cookie": f"convonet_refresh={cookie}"}
    )
    assert response.status_code == 200
    assert response.cookies["convonet_refresh"] == response.json()["refresh_token"] != cookie


def test_refresh_without_any_token_is_401(api: ApiClient) -> None:
    assert error_of(api.request("POST", "/api/auth/refresh", json={})) == (401, "unauthorized")


def test_logout_revokes_the_refresh_chain_and_clears_the_cookie(api: ApiClient) -> None:
    api.register("ann")
    tokens = api.login("ann")
    out = api.request("POST", "/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert 'convonet_refresh=""' in out.headers["set-cookie"]
    again = api.request(
        "POST", "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert error_of(again) == (401, "invalid_token")


def test_logout_is_idempotent_without_a_token_and_refuses_a_forged_one(api: ApiClient) -> None:
    assert api.request("POST", "/api/auth/logout").status_code == 204
    forged = api.request("POST", "/api/auth/logout", json={"refresh_token": "a.b.c"})
    assert error_of(forged) == (401, "invalid_token")


def test_profile_needs_a_bearer_token(api: ApiClient) -> None:
    response = api.request("GET", "/api/auth/profile")
    assert error_of(response) == (401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    basic = api.request("GET", "/api/auth/profile", headers={"Authorization": "Basic eDp5"})
    assert error_of(basic)[0] == 401


def test_profile_update_changes_name_timezone_and_phone(api: ApiClient) -> None:
    headers = api.user("ann")
    response = api.request(
        "PUT",
        "/api/auth/profile",
        headers=headers,
        json={"first_name": "Annie", "timezone": "Asia/Tokyo", "phone": "+14155552671"},
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Annie Tester"
    assert response.json()["timezone"] == "Asia/Tokyo"
    cleared = api.request("PUT", "/api/auth/profile", headers=headers, json={"phone": ""})
    assert cleared.json()["phone"] is None
    assert api.request("GET", "/api/auth/profile", headers=headers).json()["name"] == "Annie Tester"


def test_profile_update_refuses_a_bad_timezone_and_a_taken_phone(api: ApiClient) -> None:
    api.register("bob", phone="+14155552671")
    headers = api.user("ann")
    bad = api.request("PUT", "/api/auth/profile", headers=headers, json={"timezone": "Nowhere"})
    assert error_of(bad) == (422, "invalid_input")
    taken = api.request("PUT", "/api/auth/profile", headers=headers, json={"phone": "+14155552671"})
    assert error_of(taken) == (409, "conflict")


def test_pin_change_needs_the_current_password_and_never_echoes_the_pin(
    api: ApiClient, engine: object
) -> None:
    headers = api.user("ann")
    put = "/api/auth/profile"
    missing = api.request("PUT", put, headers=headers, json={"new_pin": "4826"})
    assert error_of(missing) == (422, "invalid_input")
    wrong = api.request(
        "PUT", put, headers=headers, json={"new_pin": "4826", "current_password": "x" * 10}
    )
    assert error_of(wrong) == (403, "forbidden")
    weak = api.request(
        "PUT", put, headers=headers, json={"new_pin": "1111", "current_password": PASSWORD}
    )
    assert error_of(weak) == (422, "invalid_input") and "1111" not in weak.text
    done = api.request(
        "PUT", put, headers=headers, json={"new_pin": "4826", "current_password": PASSWORD}
    )
    assert done.status_code == 200 and done.json()["has_voice_pin"] is True
    assert "4826" not in done.text


def test_no_pin_or_password_is_stored_in_clear(api: ApiClient, session: Session) -> None:
    api.register("ann", voice_pin="4826")
    dump = " ".join(
        str(value) for row in session.execute(text("SELECT * FROM users")).all() for value in row
    )
    assert "4826" not in dump and PASSWORD not in dump
    user = session.scalar(select(User).where(User.username == "ann"))
    assert user is not None and user.password_hash and user.voice_pin_hash


def test_a_deactivated_account_can_no_longer_use_its_access_token(
    api: ApiClient, session: Session
) -> None:
    headers = api.user("ann")
    session.execute(text("UPDATE users SET is_active = :f"), {"f": False})
    session.commit()
    assert error_of(api.request("GET", "/api/auth/profile", headers=headers)) == (
        401,
        "invalid_token",
    )


def test_a_body_over_the_limit_is_refused_with_413(database_url: str, tmp_path: Path) -> None:
    with running_app(database_url, tmp_path, max_body_bytes=256) as api:
        big = {"login": "a" * 300, "password": PASSWORD}
        assert error_of(api.http.post("/api/auth/login", json=big)) == (413, "body_too_large")

        def chunks() -> Iterator[bytes]:
            yield b'{"login": "'
            yield b"a" * 300
            yield b'", "password": "x"}'

        streamed = api.http.post(
            "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
        assert error_of(streamed) == (413, "body_too_large")
        small = api.http.post("/api/auth/login", json={"login": "a", "password": "b"})
        assert small.status_code == 401


def test_unknown_routes_and_methods_answer_with_the_error_shape(api: ApiClient) -> None:
    assert error_of(api.http.get("/api/nothing-here")) == (404, "not_found")
    assert error_of(api.http.delete("/api/auth/login")) == (405, "method_not_allowed")


def test_every_response_carries_security_headers(api: ApiClient) -> None:
    for url in ("/api/openapi.json", "/team-dashboard", "/api/auth/profile"):
        response = api.http.get(url)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert api.http.get("/api/auth/profile").headers["cache-control"] == "no-store"


def test_the_openapi_document_lists_every_endpoint(api: ApiClient) -> None:
    doc = api.http.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    operations = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert len(operations) == 20
    assert ("POST", "/api/auth/login") in operations
    assert ("PUT", "/api/teams/{team_id}/members/{user_id}/role") in operations
    assert ("GET", "/api/users/search") in operations
    assert doc["paths"]["/api/teams/"]["post"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/auth/login"]["post"]["security"] == []


def test_the_root_leads_to_the_dashboard(api: ApiClient) -> None:
    response = api.http.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/team-dashboard"
    page = api.http.get("/team-dashboard")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert api.http.get("/team-dashboard/static/app.js").status_code == 200


def test_production_mode_refuses_to_start_without_a_jwt_secret(
    database_url: str, tmp_path: Path
) -> None:
    settings = VoiceSettings(database_url=database_url, data_dir=tmp_path, production=True)
    with pytest.raises(SecretsError, match="CONVONET_JWT_SECRET"), TestClient(create_app(settings)):
        pass
