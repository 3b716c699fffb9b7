"""``convonet-voice chat``: a scripted terminal conversation with the agent, signed in."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agent_support import seed_people
from convonet_mcp.auth import load_secrets
from convonet_mcp.auth.passwords import hash_password
from convonet_mcp.models import Todo
from convonet_mcp.services.accounts import set_pin
from convonet_voice.cli import app
from convonet_voice.settings import VoiceSettings


@pytest.fixture
def chat_env(database_url, tmp_path, monkeypatch, session, make_user, make_team):
    """Ann with a password and a voice PIN; the CLI reads the same database and data dir."""
    people = seed_people(session, make_user, make_team)
    settings = VoiceSettings(database_url=database_url, data_dir=tmp_path)
    people.ann.password_hash = hash_password("correct horse battery")
    set_pin(session, people.ann, pin="482913", secrets=load_secrets(settings))
    session.commit()
    for name, value in {
        "CONVONET_DATABASE_URL": database_url,
        "CONVONET_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("CONVONET_ANTHROPIC_API_KEY", "CONVONET_MCP_URL", "CONVONET_MCP_SERVERS_FILE"):
        monkeypatch.delenv(name, raising=False)
    return people


def test_chat_reads_the_password_then_one_utterance_per_line_and_shows_tool_calls(
    chat_env, factory
):
    script = "correct horse battery\nAdd a todo to buy milk\nShow my todos\nquit\nignored\n"
    result = CliRunner().invoke(app, ["chat", "--user", "ann@example.com"], input=script)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Signed in as Ann Tester. Say quit or press Ctrl-D to leave."
    assert '  · create_todo {"title": "Buy milk"}' in lines
    assert 'convonet> Created "Buy milk".' in lines
    assert any(line.startswith("convonet> 2 open todos:") for line in lines)
    assert "ignored" not in result.output
    with factory() as s:
        assert s.scalar(select(Todo.creator_id).where(Todo.title == "Buy milk")) == chat_env.ann.id


def test_chat_signs_in_with_a_voice_pin_and_can_hand_over_to_a_person(chat_env):
    script = "482913\nLet me talk to a person\n"
    result = CliRunner().invoke(app, ["chat", "--user", "ann@example.com"], input=script)
    assert result.exit_code == 0, result.output
    assert "[transfer to support, extension 2001]" in result.output.splitlines()


def test_chat_refuses_a_wrong_password_without_saying_whether_the_account_exists(chat_env):
    wrong = CliRunner().invoke(app, ["chat", "--user", "ann@example.com"], input="nope\nhi\n")
    nobody = CliRunner().invoke(app, ["chat", "--user", "zed@example.com"], input="nope\nhi\n")
    assert wrong.exit_code == nobody.exit_code == 1
    assert wrong.output == nobody.output
    assert "Error:" in wrong.output and "convonet>" not in wrong.output
