"""What every endpoint needs: the app's shared services and the acting user from a bearer JWT."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from convonet_mcp.auth.jwt import InvalidToken, verify_access
from convonet_mcp.auth.limits import CounterStore, FixedWindowLimit
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.models import User
from convonet_voice.api.errors import Unauthorized
from convonet_voice.settings import VoiceSettings


@dataclass(frozen=True)
class Services:
    """Everything the lifespan opened, shared by every request of one app."""

    settings: VoiceSettings
    factory: sessionmaker[Session]
    secrets: Secrets
    store: CounterStore
    login_limit: FixedWindowLimit


def services_of(request: Request) -> Services:
    """Return the services the lifespan put on the app's state."""
    found = getattr(request.app.state, "services", None)
    if not isinstance(found, Services):
        raise RuntimeError("The app's lifespan has not run; use create_app() under a server.")
    return found


def bearer_token(request: Request) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user(session: Session, secrets: Secrets, token: str | None) -> User:
    """Return the active user an access token names.

    Raises:
        Unauthorized: no token was sent.
        InvalidToken: the token is not a valid access token, or its user is gone or inactive.
    """
    if token is None:
        raise Unauthorized("Log in first: send an access token as 'Authorization: Bearer …'.")
    claims = verify_access(token, secrets)
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise InvalidToken("The account is not active.")
    return user


def client_ip(request: Request) -> str:
    """The peer address (uvicorn's proxy-headers support rewrites it behind a proxy)."""
    return request.client.host if request.client else "unknown"
