"""The server over a real stdio subprocess and over real Streamable HTTP with bearer tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from convonet_mcp.auth.tokens import create_api_token, revoke_api_token
from convonet_mcp.models import Todo, User
from mcp_helpers import call, error_of

BIN = Path(sys.executable).parent / "convonet-mcp"
READY_TIMEOUT = 30.0


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVONET_")}
    env.update(CONVONET_DATABASE_URL=database_url, CONVONET_DATA_DIR=str(tmp_path), **extra)
    return env


async def test_stdio_serves_the_tools_as_the_configured_user(
    database_url, tmp_path, session, make_user
):
    ann = make_user("ann")
    session.commit()
    transport = StdioTransport(
        str(BIN), [], env=_env(database_url, tmp_path, CONVONET_USER="ann@example.com"),
        log_file=tmp_path / "stderr.log",
    )  # fmt: skip
    async with Client(transport) as client:
        assert len(await client.list_tools()) == 38
        made = await call(client, "create_todo", title="Sent over stdio")
        assert (await call(client, "get_my_profile"))["me"]["email"] == "ann@example.com"
    session.expire_all()
    assert session.get(Todo, __import__("uuid").UUID(made["todo"]["id"])).creator_id == ann.id
    assert "Sent over stdio" not in (tmp_path / "stderr.log").read_text()


async def test_stdio_without_a_configured_user_creates_a_local_owner_once(
    database_url, tmp_path, session
):
    env = _env(database_url, tmp_path)
    for _ in range(2):
        async with Client(StdioTransport(str(BIN), [], env=env)) as client:
            me = await call(client, "get_my_profile")
    assert me["me"]["email"].endswith("@localhost")
    assert session.query(User).count() == 1


def test_stdio_with_an_unknown_user_fails_with_a_clear_message(database_url, tmp_path):
    env = _env(database_url, tmp_path, CONVONET_USER="nobody@example.com")
    done = subprocess.run([str(BIN)], env=env, input=b"", capture_output=True, timeout=60)
    assert done.returncode != 0
    assert b"nobody@example.com" in done.stderr and b"Traceback" not in done.stderr
    assert done.stdout == b""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """``convonet-mcp serve --transport http`` in a subprocess; yields the /mcp URL."""
    port = _free_port()
    log = (tmp_path / "http.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN), "serve", "--transport", "http", "--port", str(port)],
        env=_env(database_url, tmp_path), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "http.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        pytest.fail("HTTP server did not start")
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


INIT = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "t", "version": "1"}},
}  # fmt: skip
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_http_without_or_with_a_bad_token_gets_401_with_www_authenticate(http_server):
    for auth in (
        {},
        {"Authorization": "Bearer cvn_not-a-real-token"},
        {"Authorization": "Basic x"},
    ):
        response = httpx.post(http_server, json=INIT, headers={**HEADERS, **auth})
        assert response.status_code == 401, auth
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_http_rejects_a_foreign_origin(http_server, session, make_user):
    _, token = create_api_token(session, make_user("ann"))
    session.commit()
    headers = {**HEADERS, "Authorization": f"Bearer {token}", "Origin": "https://evil.example"}
    assert httpx.post(http_server, json=INIT, headers=headers).status_code == 403


async def test_http_tokens_act_as_their_owner_and_stop_working_when_revoked(
    http_server, session, make_user
):
    ann, bob = make_user("ann"), make_user("bob")
    ann_token_row, ann_token = create_api_token(session, ann, name="laptop")
    _, bob_token = create_api_token(session, bob)
    session.commit()
    async with Client(StreamableHttpTransport(http_server, auth=ann_token)) as client:
        assert len(await client.list_tools()) == 38
        todo = (await call(client, "create_todo", title="Ann's secret plan"))["todo"]
    async with Client(StreamableHttpTransport(http_server, auth=bob_token)) as client:
        assert (await call(client, "get_my_profile"))["me"]["email"] == "bob@example.com"
        assert "No todo" in await error_of(client, "get_todo", todo_id=todo["id"])
        assert (await call(client, "get_todos"))["todos"] == []
    revoke_api_token(session, token_id=ann_token_row.id)
    session.commit()
    response = httpx.post(
        http_server, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {ann_token}"}
    )
    assert response.status_code == 401
