"""JWT access and refresh tokens: the bad-token suite and refresh rotation with reuse detection."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.auth import Secrets
from convonet_mcp.auth.jwt import (
    ACCESS_TTL,
    REFRESH_TTL,
    InvalidToken,
    decode_token,
    issue_token_pair,
    logout,
    refresh,
    revoke_all_sessions,
    verify_access,
)
from convonet_mcp.errors import ConvonetError
from convonet_mcp.models import RefreshToken, User
from factories import MakeUser


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "typ": "access",
        "iss": "convonet",
        "aud": "convonet-api",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], secrets: Secrets, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secrets.jwt_secret, algorithm=algorithm)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- the bad-token suite ----------------------------------------------------------------


def test_a_well_formed_access_token_is_accepted(secrets: Secrets) -> None:
    payload = claims()
    verified = verify_access(sign(payload, secrets), secrets)
    assert str(verified.user_id) == payload["sub"]
    assert verified.typ == "access"
    assert verified.jti == payload["jti"]


def test_an_unsigned_alg_none_token_is_refused(secrets: Secrets) -> None:
    payload = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims().items()}
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."
    with pytest.raises(InvalidToken, match="invalid"):
        verify_access(token, secrets)


def test_a_token_signed_with_hs512_and_the_same_key_is_refused(secrets: Secrets) -> None:
    with pytest.raises(InvalidToken, match="invalid"):
        verify_access(sign(claims(), secrets, "HS512"), secrets)


def test_an_rs256_token_is_refused(secrets: Secrets) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), key, algorithm="RS256")
    with pytest.raises(InvalidToken, match="invalid"):
        verify_access(token, secrets)


def test_a_token_with_a_tampered_payload_or_signature_is_refused(secrets: Secrets) -> None:
    token = sign(claims(), secrets)
    head, body, signature = token.split(".")
    forged_body = b64({**jwt.decode(token, options={"verify_signature": False}), "sub": "x"})
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for bad in (f"{head}.{forged_body}.{signature}", f"{head}.{body}.{flipped}"):
        with pytest.raises(InvalidToken, match="invalid"):
            verify_access(bad, secrets)


def test_a_token_signed_with_another_key_is_refused(secrets: Secrets) -> None:
    with pytest.raises(InvalidToken):
        verify_access(sign(claims(), Secrets.generate()), secrets)


def test_an_expired_token_is_refused(secrets: Secrets) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    token = sign(claims(iat=past, nbf=past, exp=past + timedelta(minutes=30)), secrets)
    with pytest.raises(InvalidToken, match="expired"):
        verify_access(token, secrets)


def test_a_token_not_yet_valid_is_refused(secrets: Secrets) -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(InvalidToken, match="invalid"):
        verify_access(sign(claims(nbf=later), secrets), secrets)
    with pytest.raises(InvalidToken, match="invalid"):
        verify_access(sign(claims(iat=later), secrets), secrets)


@pytest.mark.parametrize(
    "override",
    [{"aud": "someone-else"}, {"iss": "evil"}, {"typ": "id"}, {"typ": "refresh"}],
    ids=["wrong-aud", "wrong-iss", "wrong-typ", "refresh-as-access"],
)
def test_a_token_for_another_audience_issuer_or_type_is_refused(
    secrets: Secrets, override: dict[str, str]
) -> None:
    with pytest.raises(InvalidToken):
        verify_access(sign(claims(**override), secrets), secrets)


@pytest.mark.parametrize("missing", ["typ", "iss", "aud", "sub", "exp", "iat", "nbf", "jti"])
def test_a_token_missing_any_required_claim_is_refused(secrets: Secrets, missing: str) -> None:
    payload = claims()
    del payload[missing]
    with pytest.raises(InvalidToken):
        verify_access(sign(payload, secrets), secrets)


def test_a_token_whose_subject_is_not_a_user_id_is_refused(secrets: Secrets) -> None:
    with pytest.raises(InvalidToken, match="invalid"):
        verify_access(sign(claims(sub="alice"), secrets), secrets)


def test_garbage_is_refused(secrets: Secrets) -> None:
    for bad in ("", "abc", "a.b.c", "Bearer x"):
        with pytest.raises(InvalidToken):
            verify_access(bad, secrets)


def test_invalid_token_is_a_user_correctable_convonet_error() -> None:
    assert issubclass(InvalidToken, ConvonetError)
    assert InvalidToken.code == "invalid_token"


# --- issuing and rotation ---------------------------------------------------------------


def committed_user(session: Session, make_user: MakeUser, handle: str = "ann") -> User:
    user = make_user(handle)
    session.commit()
    return user


def test_a_token_pair_carries_all_claims_with_30_minute_and_7_day_lifetimes(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = make_user("ann")
    pair = issue_token_pair(session, ann, secrets)
    access = jwt.decode(pair.access_token, options={"verify_signature": False})
    refresh_claims = jwt.decode(pair.refresh_token, options={"verify_signature": False})
    assert jwt.get_unverified_header(pair.access_token)["alg"] == "HS256"
    assert set(access) == {"typ", "iss", "aud", "sub", "exp", "iat", "nbf", "jti"}
    assert (access["typ"], refresh_claims["typ"]) == ("access", "refresh")
    assert access["sub"] == refresh_claims["sub"] == str(ann.id)
    assert access["exp"] - access["iat"] == ACCESS_TTL.total_seconds()
    assert refresh_claims["exp"] - refresh_claims["iat"] == REFRESH_TTL.total_seconds()
    assert access["jti"] != refresh_claims["jti"]
    assert 0 < pair.expires_in <= ACCESS_TTL.total_seconds()
    row = session.get(RefreshToken, refresh_claims["jti"])
    assert row is not None
    assert row.user_id == ann.id
    assert row.expires_at == pair.refresh_expires_at
    assert verify_access(pair.access_token, secrets).user_id == ann.id


def test_an_access_token_is_never_accepted_as_a_refresh_token(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    pair = issue_token_pair(session, make_user("ann"), secrets)
    with pytest.raises(InvalidToken, match="not a refresh token"):
        refresh(session, pair.access_token, secrets)
    with pytest.raises(InvalidToken, match="not an access token"):
        verify_access(pair.refresh_token, secrets)


def test_refresh_marks_the_old_token_used_and_issues_one_in_the_same_family(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = make_user("ann")
    first = issue_token_pair(session, ann, secrets)
    second = refresh(session, first.refresh_token, secrets)
    old = decode_token(first.refresh_token, secrets, typ="refresh")
    new = decode_token(second.refresh_token, secrets, typ="refresh")
    old_row = session.get(RefreshToken, old.jti)
    new_row = session.get(RefreshToken, new.jti)
    assert old_row is not None and new_row is not None
    assert old_row.used_at is not None
    assert new_row.used_at is None
    assert new_row.family_id == old_row.family_id
    assert verify_access(second.access_token, secrets).user_id == ann.id
    third = refresh(session, second.refresh_token, secrets)
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)


def test_reusing_a_rotated_refresh_token_revokes_the_whole_chain_even_after_rollback(
    session: Session,
    factory: sessionmaker[Session],
    make_user: MakeUser,
    secrets: Secrets,
) -> None:
    ann = committed_user(session, make_user)
    first = issue_token_pair(session, ann, secrets)
    second = refresh(session, first.refresh_token, secrets)
    session.commit()
    with pytest.raises(InvalidToken, match="already used"):
        refresh(session, first.refresh_token, secrets)
    session.rollback()  # what a request's transaction does when the call raises
    with factory() as fresh:
        family = fresh.scalars(select(RefreshToken).where(RefreshToken.user_id == ann.id)).all()
        assert len(family) == 2
        assert all(row.revoked_at is not None for row in family)
    with pytest.raises(InvalidToken, match="signed out"):
        refresh(session, second.refresh_token, secrets)


def test_reuse_detected_inside_an_uncommitted_transaction_revokes_the_chain_there(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    first = issue_token_pair(session, make_user("ann"), secrets)
    second = refresh(session, first.refresh_token, secrets)
    with pytest.raises(InvalidToken, match="already used"):
        refresh(session, first.refresh_token, secrets)
    with pytest.raises(InvalidToken, match="signed out"):
        refresh(session, second.refresh_token, secrets)


def test_other_families_survive_a_reuse_in_one_family(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = committed_user(session, make_user)
    phone = issue_token_pair(session, ann, secrets)
    laptop = issue_token_pair(session, ann, secrets)
    refresh(session, phone.refresh_token, secrets)
    session.commit()
    with pytest.raises(InvalidToken):
        refresh(session, phone.refresh_token, secrets)
    assert refresh(session, laptop.refresh_token, secrets).access_token


def test_an_expired_refresh_token_is_refused(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = make_user("ann")
    past = datetime.now(UTC) - timedelta(days=8)
    token = sign(
        claims(typ="refresh", sub=str(ann.id), iat=past, nbf=past, exp=past + REFRESH_TTL),
        secrets,
    )
    with pytest.raises(InvalidToken, match="expired"):
        refresh(session, token, secrets)


def test_a_validly_signed_refresh_token_unknown_to_the_database_is_refused(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    token = sign(claims(typ="refresh", sub=str(make_user("ann").id)), secrets)
    with pytest.raises(InvalidToken, match="invalid"):
        refresh(session, token, secrets)


def test_a_refresh_token_whose_subject_was_changed_is_refused(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    pair = issue_token_pair(session, ann, secrets)
    stolen = jwt.decode(pair.refresh_token, options={"verify_signature": False})
    with pytest.raises(InvalidToken, match="invalid"):
        refresh(session, sign({**stolen, "sub": str(bob.id)}, secrets), secrets)


def test_an_inactive_user_cannot_refresh(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = make_user("ann")
    pair = issue_token_pair(session, ann, secrets)
    ann.is_active = False
    session.flush()
    with pytest.raises(InvalidToken, match="not active"):
        refresh(session, pair.refresh_token, secrets)


def test_logout_revokes_the_family_so_its_refresh_tokens_stop_working(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = make_user("ann")
    first = issue_token_pair(session, ann, secrets)
    second = refresh(session, first.refresh_token, secrets)
    other = issue_token_pair(session, ann, secrets)
    logout(session, second.refresh_token, secrets)
    logout(session, second.refresh_token, secrets)  # idempotent
    with pytest.raises(InvalidToken, match="signed out"):
        refresh(session, second.refresh_token, secrets)
    assert refresh(session, other.refresh_token, secrets).access_token
    # Access tokens are not revoked: they are short-lived and checked by signature alone.
    assert verify_access(second.access_token, secrets).user_id == ann.id


def test_logout_without_secrets_revokes_by_the_token_id(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    pair = issue_token_pair(session, make_user("ann"), secrets)
    logout(session, pair.refresh_token)
    with pytest.raises(InvalidToken, match="signed out"):
        refresh(session, pair.refresh_token, secrets)
    with pytest.raises(InvalidToken, match="not a refresh token"):
        logout(session, pair.access_token)
    with pytest.raises(InvalidToken, match="invalid"):
        logout(session, "garbage")


def test_logout_refuses_a_forged_token_when_secrets_are_given(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    pair = issue_token_pair(session, make_user("ann"), secrets)
    with pytest.raises(InvalidToken):
        logout(session, pair.refresh_token, Secrets.generate())
    assert refresh(session, pair.refresh_token, secrets).access_token


def test_logout_accepts_an_expired_refresh_token(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann = make_user("ann")
    issue_token_pair(session, ann, secrets)
    row = session.scalars(select(RefreshToken)).one()
    past = datetime.now(UTC) - timedelta(days=8)
    expired = sign(
        claims(typ="refresh", sub=str(ann.id), jti=row.jti, iat=past, nbf=past, exp=past),
        secrets,
    )
    logout(session, expired, secrets)
    session.refresh(row)
    assert row.revoked_at is not None


def test_revoke_all_sessions_ends_every_family_of_the_user(
    session: Session, make_user: MakeUser, secrets: Secrets
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    pairs = [issue_token_pair(session, ann, secrets) for _ in range(3)]
    bobs = issue_token_pair(session, bob, secrets)
    assert revoke_all_sessions(session, ann) == 3
    for pair in pairs:
        with pytest.raises(InvalidToken, match="signed out"):
            refresh(session, pair.refresh_token, secrets)
    assert refresh(session, bobs.refresh_token, secrets).access_token
