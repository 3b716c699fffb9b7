"""Small pure pieces of the agent: sentence streaming, the grammar's parsing, config checks."""

from __future__ import annotations

import json

import pytest

from convonet_voice.agent.grammar import parse
from convonet_voice.agent.mcp_mount import MountError, load_mcp_servers
from convonet_voice.agent.sentences import SentenceSplitter


def test_the_splitter_yields_sentences_as_they_complete_and_drops_markdown():
    splitter = SentenceSplitter()
    first = splitter.feed("Done! I cre")
    second = splitter.feed("ated **the todo**. It is due at 2 p.m. tomor")
    third = splitter.feed("row.\n- Anything else?")
    assert (first, second, third) == (
        ["Done!"],
        ["I created the todo."],
        ["It is due at 2 p.m. tomorrow."],
    )
    assert splitter.flush() == "Anything else?"
    assert splitter.flush() is None


def test_the_grammar_reads_spoken_emails_times_and_priorities():
    added = parse("Add admin at convonet dot com to the hackathon team as owner.")
    assert added is not None and added.args["person"] == "admin@convonet.com"
    reminder = parse("Remind me to stretch in 10 minutes please")
    assert reminder is not None and reminder.args == {"text": "Stretch", "when": "in 10 minutes"}
    todo = parse("create a todo to finish slides with high priority by friday")
    assert todo is not None and todo.args == {
        "title": "Finish slides", "priority": "high", "due": "friday",
    }  # fmt: skip
    assert parse("make John an admin in the dev team").action == "change_member_role"
    assert parse("What is the meaning of life?") is None


def test_a_reminder_without_a_time_asks_for_one_instead_of_guessing():
    command = parse("remind me to call mom")
    assert command is not None and command.action == "say"
    assert "When should I remind you?" in command.args["text"]


def test_an_mcp_servers_file_must_name_servers_usable_as_tool_prefixes(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"mcpServers": {"slack": {"url": "https://example.com/mcp"}}}))
    assert list(load_mcp_servers(good).mcpServers) == ["slack"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mcpServers": {"my slack!": {"url": "https://example.com/mcp"}}}))
    with pytest.raises(MountError, match="my slack!"):
        load_mcp_servers(bad)
    with pytest.raises(MountError, match="Cannot read"):
        load_mcp_servers(tmp_path / "missing.json")
    assert load_mcp_servers(None) is None
