"""Map domain errors to HTTP: one JSON shape, ``{"error": {"code", "message"}}``, everywhere.

::

    ConvonetError subclass          status
    NotFound                        404
    Forbidden                       403
    Conflict                        409
    InvalidInput (and Ambiguous)    422
    InvalidToken, Unauthorized,
    AuthenticationFailed, PinRejected 401
    BodyTooLarge                    413
    TooManyRequests                 429
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from convonet_mcp.auth.jwt import InvalidToken
from convonet_mcp.errors import Conflict, ConvonetError, Forbidden, InvalidInput, NotFound
from convonet_mcp.services.accounts import AuthenticationFailed, PinRejected

logger = logging.getLogger("convonet.api")


class Unauthorized(ConvonetError):
    """No valid credentials came with the request, or the login failed."""

    code = "unauthorized"


class BodyTooLarge(ConvonetError):
    """The request body is larger than ``max_body_bytes``."""

    code = "body_too_large"


class TooManyRequests(ConvonetError):
    """A rate limit ran out; ``retry_after`` says when to try again."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


STATUS: list[tuple[type[ConvonetError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (InvalidInput, 422),
    (InvalidToken, 401),
    (Unauthorized, 401),
    (AuthenticationFailed, 401),
    (PinRejected, 401),
    (BodyTooLarge, 413),
    (TooManyRequests, 429),
]


def status_of(exc: ConvonetError) -> int:
    """Return the HTTP status of a domain error (400 for an unmapped subclass)."""
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Build the one JSON error shape every endpoint answers with."""
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConvonetError)
    status = status_of(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="convonet"'
    if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after.total_seconds())))
    return error_response(status, exc.code, exc.message, headers)


def describe_validation(exc: ValidationError) -> str:
    """Turn pydantic's errors into one readable sentence that never echoes the input."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "Invalid request. " + "; ".join(parts) + "."


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    return error_response(422, "invalid_input", describe_validation(exc))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("Unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "Something went wrong on our side.")


def exception_handlers() -> dict[Any, Any]:
    """The handlers to pass to ``Starlette(exception_handlers=...)``."""
    return {
        ConvonetError: _domain_error,
        ValidationError: _validation_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
