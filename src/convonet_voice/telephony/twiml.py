"""TwiML builders over ``twilio.twiml.voice_response``: prompts, goodbyes, holding lines."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from convonet_voice.settings import VoiceSettings

MEDIA_TYPE = "text/xml"
MAX_HINTS = 100
MAX_HINT_LENGTH = 100


def xml(response: VoiceResponse) -> str:
    """Render a TwiML document with its XML declaration."""
    return str(response.to_xml())


def twiml_response(body: VoiceResponse | str) -> Response:
    """Wrap TwiML (a document or its rendered text) in an HTTP response."""
    text = body if isinstance(body, str) else xml(body)
    return Response(text, media_type=MEDIA_TYPE)


def say(parent: VoiceResponse | Gather, text: str, settings: VoiceSettings) -> None:
    """Append a ``<Say>`` in the configured voice."""
    parent.say(text, voice=settings.twilio_voice)


def hint_text(phrases: Iterable[str]) -> str | None:
    """Join speech hints the way ``<Gather hints>`` wants them: short, unique, comma-free."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        clean = " ".join(phrase.replace(",", " ").split())[:MAX_HINT_LENGTH]
        if clean and clean.lower() not in {s.lower() for s in seen}:
            seen[clean] = None
        if len(seen) >= MAX_HINTS:
            break
    return ", ".join(seen) or None


def ask(
    settings: VoiceSettings,
    *,
    prompt: str,
    action: str,
    hints: Iterable[str] = (),
    finish_on_key: str | None = None,
    lead: Iterable[str] = (),
    timeout: int = 6,
) -> VoiceResponse:
    """Say ``lead`` lines, then listen for speech or keys while saying ``prompt``.

    The ``<Gather>`` uses speechTimeout auto and barge-in, and posts to ``action`` even
    on silence (``actionOnEmptyResult``) so the app can reprompt.

    Args:
        settings: Supplies the voice.
        prompt: Said inside the Gather; the caller may interrupt it.
        action: Absolute URL the result is posted to.
        hints: Speech recognition hints (names the caller is likely to say).
        finish_on_key: Key that ends keypad entry ("#" for PINs); None disables it.
        lead: Lines said before listening (not interruptible).
        timeout: Seconds of silence before the Gather gives up.
    """
    response = VoiceResponse()
    for line in lead:
        say(response, line, settings)
    gather = Gather(
        input="speech dtmf",
        action=action,
        method="POST",
        speech_timeout="auto",
        timeout=timeout,
        barge_in=True,
        action_on_empty_result=True,
        finish_on_key=finish_on_key if finish_on_key is not None else "",
        hints=hint_text(hints),
    )
    say(gather, prompt, settings)
    response.append(gather)
    return response


def goodbye(settings: VoiceSettings, *lines: str) -> VoiceResponse:
    """Say ``lines`` and hang up."""
    response = VoiceResponse()
    for line in lines:
        say(response, line, settings)
    response.hangup()
    return response


def hold(settings: VoiceSettings, line: str, redirect: str) -> VoiceResponse:
    """Say a short holding line, then continue at ``redirect``."""
    response = VoiceResponse()
    say(response, line, settings)
    response.redirect(redirect, method="POST")
    return response
