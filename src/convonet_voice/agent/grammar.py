"""The offline command grammar: common voice commands parsed into Convonet tool calls.

It answers when no model is configured and when the model fails or runs out of time. It
knows todos, reminders, events, the day's agenda, simple team commands and "talk to a
person"; anything else is not understood.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from convonet_voice.agent.transfer_intent import detect_transfer

_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WHEN = re.compile(
    rf"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening)|"
    rf"next (?:week|month|{_DAYS})|on {_DAYS}|on \d|{_DAYS}|in (?:\d+|an?|one|two|few) \w+|"
    r"at \d|at noon|at midnight|noon|midnight|\d{1,2}(?::\d{2})? ?(?:am|pm)|from \d)",
    re.IGNORECASE,
)
_RANGE = re.compile(
    r"^(?P<day>.*?)\s*\bfrom (?P<a>\d{1,2}(?::\d{2})?) ?(?P<am>am|pm)? (?:to|until|till|-) "
    r"(?P<b>\d{1,2}(?::\d{2})?) ?(?P<bm>am|pm)?$",
    re.IGNORECASE,
)
_PRIORITY = r"(?P<prio>low|medium|normal|high|urgent)"
_FILLERS = re.compile(
    r"^(?:please|ok|okay|hey|hi|so|um|uh|can you|could you|would you|will you|i want to|"
    r"i'd like to|i need to|convonet)\b[\s,]*",
    re.IGNORECASE,
)
_TAIL = re.compile(r"[\s,]*\b(?:please|thanks|thank you)$", re.IGNORECASE)
_EMAIL = re.compile(r"\b([\w.+-]+) at ([\w-]+(?: dot [\w-]+)+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    """A tool call (``action`` is a tool name) or a special action with its arguments."""

    action: str
    args: dict[str, Any] = field(default_factory=dict)


def clean(text: str) -> str:
    """Trim punctuation, fillers and politeness; spell spoken emails and a.m./p.m."""
    said = re.sub(r"\s+", " ", text).strip().rstrip(".!?").strip()
    said = re.sub(r"\b([ap])\.m\.?", r"\1m", said, flags=re.IGNORECASE)
    said = _EMAIL.sub(lambda m: f"{m[1]}@{m[2].replace(' dot ', '.')}", said)
    previous = None
    while previous != said:
        previous = said
        said = _TAIL.sub("", _FILLERS.sub("", said)).strip(" ,")
    return said


def _cap(text: str) -> str:
    text = text.strip(" ,")
    return text[:1].upper() + text[1:]


def split_when(text: str) -> tuple[str, str | None]:
    """Split "call the dentist tomorrow at 2 PM" into ("call the dentist", "tomorrow at 2 PM")."""
    found = _WHEN.search(text)
    if found is None or found.start() == 0:
        return text, None
    what = re.sub(r"\s+(?:on|at|for|by)$", "", text[: found.start()].rstrip())
    when = re.sub(r"^(?:at|on) (?=\d|noon|midnight)", "", text[found.start() :].strip())
    return what, when


def _match(pattern: str, text: str) -> re.Match[str] | None:
    return re.match(pattern + r"$", text, re.IGNORECASE)


def _create_todo(said: str) -> Command | None:
    found = _match(
        rf"(?:create|add|make|new|put|set up|write down)(?: me)? (?:a |an |one )?(?:new )?"
        rf"(?:{_PRIORITY}(?:[- ]priority| importance)? )?(?:todo|to do|to-do|task)(?: item)?"
        r"(?: (?:to|for|called|named|that says|saying|about)\b|:)? ?(?P<title>.+)",
        said,
    ) or _match(r"(?:add|put) (?P<title>.+) (?:to|on) my (?:todo|to do|to-do|task) list", said)
    if found is None:
        return None
    title, priority = found["title"], found.groupdict().get("prio")
    args: dict[str, Any] = {}
    due = re.search(r"\s+(?:by|due|before) (?P<due>.+)$", title, re.IGNORECASE)
    if due and _WHEN.search(due["due"]):
        title, args["due"] = title[: due.start()], due["due"]
    trailing = re.search(rf"[, ]+(?:with |at |as )?(?:a )?{_PRIORITY} priority$", title, re.I)
    if trailing:
        title, priority = title[: trailing.start()], trailing["prio"]
    args["title"] = _cap(title)
    if priority:
        args["priority"] = "medium" if priority.lower() == "normal" else priority.lower()
    return Command("create_todo", args)


def _list_todos(said: str) -> Command | None:
    found = _match(
        r"(?:show|list|read|tell|give|get|what are|whats|what's|what is)(?: me)?(?: all)?"
        r"(?: of)?(?: my)? (?:(?P<status>pending|open|outstanding|current|incomplete|completed|"
        rf"done|finished) )?(?:{_PRIORITY}[- ]priority )?"
        r"(?:todos|to dos|to-dos|tasks|todo list|to do list|to-do list)",
        said,
    )
    if found is None:
        return None
    status = (found["status"] or "open").lower()
    args: dict[str, Any] = {"status": "completed" if status in {"completed", "done", "finished"}
                            else "open"}  # fmt: skip
    if found["prio"]:
        args["priority"] = found["prio"].lower()
    return Command("get_todos", args)


def _complete_todo(said: str) -> Command | None:
    found = _match(
        r"(?:mark|set|check)(?: off)? (?:the |my )?(?P<what>.+?)(?: todo| to do| to-do| task"
        r"| item)? (?:as )?(?:done|complete|completed|finished)",
        said,
    ) or _match(
        r"(?:complete|finish|check off|tick off|cross off|i (?:finished|completed|did))"
        r"(?: the| my)? (?P<what>.+?)(?: todo| to do| to-do| task| item)?",
        said,
    )
    return Command("complete_todo_named", {"text": found["what"]}) if found else None


def _create_reminder(said: str) -> Command | None:
    found = _match(
        r"(?:add|set|create|make|new)(?: me)? (?:a )?reminder(?: (?:to|for|about|that))? "
        r"(?P<rest>.+)",
        said,
    ) or _match(r"remind me(?: (?:to|about|that))? (?P<rest>.+)", said)
    if found is None:
        return None
    what, when = split_when(found["rest"])
    if when is None:
        return Command("say", {"text": "When should I remind you? Say it all at once, like "
                               "remind me to call mom tomorrow at 5 PM."})  # fmt: skip
    return Command("create_reminder", {"text": _cap(what), "when": when})


def _list_reminders(said: str) -> Command | None:
    found = _match(
        r"(?:show|list|read|tell|give|get|what are|whats|what's|what)(?: me)?(?: all)?(?: of)?"
        r"(?: my)? (?:pending |upcoming |current )?reminders(?: do i have)?",
        said,
    )
    return Command("get_reminders", {}) if found else None


_EVENT_NOUN = r"(?:meeting|event|call|appointment|lunch|dinner|session|sync|standup|interview|demo)"


def _create_event(said: str) -> Command | None:
    found = _match(
        r"(?:schedule|book|set up|arrange|plan)(?: me)?(?: in)? (?:a |an |my |the )?(?P<rest>.+)",
        said,
    ) or _match(
        rf"(?:create|add|put)(?: in)? (?:a |an |my |the )?(?P<rest>(?:\w+ )?{_EVENT_NOUN}\b.*)",
        said,
    )
    if found is None:
        return None
    what, when = split_when(found["rest"])
    if when is None:
        return None
    named = re.search(r"\b(?:called|named|titled|about) (?P<title>.+)$", what, re.IGNORECASE)
    title = _cap(named["title"] if named else what)
    span = _RANGE.match(when)
    if span is None:
        return Command("create_calendar_event", {"title": title, "start": when})
    day = span["day"].strip() or "today"
    start_mer, end_mer = span["am"] or span["bm"] or "", span["bm"] or span["am"] or ""
    start = f"{day} at {span['a']} {start_mer}".strip()
    end = f"{day} at {span['b']} {end_mer}".strip()
    return Command("create_calendar_event", {"title": title, "start": start, "end": end})


def _list_events(said: str) -> Command | None:
    found = _match(
        r"(?:show|list|read|tell|give|get|what are|whats|what's)(?: me)?(?: all)?(?: of)?"
        r"(?: my)? (?:upcoming |next )?(?:events|meetings|appointments|calendar(?: events)?)"
        r"(?: (?:for|on) (?P<day>.+))?",
        said,
    )
    if found is None:
        return None
    if found["day"]:
        return Command("get_agenda", {"day": found["day"]})
    return Command("get_calendar_events", {})


def _agenda(said: str) -> Command | None:
    found = _match(
        r"(?:whats|what's|what is|what do i have|what have i got|anything)(?: going)?"
        r"(?: on| happening| scheduled| planned)?(?: my (?:agenda|calendar|schedule))?"
        rf"(?: (?:for|on))? (?P<day>today|tonight|tomorrow|this \w+|{_DAYS})",
        said,
    ) or _match(r"(?:my |todays |today's )?(?:agenda|schedule)(?: for (?P<day>.+))?", said)
    if found is None:
        return None
    day = (found["day"] or "today").lower()
    return Command("get_agenda", {"day": "today" if day == "tonight" else day})


_ROLE = r"(?P<role>owner|admin|administrator|member|viewer)"


def _role(found: re.Match[str]) -> str:
    role = found["role"].lower()
    return "admin" if role == "administrator" else role


def _teams(said: str) -> Command | None:
    if found := _match(
        rf"add (?P<person>.+?) to (?:the |my )?(?P<team>.+?) team(?: as (?:an? |the )?{_ROLE})?",
        said,
    ):
        args = {"team": found["team"], "person": found["person"]}
        return Command("add_team_member", {**args, "role": _role(found) if found["role"] else
                                           "member"})  # fmt: skip
    if found := _match(
        r"assign (?:a |an |the )?(?P<title>.+?)(?: task| todo| to do)? to (?P<person>.+?) "
        r"(?:in|on|for) (?:the |my )?(?P<team>.+?)(?: team)?",
        said,
    ):
        args = {"team": found["team"], "title": _cap(found["title"])}
        return Command("create_team_todo", {**args, "assignee": found["person"]})
    if found := _match(
        r"(?:change|make|set|promote|demote|switch) (?P<person>.+?)(?:'s role)?"
        rf"(?: (?:to|as|into))? (?:an? |the )?{_ROLE}(?: role)? (?:in|on|for) (?:the |my )?"
        r"(?P<team>.+?)(?: team)?",
        said,
    ):
        args = {"team": found["team"], "person": found["person"]}
        return Command("change_member_role", {**args, "role": _role(found)})
    if found := _match(
        r"(?:create|make|start|set up|add|new)(?: me)? (?:a |an |the )?(?:new )?team "
        r"(?:called|named) (?P<name>.+)",
        said,
    ) or _match(r"(?:create|make|start|set up)(?: me)? (?:a |an |the )?(?:new )?(?P<name>.+?) team",
                said):  # fmt: skip
        return Command("create_team", {"name": _cap(found["name"])})
    return None


def _transfer(said: str) -> Command | None:
    ask = detect_transfer(said)
    if ask is None:
        return None
    return Command("transfer_to_agent", {"department": ask.department, "reason": ask.reason})


PARSERS: tuple[Callable[[str], Command | None], ...] = (
    _transfer,
    _create_reminder,
    _list_reminders,
    _teams,
    _create_todo,
    _list_todos,
    _complete_todo,
    _agenda,
    _list_events,
    _create_event,
)


def parse(text: str) -> Command | None:
    """The command ``text`` asks for, or None when the grammar does not understand it."""
    said = clean(text)
    if not said:
        return None
    for parser in PARSERS:
        command = parser(said)
        if command is not None:
            return command
    return None
