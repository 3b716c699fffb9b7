"""Phrase detection for "put me through to a person": a backstop behind the model.

It reads whole utterances, not keywords: "let me talk to a person" and "transfer me to
sales" are requests for a human; "add a todo to email the agent" and "mark the report
done" are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FILLERS = re.compile(
    r"^(?:please|hi|hey|hello|ok|okay|um+|uh+|so|well|yes|yeah|no|actually|just|can you|"
    r"could you|would you|will you)\b[\s,]*",
)
_TAIL = re.compile(r"[\s,]*\b(?:please|now|right now|thanks|thank you|asap)$")

_PERSON = (
    r"(?:a |an |the |some |your |)(?:real |live |actual |human )?"
    r"(?:person|human(?: being)?|agent|representative|rep|operator|someone|somebody|anyone|"
    r"anybody|staff|manager|supervisor|customer service|customer support)"
)
_DEPT_WORDS = r"(?:sales|support|technical support|tech support|technical|tech|billing|it|help)"
_DEPT = rf"(?:the )?{_DEPT_WORDS}(?: team| department| desk)?"
_ASK = (
    r"(?:let me |can i |could i |may i |i (?:want|need|would like|d like|wanna|have) to |"
    r"i wanna |i want |i need |get me |give me |)"
)

_INTENTS = [
    re.compile(rf"^{_ASK}(?:talk|speak|chat) (?:to|with) {_PERSON}(?: (?:in|from|at) {_DEPT})?$"),
    re.compile(rf"^{_ASK}(?:talk|speak|chat) (?:to|with) {_DEPT}$"),
    re.compile(
        rf"^(?:transfer|connect|put|send|forward) me(?: (?:through|over))?"
        rf"(?: (?:to|with) (?:{_PERSON}|{_DEPT}))?$"
    ),
    re.compile(rf"^(?:i (?:want|need)|get me|give me) {_PERSON}$"),
    re.compile(rf"^{_PERSON}$"),
]
_DEPARTMENT = re.compile(rf"\b{_DEPT_WORDS}\b")


@dataclass(frozen=True)
class TransferAsk:
    """A request for a human, with the department named (or "support")."""

    department: str
    reason: str


def normalise(text: str) -> str:
    """Lower-case, drop punctuation and polite fillers at both ends."""
    cleaned = re.sub(r"[^\w\s@'.-]", " ", text.lower()).replace("'", "")
    cleaned = re.sub(r"\s+", " ", cleaned.replace(".", " ")).strip()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _TAIL.sub("", _FILLERS.sub("", cleaned)).strip()
    return cleaned


def detect_transfer(text: str) -> TransferAsk | None:
    """Return the transfer the utterance asks for as a whole, or None."""
    said = normalise(text)
    if not said or not any(pattern.match(said) for pattern in _INTENTS):
        return None
    found = _DEPARTMENT.search(said)
    department = found.group(0) if found and found.group(0) != "help" else "support"
    return TransferAsk(department=department, reason="The caller asked to speak with a person.")
