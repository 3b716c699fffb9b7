"""Bearer tokens for the MCP HTTP transport: ``cvn_`` + 43 random characters, stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import uuid
from datetime import timedelta
from secrets import token_urlsafe

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from convonet_mcp.errors import Ambiguous, InvalidInput, NotFound
from convonet_mcp.models import ApiToken, User, utcnow

logger = logging.getLogger("convonet.auth")

TOKEN_PREFIX = "cvn_"
MAX_NAME_LENGTH = 100
MIN_ID_PREFIX = 8
# last_used_at is written at most this often per token, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)
_TOKEN = re.compile(r"cvn_[A-Za-z0-9_-]{43}")


def hash_api_token(plaintext: str) -> str:
    """Return the hex SHA-256 under which a token is stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_api_token(session: Session, user: User, *, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``; the plaintext is returned once and never stored.

    Raises:
        InvalidInput: when the name is longer than 100 characters.
    """
    label = name.strip()
    if len(label) > MAX_NAME_LENGTH:
        raise InvalidInput(f"A token name must be at most {MAX_NAME_LENGTH} characters.")
    plaintext = TOKEN_PREFIX + token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=label, token_hash=hash_api_token(plaintext))
    session.add(token)
    session.flush()
    logger.info("Created API token %s for user %s", token.id, user.id)
    return token, plaintext


def _find(session: Session, token_id: uuid.UUID | str, user: User | None) -> ApiToken:
    query = select(ApiToken)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    ref = str(token_id).strip().lower()
    try:
        exact = uuid.UUID(ref)
    except ValueError:
        exact = None
    if exact is not None:
        found = session.scalar(query.where(ApiToken.id == exact))
        if found is None:
            raise NotFound(f'No API token with id "{ref}".')
        return found
    compact = ref.replace("-", "")
    if len(compact) < MIN_ID_PREFIX or not re.fullmatch(r"[0-9a-f]+", compact):
        raise InvalidInput(f"Give a token id or at least its first {MIN_ID_PREFIX} hex digits.")
    # The id is stored as CHAR(32) hex on SQLite and as uuid on PostgreSQL; compare as text.
    candidates = [
        t
        for t in session.scalars(
            query.where(cast(ApiToken.id, String).like(f"{compact[:MIN_ID_PREFIX]}%"))
        )
        if t.id.hex.startswith(compact)
    ]
    if not candidates:
        raise NotFound(f'No API token whose id starts with "{ref}".')
    if len(candidates) > 1:
        raise Ambiguous("token", ref, [str(t.id) for t in candidates])
    return candidates[0]


def revoke_api_token(
    session: Session,
    *,
    token_id: uuid.UUID | str | None = None,
    prefix: str | None = None,
    user: User | None = None,
) -> ApiToken:
    """Revoke a token by its id or a unique prefix of it (at least 8 hex digits).

    Args:
        session: The database session.
        token_id: The full token id.
        prefix: The first hex digits of the id, as ``list_api_tokens`` shows them.
        user: When given, only this user's tokens can be revoked (others are NotFound).

    Raises:
        InvalidInput: when neither or both of ``token_id`` and ``prefix`` are given.
        NotFound: when no such token exists (for ``user``).
        Ambiguous: when the prefix matches several tokens.
    """
    if (token_id is None) == (prefix is None):
        raise InvalidInput("Give either a token id or an id prefix.")
    token = _find(session, token_id if token_id is not None else str(prefix), user)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        logger.info("Revoked API token %s", token.id)
    return token


def resolve_api_token(session: Session, plaintext: str) -> User | None:
    """Return the active user a live token belongs to, or None; records its last use."""
    if not isinstance(plaintext, str) or not _TOKEN.fullmatch(plaintext):
        return None
    digest = hash_api_token(plaintext)
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest)
    ).first()
    if row is None:
        return None
    token, user = row
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token.last_used_at = now
        session.flush()
    return user


def list_api_tokens(
    session: Session, user: User, *, include_revoked: bool = False
) -> list[ApiToken]:
    """Return ``user``'s tokens, newest first (never their plaintext, which is not kept)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id)))
