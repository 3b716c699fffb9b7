"""``convonet-voice serve``: run the web app with uvicorn, optionally loading the demo data."""

from __future__ import annotations

import logging

import typer

from convonet_mcp.auth.secrets import SecretsError, load_secrets
from convonet_mcp.cli_common import describe_database, fail, open_session, say
from convonet_mcp.demo import load_demo
from convonet_mcp.logging_setup import configure_logging
from convonet_voice.settings import VoiceSettings

logger = logging.getLogger("convonet.voice")


def _load_demo(settings: VoiceSettings) -> None:
    with open_session(settings) as session:
        result = load_demo(session, secrets=load_secrets(settings))
    state = "loaded" if result.created else "was already loaded"
    say(f"Demo data {state} in {describe_database(settings)}. Log in with:")
    for person in result.people:
        say(f"  {person.email:<18} or username {person.username}")
    say(f"  password: {result.password}   (voice PIN {result.pin}; shared by every demo account)")


def serve(
    host: str | None = typer.Option(None, help="Address (default CONVONET_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default CONVONET_PORT, 8000)."),
    demo: bool = typer.Option(False, "--demo", help="Load the demo data first; show its logins."),
    proxy_headers: bool = typer.Option(
        False, help="Trust X-Forwarded-For from a local reverse proxy for client addresses."
    ),
) -> None:
    """Serve the REST API and the team dashboard."""
    settings = VoiceSettings()
    configure_logging(settings.log_level)
    host = host or settings.host
    port = port or settings.port
    try:
        load_secrets(settings)
        if demo:
            _load_demo(settings)
    except SecretsError as exc:
        fail(str(exc))

    import uvicorn

    from convonet_voice.agent.gc_tuning import tune_for_conversations
    from convonet_voice.app import create_app

    app = create_app(settings)
    tune_for_conversations()  # after the heavy imports: long-lived conversations, short GC pauses
    say(f"Team dashboard: http://{host}:{port}/team-dashboard   (API: /api/openapi.json)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
