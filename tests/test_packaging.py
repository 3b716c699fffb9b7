"""The wheel a user installs carries its migrations, and Claude Desktop's config starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from fastmcp import Client

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "convonet-mcp"


def _build_wheel(tmp_path: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("convonet-*.whl")
    return wheel


def test_the_wheel_ships_the_migrations_and_a_wheel_install_creates_its_database(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "convonet_mcp/migrations/env.py" in names
    assert any(n.startswith("convonet_mcp/migrations/versions/0001") for n in names)
    assert "convonet_mcp/server.py" in names and "convonet_voice/__init__.py" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVONET_")}
    env.update(PYTHONPATH=str(target), CONVONET_DATA_DIR=str(tmp_path / "data"))
    code = (
        "import convonet_mcp, sys; assert convonet_mcp.__file__.startswith(sys.argv.pop(1));"
        "from convonet_mcp.cli import main; main()"
    )
    for command in (["user", "list"], ["db", "current"]):  # first use migrates the SQLite file
        done = subprocess.run(
            [sys.executable, "-c", code, str(target), *command],
            env=env, capture_output=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
    assert b"0001 (head)" in done.stdout


async def test_the_claude_desktop_config_example_starts_the_server(tmp_path, database_url):
    config = json.loads((ROOT / "clients" / "claude_desktop_config.json").read_text())
    server = config["mcpServers"]["convonet"]
    assert server["command"].endswith("/bin/convonet-mcp") and server["args"] == []
    server["command"] = str(BIN)  # what the README tells a user to paste in
    server["env"].pop("CONVONET_USER")  # no account yet: a local owner is created
    server["env"].update(CONVONET_DATABASE_URL=database_url, CONVONET_DATA_DIR=str(tmp_path))
    async with Client(config) as client:
        tools = await client.list_tools()
        profile = await client.call_tool("get_my_profile", {})
    assert len(tools) == 38
    assert profile.structured_content["me"]["email"].endswith("@localhost")
