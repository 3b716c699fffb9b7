"""``convonet-voice chat``: talk to the agent from a terminal, as one signed-in user.

Interactive on a terminal (a hidden password or PIN prompt, then ``you>`` prompts). When
standard input is not a terminal, the first line is the password or PIN and every further
line is one utterance, so conversations can be scripted.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import sys
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, TextIO

import typer

from convonet_mcp.db import engine_from_settings, session_factory, transaction
from convonet_mcp.errors import ConvonetError
from convonet_mcp.models import Channel, User
from convonet_voice.settings import VoiceSettings

logger = logging.getLogger("convonet.chat")

PIN_LENGTHS = range(4, 9)
QUIT = {"quit", "exit", "bye", "goodbye"}


def sign_in(settings: VoiceSettings, factory: Any, login: str, secret: str) -> User:
    """Check a password, or a voice PIN when ``secret`` is 4-8 digits and the user has one.

    Raises:
        ConvonetError: wrong credentials, unknown account, locked PIN login.
    """
    from convonet_mcp.auth import load_secrets
    from convonet_mcp.auth.limits import make_store
    from convonet_mcp.services import accounts

    secrets = load_secrets(settings)
    with transaction(factory) as session:
        user = accounts.find_account(session, identifier=login)
        if secret.isdigit() and len(secret) in PIN_LENGTHS and user and user.voice_pin_hash:
            store = make_store(settings)
            try:
                accounts.verify_pin(
                    session,
                    user=user,
                    pin=secret,
                    secrets=secrets,
                    caller="terminal",
                    store=store,
                    max_failures=settings.pin_max_failures,
                    lock_minutes=settings.pin_lock_minutes,
                )
            finally:
                store.close()
            return user
        return accounts.authenticate(session, login=login, password=secret, secrets=secrets)


def _utterances(stream: TextIO, interactive: bool) -> Iterator[str]:
    while True:
        try:
            line = input("you> ") if interactive else stream.readline()
        except EOFError:
            return
        if not interactive and not line:
            return
        text = line.strip()
        if text.lower() in QUIT:
            return
        if text:
            yield text


def _show_tool(name: str, arguments: dict[str, Any]) -> None:
    typer.secho(f"  · {name} {json.dumps(arguments, default=str)}", fg=typer.colors.BRIGHT_BLACK)


async def converse(settings: VoiceSettings, factory: Any, user: User, lines: Iterator[str]) -> None:
    """Run one conversation: each line is a turn; the reply streams sentence by sentence."""
    from convonet_voice.agent import TransferIntent, open_agent

    agent = await open_agent(settings, factory, on_tool_call=_show_tool)
    conversation = f"chat-{uuid.uuid4().hex}"
    try:
        if not agent.has_model:
            typer.echo("(No Anthropic API key: simple commands only.)")
        for text in lines:
            stream = agent.stream(
                user_id=user.id, conversation_id=conversation, channel=Channel.mcp, text=text
            )
            async for item in stream:
                if isinstance(item, TransferIntent):
                    typer.echo(f"[transfer to {item.department}, extension {item.extension}]")
                else:
                    typer.echo(f"convonet> {item}")
    finally:
        await agent.end(conversation)
        await agent.aclose()


def chat(
    user: Annotated[str, typer.Option("--user", help="Email or username to sign in as.")],
) -> None:
    """Talk to the assistant in the terminal (password or voice PIN), with or without a key."""
    settings = VoiceSettings()
    engine = engine_from_settings(settings)
    try:
        factory = session_factory(engine)
        interactive = sys.stdin.isatty()
        secret = (
            getpass.getpass("Password or PIN: ") if interactive else sys.stdin.readline().strip()
        )
        try:
            account = sign_in(settings, factory, user, secret)
        except ConvonetError as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"Signed in as {account.full_name}. Say quit or press Ctrl-D to leave.")
        asyncio.run(converse(settings, factory, account, _utterances(sys.stdin, interactive)))
    finally:
        engine.dispose()
