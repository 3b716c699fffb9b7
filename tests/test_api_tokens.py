"""MCP HTTP bearer tokens: created once in clear, stored as SHA-256, resolved and revoked."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from convonet_mcp.auth.tokens import (
    create_api_token,
    list_api_tokens,
    resolve_api_token,
    revoke_api_token,
)
from convonet_mcp.errors import Ambiguous, InvalidInput, NotFound
from convonet_mcp.models import ApiToken, utcnow
from factories import MakeUser


def test_a_new_token_is_shown_once_and_only_its_sha256_is_stored(
    session: Session, make_user: MakeUser
) -> None:
    ann = make_user("ann")
    token, plaintext = create_api_token(session, ann, name="  laptop  ")
    assert re.fullmatch(r"cvn_[A-Za-z0-9_-]{43}", plaintext)
    assert token.name == "laptop"
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    rows = session.execute(text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert all(plaintext not in str(value) for value in rows[0])
    assert all(plaintext[4:20] not in str(value) for value in rows[0])


def test_two_tokens_never_share_a_value(session: Session, make_user: MakeUser) -> None:
    ann = make_user("ann")
    values = {create_api_token(session, ann)[1] for _ in range(5)}
    assert len(values) == 5


def test_a_token_name_longer_than_100_characters_is_refused(
    session: Session, make_user: MakeUser
) -> None:
    with pytest.raises(InvalidInput, match="at most 100"):
        create_api_token(session, make_user("ann"), name="x" * 101)


def test_resolving_a_live_token_returns_its_user_and_records_the_use(
    session: Session, make_user: MakeUser
) -> None:
    ann = make_user("ann")
    token, plaintext = create_api_token(session, ann)
    assert token.last_used_at is None
    assert resolve_api_token(session, plaintext) is ann
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(session: Session, make_user: MakeUser) -> None:
    token, plaintext = create_api_token(session, make_user("ann"))
    resolve_api_token(session, plaintext)
    first = token.last_used_at
    resolve_api_token(session, plaintext)
    assert token.last_used_at == first
    assert first is not None
    token.last_used_at = first - timedelta(minutes=2)
    session.flush()
    resolve_api_token(session, plaintext)
    assert token.last_used_at is not None and token.last_used_at > first - timedelta(minutes=2)


@pytest.mark.parametrize(
    "bad",
    ["", "cvn_", "cvn_short", "ghp_" + "a" * 43, "cvn_" + "a" * 44, "cvn_" + "!" * 43, "x" * 5000],
)
def test_malformed_or_unknown_tokens_resolve_to_nobody(
    session: Session, make_user: MakeUser, bad: str
) -> None:
    create_api_token(session, make_user("ann"))
    assert resolve_api_token(session, bad) is None
    assert resolve_api_token(session, "cvn_" + "a" * 43) is None


def test_a_revoked_token_resolves_to_nobody(session: Session, make_user: MakeUser) -> None:
    ann = make_user("ann")
    token, plaintext = create_api_token(session, ann)
    revoked = revoke_api_token(session, token_id=token.id)
    assert revoked is token
    assert token.revoked_at is not None
    assert resolve_api_token(session, plaintext) is None


def test_revoking_twice_keeps_the_first_revocation_time(
    session: Session, make_user: MakeUser
) -> None:
    token, _ = create_api_token(session, make_user("ann"))
    revoke_api_token(session, token_id=str(token.id))
    first = token.revoked_at
    revoke_api_token(session, token_id=str(token.id))
    assert token.revoked_at == first


def test_a_token_of_an_inactive_user_resolves_to_nobody(
    session: Session, make_user: MakeUser
) -> None:
    ann = make_user("ann")
    _, plaintext = create_api_token(session, ann)
    ann.is_active = False
    session.flush()
    assert resolve_api_token(session, plaintext) is None


def test_a_token_can_be_revoked_by_a_unique_prefix_of_its_id(
    session: Session, make_user: MakeUser
) -> None:
    token, plaintext = create_api_token(session, make_user("ann"))
    revoke_api_token(session, prefix=token.id.hex[:10].upper())
    assert resolve_api_token(session, plaintext) is None


def test_a_prefix_matching_several_tokens_is_ambiguous_and_a_longer_one_is_not(
    session: Session, make_user: MakeUser
) -> None:
    ann = make_user("ann")
    ids = [uuid.UUID(f"abcdef01-0000-4000-8000-00000000000{n}") for n in (1, 2)]
    session.add_all(
        ApiToken(id=token_id, user_id=ann.id, token_hash=str(n) * 64)
        for n, token_id in enumerate(ids)
    )
    session.flush()
    with pytest.raises(Ambiguous) as caught:
        revoke_api_token(session, prefix="abcdef01")
    assert sorted(caught.value.candidates) == sorted(str(i) for i in ids)
    revoked = revoke_api_token(session, prefix="abcdef01-0000-4000-8000-000000000002")
    assert revoked.id == ids[1]
    assert session.get(ApiToken, ids[0]).revoked_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("prefix", ["abc", "abcdef0", "not-hex-at-all", ""])
def test_a_prefix_shorter_than_8_hex_digits_is_refused(
    session: Session, make_user: MakeUser, prefix: str
) -> None:
    create_api_token(session, make_user("ann"))
    with pytest.raises(InvalidInput, match="at least its first 8 hex digits"):
        revoke_api_token(session, prefix=prefix)


def test_revoke_needs_exactly_one_of_id_and_prefix(session: Session, make_user: MakeUser) -> None:
    token, _ = create_api_token(session, make_user("ann"))
    with pytest.raises(InvalidInput, match="either"):
        revoke_api_token(session)
    with pytest.raises(InvalidInput, match="either"):
        revoke_api_token(session, token_id=token.id, prefix=token.id.hex[:8])


def test_revoking_an_unknown_token_is_not_found(session: Session, make_user: MakeUser) -> None:
    create_api_token(session, make_user("ann"))
    with pytest.raises(NotFound):
        revoke_api_token(session, token_id=uuid.uuid4())
    with pytest.raises(NotFound):
        revoke_api_token(session, prefix="00000000")


def test_a_user_cannot_revoke_another_users_token(session: Session, make_user: MakeUser) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    token, plaintext = create_api_token(session, ann)
    with pytest.raises(NotFound):
        revoke_api_token(session, token_id=token.id, user=bob)
    with pytest.raises(NotFound):
        revoke_api_token(session, prefix=token.id.hex[:8], user=bob)
    assert resolve_api_token(session, plaintext) is ann
    revoke_api_token(session, token_id=token.id, user=ann)
    assert resolve_api_token(session, plaintext) is None


def test_listing_shows_a_users_live_tokens_newest_first(
    session: Session, make_user: MakeUser
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    old, _ = create_api_token(session, ann, name="old")
    old.created_at = utcnow() - timedelta(days=1)
    create_api_token(session, ann, name="new")
    gone, _ = create_api_token(session, ann, name="gone")
    create_api_token(session, bob, name="bob's")
    revoke_api_token(session, token_id=gone.id)
    session.flush()
    assert [t.name for t in list_api_tokens(session, ann)] == ["new", "old"]
    everything = list_api_tokens(session, ann, include_revoked=True)
    assert {t.name for t in everything} == {"old", "new", "gone"}
    assert everything[-1] is old
    assert list_api_tokens(session, make_user("cat")) == []


def test_tokens_disappear_with_their_user(session: Session, make_user: MakeUser) -> None:
    ann = make_user("ann")
    create_api_token(session, ann)
    session.delete(ann)
    session.flush()
    assert session.scalars(select(ApiToken)).all() == []
