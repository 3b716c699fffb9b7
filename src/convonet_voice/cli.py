"""The ``convonet-voice`` command line (the voice app's subcommands are added here)."""

from __future__ import annotations

import typer

from convonet_mcp import __version__
from convonet_voice.chat import chat
from convonet_voice.serve import serve
from convonet_voice.telephony.configure import app as twilio_app

app = typer.Typer(
    name="convonet-voice",
    help="Convonet voice app: phone and browser voice front end over the Convonet MCP server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(twilio_app, name="twilio")
app.command("serve")(serve)


@app.callback()
def root() -> None:
    """Convonet voice app: phone and browser voice front end over the Convonet MCP server."""


app.command("chat")(chat)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"convonet-voice {__version__}")


def main() -> None:
    """Entry point of the ``convonet-voice`` console script."""
    app()
