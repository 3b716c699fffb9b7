"""``convonet-mcp token …``: bearer tokens for the MCP HTTP transport."""

from __future__ import annotations

from typing import Annotated

import typer

from convonet_mcp.auth.tokens import create_api_token, list_api_tokens, revoke_api_token
from convonet_mcp.cli_common import open_session, print_table, settings_of
from convonet_mcp.cli_users import user_by_email

token_app = typer.Typer(help="Bearer tokens for `serve --transport http`.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``token`` subcommands to ``app``."""
    app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Email of the account the token acts as.")],
    name: Annotated[str, typer.Option(help="A label, e.g. the host it is for.")] = "",
) -> None:
    """Create a token. It is printed once on standard output and stored only as a hash."""
    with open_session(settings_of(ctx)) as session:
        token, plaintext = create_api_token(session, user_by_email(session, user), name=name)
        token_id = str(token.id)
    typer.echo(f"Token {token_id[:8]} created for {user}; it will not be shown again.", err=True)
    typer.echo(plaintext)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token id, or its first 8+ hex digits.")],
) -> None:
    """Revoke a token; requests using it get 401 from then on."""
    with open_session(settings_of(ctx)) as session:
        full = len(token_id.replace("-", "")) == 32
        token = revoke_api_token(
            session, token_id=token_id if full else None, prefix=None if full else token_id
        )
        typer.echo(f"Revoked token {str(token.id)[:8]}.", err=True)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Email of the account.")],
    all_: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
) -> None:
    """List a user's tokens (ids and labels; the tokens themselves are never kept)."""
    with open_session(settings_of(ctx)) as session:
        tokens = list_api_tokens(session, user_by_email(session, user), include_revoked=all_)
        rows = [
            [
                str(t.id)[:8],
                t.name or "-",
                t.created_at.isoformat(timespec="minutes"),
                t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never",
                "revoked" if t.revoked_at else "active",
            ]
            for t in tokens
        ]
    print_table(["ID", "NAME", "CREATED", "LAST USED", "STATE"], rows)
