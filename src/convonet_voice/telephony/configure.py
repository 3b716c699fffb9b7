"""``convonet-voice twilio configure``: point a Twilio number's voice webhooks at this app."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import typer
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from convonet_voice.settings import VoiceSettings
from convonet_voice.telephony.routes import PREFIX

logger = logging.getLogger("convonet.telephony")

app = typer.Typer(
    name="twilio", help="Twilio phone numbers.", no_args_is_help=True, add_completion=False
)


class ConfigureError(RuntimeError):
    """The number could not be configured; the message says why, without secrets."""


@dataclass(frozen=True)
class Configured:
    """What the number now calls."""

    sid: str
    phone_number: str
    voice_url: str
    status_callback: str


def twilio_client(settings: VoiceSettings) -> Client:
    """Return a REST client for the configured account (at ``twilio_api_base`` when set).

    Raises:
        ConfigureError: the account sid or auth token is missing.
    """
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    if not settings.twilio_account_sid or not token:
        raise ConfigureError("Set CONVONET_TWILIO_ACCOUNT_SID and CONVONET_TWILIO_AUTH_TOKEN.")
    client = Client(settings.twilio_account_sid, token)
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base.rstrip("/")
    return client


def configure_number(settings: VoiceSettings, number: str) -> Configured:
    """Set the number's voice URL and status callback to ``CONVONET_PUBLIC_URL``'s webhooks.

    Args:
        settings: Supplies the account, the auth token and the public URL.
        number: The Twilio number in E.164 form, e.g. +14155552671.

    Raises:
        ConfigureError: settings are missing, the account has no such number, or
            Twilio refused the change.
    """
    if not settings.public_url:
        raise ConfigureError("Set CONVONET_PUBLIC_URL to the address Twilio can reach.")
    base = settings.public_url.rstrip("/") + PREFIX
    client = twilio_client(settings)
    try:
        found = client.incoming_phone_numbers.list(phone_number=number, limit=2)
        if not found:
            raise ConfigureError(f"The Twilio account has no number {number}.")
        updated = client.incoming_phone_numbers(str(found[0].sid)).update(
            voice_url=f"{base}/call",
            voice_method="POST",
            status_callback=f"{base}/status",
            status_callback_method="POST",
        )
    except TwilioException as exc:
        raise ConfigureError(f"Twilio refused the change: {exc}") from exc
    logger.info("Configured Twilio number %s", updated.sid)
    return Configured(
        sid=str(updated.sid),
        phone_number=str(updated.phone_number),
        voice_url=str(updated.voice_url),
        status_callback=str(updated.status_callback),
    )


@app.command()
def configure(
    number: str = typer.Option(..., "--number", help="The Twilio number, e.g. +14155552671."),
) -> None:
    """Point the number's voice webhooks at CONVONET_PUBLIC_URL."""
    try:
        done = configure_number(VoiceSettings(), number)
    except ConfigureError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{done.phone_number} ({done.sid}) now calls {done.voice_url}")
    typer.echo(f"Call status goes to {done.status_callback}")
