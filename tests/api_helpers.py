"""Helpers for the REST API tests: a running app on the per-test database, and a client."""

from __future__ import annotations

import secrets as random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from convonet_mcp.auth.secrets import Secrets
from convonet_voice.app import create_app
from convonet_voice.settings import VoiceSettings
from factories import cheap_hashing

PASSWORD = "correct horse battery"


def app_settings(database_url: str | None, data_dir: Path, **overrides: Any) -> VoiceSettings:
    """Settings of an app on ``database_url`` with fixed, known secrets."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "jwt_secret": "j" * 16 + random.token_urlsafe(48),
        "pin_pepper": "p" * 16 + random.token_urlsafe(24),
    }
    values.update(overrides)
    return VoiceSettings(**values)


def secrets_of(settings: VoiceSettings) -> Secrets:
    """The secrets the app built from ``settings`` signs with."""
    assert settings.jwt_secret is not None and settings.pin_pepper is not None
    return Secrets(
        pin_pepper=settings.pin_pepper.get_secret_value(),
        jwt_secret=settings.jwt_secret.get_secret_value(),
    )


class ApiClient:
    """A TestClient with shortcuts for accounts and bearer headers."""

    def __init__(self, client: TestClient, settings: VoiceSettings) -> None:
        self.http = client
        self.settings = settings
        self.secrets = secrets_of(settings)

    def register(self, handle: str, **extra: Any) -> dict[str, Any]:
        """Register ``handle@example.com`` and return the profile."""
        body = {
            "email": f"{handle}@example.com",
            "username": handle,
            "password": PASSWORD,
            "first_name": handle.capitalize(),
            "last_name": "Tester",
        } | extra
        response = self.http.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def login(self, handle: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in and return the token pair."""
        response = self.http.post("/api/auth/login", json={"login": handle, "password": password})
        assert response.status_code == 200, response.text
        self.http.cookies.clear()  # each caller carries its own token explicitly
        return dict(response.json())

    def user(self, handle: str, **extra: Any) -> dict[str, str]:
        """Register and log in; return bearer headers for that user."""
        self.register(handle, **extra)
        return bearer(self.login(handle)["access_token"])

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request without any cookie the client may have kept."""
        self.http.cookies.clear()
        return self.http.request(method, url, headers=headers, **kwargs)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> tuple[int, str]:
    """The status and error code of an error response (checks the shape)."""
    data = response.json()
    assert set(data) == {"error"}, data
    assert set(data["error"]) == {"code", "message"}, data
    assert isinstance(data["error"]["message"], str) and data["error"]["message"]
    return response.status_code, str(data["error"]["code"])


@contextmanager
def running_app(
    database_url: str, data_dir: Path, *, key_prefix: str | None = None, **overrides: Any
) -> Iterator[ApiClient]:
    """Start the app (lifespan included) on ``database_url`` and yield a client."""
    settings = app_settings(database_url, data_dir, **overrides)
    prefix = key_prefix or f"convonet-test-{random.token_hex(6)}:"
    with cheap_hashing(), TestClient(create_app(settings, key_prefix=prefix)) as client:
        yield ApiClient(client, settings)
