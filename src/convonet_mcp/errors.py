"""The error hierarchy of the domain layer.

::

    ConvonetError            anything the user (or model) can read and act on
    ├── NotFound             missing, or not visible to the actor (never a leak)
    ├── Forbidden            visible, but the actor's role does not allow it
    ├── Conflict             clashes with existing state (duplicate, last owner…)
    └── InvalidInput         malformed or out-of-range arguments
        └── Ambiguous        a name matched several things; lists the candidates

Front ends map these in one place each: MCP tool errors, HTTP statuses, spoken replies.
"""

from __future__ import annotations

from collections.abc import Sequence


class ConvonetError(Exception):
    """Base of every user-correctable error; ``message`` is safe to show."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ConvonetError):
    """The thing does not exist, or the actor may not know it exists."""

    code = "not_found"


class Forbidden(ConvonetError):
    """The actor can see the thing but their role does not allow this change."""

    code = "forbidden"


class Conflict(ConvonetError):
    """The change clashes with existing state."""

    code = "conflict"


class InvalidInput(ConvonetError):
    """An argument is malformed or out of range."""

    code = "invalid_input"


class Ambiguous(InvalidInput):
    """A name matched several candidates; the caller must pick one."""

    code = "ambiguous"

    def __init__(self, what: str, query: str, candidates: Sequence[str]) -> None:
        listed = "; ".join(candidates)
        super().__init__(f'Which {what} did you mean by "{query}"? Candidates: {listed}.')
        self.candidates = list(candidates)
