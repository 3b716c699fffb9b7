"""Check X-Twilio-Signature on every webhook against the public URL and all posted parameters."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from convonet_voice.settings import VoiceSettings

logger = logging.getLogger("convonet.telephony")

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url_of(request: Request, settings: VoiceSettings) -> str:
    """Return the URL Twilio called: ``CONVONET_PUBLIC_URL`` + path + query.

    Behind a proxy the URL the app sees (``http://10.0.0.5:8000/...``) is not the one
    Twilio signed, so the configured public base URL replaces scheme, host and port.
    Without one, the request's own URL is used.
    """
    if not settings.public_url:
        return str(request.url)
    url = settings.public_url.rstrip("/") + request.url.path
    query = request.url.query
    return f"{url}?{query}" if query else url


def webhook_url(settings: VoiceSettings, path: str) -> str:
    """Return the absolute public URL of a webhook path (for TwiML actions and redirects)."""
    return (settings.public_url or "").rstrip("/") + path


async def verified_form(request: Request, settings: VoiceSettings) -> FormData:
    """Read the posted form (URL-encoded) and check Twilio's signature over it.

    Args:
        request: The webhook request.
        settings: Supplies the auth token, the public URL and the body size limit.

    Returns:
        The posted parameters.

    Raises:
        HTTPException: 403 when the signature is missing or wrong, or no auth token is
            configured; 413 when the body is larger than ``max_body_bytes``.
    """
    signature = request.headers.get(SIGNATURE_HEADER)
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    if not token:
        logger.error("Refused a Twilio webhook: CONVONET_TWILIO_AUTH_TOKEN is not set")
        raise HTTPException(403, "Forbidden")
    if not signature:
        logger.warning("Refused a Twilio webhook to %s: no signature", request.url.path)
        raise HTTPException(403, "Forbidden")
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.max_body_bytes:
            raise HTTPException(413, "Request body too large")
        chunks.append(chunk)
    try:
        pairs = parse_qsl(b"".join(chunks).decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise HTTPException(403, "Forbidden") from None
    form = FormData([(name, value) for name, value in pairs])
    validator = RequestValidator(token)
    if not validator.validate(public_url_of(request, settings), form, signature):
        logger.warning("Refused a Twilio webhook to %s: bad signature", request.url.path)
        raise HTTPException(403, "Forbidden")
    return form
