"""Account endpoints: register, log in, refresh, log out, and the caller's profile.

Login and refresh return both tokens in the body and also set the refresh token as an
HttpOnly, SameSite=Strict cookie scoped to ``/api/auth``, so a browser page can keep the
access token in memory only and renew it without ever holding the refresh token.
"""

from __future__ import annotations

import logging

from convonet_mcp.auth import jwt
from convonet_mcp.errors import Forbidden, InvalidInput
from convonet_mcp.services import accounts
from convonet_voice.api.deps import client_ip
from convonet_voice.api.errors import TooManyRequests, Unauthorized
from convonet_voice.api.kit import Api, Call, Cookie
from convonet_voice.api.schemas import (
    LoginIn,
    ProfileIn,
    ProfileOut,
    RefreshIn,
    RegisterIn,
    TokensOut,
)

logger = logging.getLogger("convonet.api")

api = Api()
TAG = "auth"
REFRESH_COOKIE = "convonet_refresh"
COOKIE_PATH = "/api/auth"


def _issue(call: Call, pair: jwt.TokenPair) -> TokensOut:
    max_age = int(jwt.REFRESH_TTL.total_seconds())
    call.cookies.append(Cookie(REFRESH_COOKIE, pair.refresh_token, COOKIE_PATH, max_age))
    return TokensOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )


def _refresh_token(call: Call, given: str | None) -> str | None:
    return given or call.request.cookies.get(REFRESH_COOKIE) or None


@api.route(
    "POST",
    "/api/auth/register",
    summary="Create an account",
    tag=TAG,
    body=RegisterIn,
    response=ProfileOut,
    status=201,
    auth=False,
    errors=(409, 422),
)
def register(call: Call) -> ProfileOut:
    """Create an account; log in afterwards to get tokens."""
    data = call.body(RegisterIn)
    user = accounts.register_user(
        call.session,
        email=data.email,
        username=data.username,
        password=data.password,
        first_name=data.first_name,
        last_name=data.last_name,
        timezone=data.timezone,
        phone=data.phone or None,
        voice_pin=data.voice_pin or None,
        secrets=call.services.secrets,
    )
    return ProfileOut.of(user)


@api.route(
    "POST",
    "/api/auth/login",
    summary="Log in with email or username and password",
    tag=TAG,
    body=LoginIn,
    response=TokensOut,
    auth=False,
    errors=(401, 422, 429),
)
def login(call: Call) -> TokensOut:
    """Check the password and return a fresh token pair (rate-limited per client address)."""
    data = call.body(LoginIn)
    limit, ip = call.services.login_limit, client_ip(call.request)
    if limit.exceeded(ip):
        raise TooManyRequests(
            "Too many login attempts from your address; try again later.", limit.retry_after(ip)
        )
    limit.hit(ip)
    user = accounts.authenticate(call.session, login=data.login, password=data.password)
    logger.info("User %s logged in", user.id)
    return _issue(call, jwt.issue_token_pair(call.session, user, call.services.secrets))


@api.route(
    "POST",
    "/api/auth/refresh",
    summary="Rotate a refresh token (from the body or the cookie) into a new pair",
    tag=TAG,
    body=RefreshIn,
    response=TokensOut,
    auth=False,
    errors=(401, 422),
)
def refresh(call: Call) -> TokensOut:
    """Rotate the refresh token; a reused one revokes its whole chain."""
    token = _refresh_token(call, call.body(RefreshIn).refresh_token)
    if token is None:
        raise Unauthorized("No refresh token: log in again.")
    return _issue(call, jwt.refresh(call.session, token, call.services.secrets))


@api.route(
    "POST",
    "/api/auth/logout",
    summary="Revoke the refresh token's chain and clear the cookie",
    tag=TAG,
    body=RefreshIn,
    status=204,
    auth=False,
    errors=(401, 422),
)
def logout(call: Call) -> None:
    """Sign this session out everywhere its refresh chain reaches (idempotent)."""
    token = _refresh_token(call, call.body(RefreshIn).refresh_token)
    if token is not None:
        jwt.logout(call.session, token, call.services.secrets)
    call.cookies.append(Cookie(REFRESH_COOKIE, None, COOKIE_PATH))


@api.route(
    "GET",
    "/api/auth/profile",
    summary="The caller's profile",
    tag=TAG,
    response=ProfileOut,
    errors=(401,),
)
def get_profile(call: Call) -> ProfileOut:
    """Return the caller's own account."""
    return ProfileOut.of(call.actor)


@api.route(
    "PUT",
    "/api/auth/profile",
    summary="Change name, timezone, phone, or the voice PIN (with the current password)",
    tag=TAG,
    body=ProfileIn,
    response=ProfileOut,
    errors=(401, 403, 409, 422),
)
def update_profile(call: Call) -> ProfileOut:
    """Change the given fields; a new PIN needs the current password."""
    data = call.body(ProfileIn)
    if data.new_pin is not None and not data.current_password:
        raise InvalidInput("To change the voice PIN, give your current password too.")
    user = accounts.update_profile(
        call.session,
        call.actor,
        first_name=data.first_name,
        last_name=data.last_name,
        timezone=data.timezone,
        phone=data.phone,
    )
    if data.new_pin is not None and data.current_password:
        try:
            accounts.change_pin(
                call.session,
                user,
                current_password=data.current_password,
                new_pin=data.new_pin,
                secrets=call.services.secrets,
            )
        except accounts.AuthenticationFailed as exc:
            raise Forbidden(exc.message) from exc
    return ProfileOut.of(user)
