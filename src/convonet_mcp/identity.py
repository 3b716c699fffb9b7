"""Who is acting: the stdio user, or the owner of an HTTP bearer token."""

from __future__ import annotations

import getpass
import logging
import re
import uuid

import anyio
from fastmcp.exceptions import ToolError
from fastmcp.server.auth import AccessToken, TokenVerifier
from fastmcp.server.dependencies import get_access_token
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth.tokens import resolve_api_token
from convonet_mcp.db import transaction
from convonet_mcp.errors import NotFound
from convonet_mcp.models import User

logger = logging.getLogger("convonet.identity")


def stdio_user_id(factory: sessionmaker[Session], configured: str | None) -> uuid.UUID:
    """Return the id of ``CONVONET_USER`` (email or username), or of the local owner.

    When no user is configured, a local owner account named after the OS user is
    created on first run and reused afterwards.

    Raises:
        NotFound: ``configured`` names no active account.
    """
    with transaction(factory) as session:
        if configured:
            key = configured.strip().lower()
            user = session.scalar(
                select(User).where(
                    (User.email == key) | (func.lower(User.username) == key),
                    User.is_active.is_(True),
                )
            )
            if user is None:
                raise NotFound(
                    f'CONVONET_USER is "{configured}", but no active account has that email '
                    "or username. Create it with: convonet-mcp user add EMAIL"
                )
            return user.id
        return _local_owner(session).id


def _local_owner(session: Session) -> User:
    handle = re.sub(r"[^a-z0-9_.-]", "", getpass.getuser().lower()) or "owner"
    email = f"{handle}@localhost"
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, username=handle, first_name=handle.capitalize(), is_verified=True)
        session.add(user)
        session.flush()
        logger.info("Created the local owner account %s", email)
    return user


def bearer_identity() -> uuid.UUID:
    """Resolve the acting user from the verified bearer token of the current request."""
    token = get_access_token()
    if token is None or "sub" not in token.claims:
        raise ToolError("Not authenticated.")
    return uuid.UUID(token.claims["sub"])


class BearerTokenVerifier(TokenVerifier):
    """Verifies Convonet API tokens (``convonet-mcp token create``) against the database."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        super().__init__()
        self._factory = factory

    def _lookup(self, token: str) -> uuid.UUID | None:
        with transaction(self._factory) as session:
            user = resolve_api_token(session, token)
            return user.id if user else None

    async def verify_token(self, token: str) -> AccessToken | None:
        """Return an access token carrying the user's id, or None for unknown/revoked tokens."""
        if not token or len(token) > 256:
            return None
        user_id = await anyio.to_thread.run_sync(self._lookup, token)
        if user_id is None:
            return None
        return AccessToken(
            token=token, client_id=str(user_id), scopes=[], claims={"sub": str(user_id)}
        )
