"""JWT access and refresh tokens (HS256) with refresh rotation and reuse detection.

Access tokens live 30 minutes and are checked by signature alone: logging out revokes
the refresh family, and an access token already handed out runs to its expiry. Every
refresh marks the presented token used and issues a new one in the same family; a used
token presented again means it was stolen, so the whole family is revoked.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from secrets import token_urlsafe
from typing import Any, Literal

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from convonet_mcp.auth.durable import write_apart
from convonet_mcp.auth.secrets import Secrets
from convonet_mcp.errors import ConvonetError
from convonet_mcp.models import RefreshToken, User, utcnow

logger = logging.getLogger("convonet.auth")

ALGORITHM = "HS256"
ISSUER = "convonet"
AUDIENCE = "convonet-api"
ACCESS_TTL = timedelta(minutes=30)
REFRESH_TTL = timedelta(days=7)
LEEWAY = timedelta(seconds=5)
REQUIRED_CLAIMS = ["typ", "iss", "aud", "sub", "exp", "iat", "nbf", "jti"]

TokenType = Literal["access", "refresh"]


class InvalidToken(ConvonetError):
    """The token is malformed, forged, expired, revoked or of the wrong type."""

    code = "invalid_token"


@dataclass(frozen=True)
class Claims:
    """The verified claims of a token."""

    user_id: uuid.UUID
    jti: str
    typ: TokenType
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TokenPair:
    """An access token and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    token_type: str = "bearer"

    @property
    def expires_in(self) -> int:
        """Seconds until the access token expires (OAuth's ``expires_in``)."""
        return max(0, int((self.access_expires_at - utcnow()).total_seconds()))


def _claims(user_id: uuid.UUID, typ: TokenType, ttl: timedelta) -> Claims:
    now = utcnow().replace(microsecond=0)
    return Claims(
        user_id=user_id, jti=token_urlsafe(24), typ=typ, issued_at=now, expires_at=now + ttl
    )


def encode_token(claims: Claims, secrets: Secrets) -> str:
    """Sign ``claims`` with the server key."""
    payload = {
        "typ": claims.typ,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(claims.user_id),
        "iat": claims.issued_at,
        "nbf": claims.issued_at,
        "exp": claims.expires_at,
        "jti": claims.jti,
    }
    return jwt.encode(payload, secrets.jwt_secret, algorithm=ALGORITHM)


def decode_token(
    token: str, secrets: Secrets, *, typ: TokenType, verify_exp: bool = True
) -> Claims:
    """Verify ``token`` and return its claims.

    Raises:
        InvalidToken: for any other algorithm than HS256, a bad signature, a missing or
            wrong claim (iss, aud, typ), an expired or not-yet-valid token.
    """
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secrets.jwt_secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY,
            options={"require": REQUIRED_CLAIMS, "verify_exp": verify_exp},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is invalid.") from exc
    if payload.get("typ") != typ:
        raise InvalidToken(f"This is not {'an' if typ == 'access' else 'a'} {typ} token.")
    try:
        user_id = uuid.UUID(str(payload["sub"]))
        issued = datetime.fromtimestamp(int(payload["iat"]), tz=utcnow().tzinfo)
        expires = datetime.fromtimestamp(int(payload["exp"]), tz=utcnow().tzinfo)
    except (ValueError, TypeError) as exc:
        raise InvalidToken("The token is invalid.") from exc
    return Claims(
        user_id=user_id, jti=str(payload["jti"]), typ=typ, issued_at=issued, expires_at=expires
    )


def verify_access(token: str, secrets: Secrets) -> Claims:
    """Return the claims of a valid access token (no database lookup).

    Raises:
        InvalidToken: when the token is not a valid, current access token.
    """
    return decode_token(token, secrets, typ="access")


def _issue(session: Session, user_id: uuid.UUID, family_id: str, secrets: Secrets) -> TokenPair:
    access = _claims(user_id, "access", ACCESS_TTL)
    refresh_claims = _claims(user_id, "refresh", REFRESH_TTL)
    session.add(
        RefreshToken(
            jti=refresh_claims.jti,
            family_id=family_id,
            user_id=user_id,
            issued_at=refresh_claims.issued_at,
            expires_at=refresh_claims.expires_at,
        )
    )
    session.flush()
    return TokenPair(
        access_token=encode_token(access, secrets),
        refresh_token=encode_token(refresh_claims, secrets),
        access_expires_at=access.expires_at,
        refresh_expires_at=refresh_claims.expires_at,
    )


def issue_token_pair(session: Session, user: User, secrets: Secrets) -> TokenPair:
    """Start a new refresh family for ``user`` (a login) and return its first pair."""
    return _issue(session, user.id, token_urlsafe(24), secrets)


def _revoke_family(session: Session, family_id: str) -> int | None:
    """Revoke the family's live tokens; None when there were none (see ``write_apart``)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) or None


def refresh(session: Session, refresh_token: str, secrets: Secrets) -> TokenPair:
    """Rotate ``refresh_token``: mark it used and return a new pair in the same family.

    A token presented a second time revokes its whole family; that revocation is
    committed on its own, so it holds even though this function raises.

    Raises:
        InvalidToken: when the token is invalid, expired, revoked, reused, or its user
            is gone or inactive.
    """
    claims = decode_token(refresh_token, secrets, typ="refresh")
    row = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.jti == claims.jti)
        .execution_options(populate_existing=True)
    )
    if row is None or row.user_id != claims.user_id:
        raise InvalidToken("The token is invalid.")
    if row.revoked_at is not None:
        raise InvalidToken("This session was signed out; log in again.")
    family = row.family_id
    if row.used_at is not None:
        write_apart(session, lambda s: _revoke_family(s, family))
        logger.warning("Refresh token reused; revoked its family for user %s", row.user_id)
        raise InvalidToken("This refresh token was already used; log in again.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidToken("The account is not active.")
    claimed = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == claims.jti,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:  # a concurrent refresh won the race
        write_apart(session, lambda s: _revoke_family(s, family))
        raise InvalidToken("This refresh token was already used; log in again.")
    return _issue(session, user.id, family, secrets)


def _unverified_jti(token: str) -> str:
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is invalid.") from exc
    if payload.get("typ") != "refresh" or not isinstance(payload.get("jti"), str):
        raise InvalidToken("This is not a refresh token.")
    return str(payload["jti"])


def logout(session: Session, refresh_token: str, secrets: Secrets | None = None) -> None:
    """Revoke the family of ``refresh_token`` (expired tokens are accepted); idempotent.

    With ``secrets`` the signature is checked. Without, the token id is read unverified,
    which is still safe: revoking needs the token's random ``jti``, known only to its holder.

    Raises:
        InvalidToken: when the token is malformed, forged or not a refresh token.
    """
    if secrets is None:
        jti = _unverified_jti(refresh_token)
    else:
        jti = decode_token(refresh_token, secrets, typ="refresh", verify_exp=False).jti
    family = session.scalar(select(RefreshToken.family_id).where(RefreshToken.jti == jti))
    if family is not None:
        _revoke_family(session, family)
        session.flush()


def revoke_all_sessions(session: Session, user: User) -> int:
    """Revoke every refresh family of ``user`` (e.g. after a password change)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
