"""``convonet_mcp`` imports and runs without any of the voice app's dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Only what the voice app alone needs: fastmcp itself brings starlette, uvicorn and httpx.
VOICE_ONLY = ("langgraph", "langchain", "twilio", "deepgram", "anthropic", "convonet_voice")

BLOCKER = textwrap.dedent(
    f"""
    import importlib
    import importlib.abc
    import sys

    VOICE_ONLY = {VOICE_ONLY!r}


    def blocked(name):
        root = name.partition(".")[0]
        return root in VOICE_ONLY or root.startswith("langchain")


    class BlockVoiceDependencies(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if blocked(name):
                raise ImportError(f"{{name}} is blocked: convonet_mcp must not need it")
            return None


    sys.meta_path.insert(0, BlockVoiceDependencies())
    """
)


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVONET_DATA_DIR": str(tmp_path / "data")}
    env.pop("CONVONET_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_the_blocker_really_refuses_voice_packages(tmp_path):
    result = _run(
        """
        for name in ("convonet_voice", "langchain_core", "twilio.rest"):
            try:
                importlib.import_module(name)
            except ImportError as exc:
                print("blocked", name, "blocked" in str(exc))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "blocked convonet_voice True",
        "blocked langchain_core True",
        "blocked twilio.rest True",
    ]


def test_every_convonet_mcp_module_imports_without_voice_dependencies(tmp_path):
    result = _run(
        """
        import pkgutil

        import convonet_mcp

        def fail(name):
            raise


        names = [convonet_mcp.__name__]
        for info in pkgutil.walk_packages(convonet_mcp.__path__, "convonet_mcp.", onerror=fail):
            importlib.import_module(info.name)
            names.append(info.name)
        assert not [m for m in sys.modules if blocked(m)], "a voice module got imported"
        print("\\n".join(names))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    imported = set(result.stdout.split())
    assert {"convonet_mcp.cli", "convonet_mcp.db", "convonet_mcp.models"} <= imported


def test_convonet_mcp_help_runs_without_voice_dependencies(tmp_path):
    result = _run(
        """
        from convonet_mcp.cli import main

        sys.argv = ["convonet-mcp", "--help"]
        main()
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: convonet-mcp" in result.stdout
    assert "db" in result.stdout
