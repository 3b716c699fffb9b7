"""Keyset pagination: newest first by (created_at, id), with opaque cursors."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import QueryableAttribute

from convonet_mcp.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Column = QueryableAttribute[Any] | ColumnElement[Any]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next page (None on the last page)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class CursorKey:
    """The position a cursor stands for: the last row of the previous page."""

    created_at: datetime
    id: uuid.UUID


def clamp_limit(limit: int) -> int:
    """Clamp a requested page size into 1..MAX_LIMIT."""
    return max(1, min(int(limit), MAX_LIMIT))


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """Make an opaque, URL-safe cursor for the row just after (older than) this position."""
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> CursorKey | None:
    """Read a cursor made by :func:`encode_cursor`; None or "" means the first page.

    Raises:
        InvalidInput: the cursor was not made by this server.
    """
    if cursor is None or not cursor.strip():
        return None
    text = cursor.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        stamp, _, hex_id = raw.partition("|")
        created_at = datetime.fromisoformat(stamp)
        row_id = uuid.UUID(hex=hex_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "That page cursor is not valid; ask again without a cursor to start over."
        ) from exc
    if created_at.tzinfo is None:
        raise InvalidInput("That page cursor is not valid; ask again without a cursor.")
    return CursorKey(created_at=created_at.astimezone(UTC), id=row_id)


def older_than(created_col: Column, id_col: Column, key: CursorKey) -> ColumnElement[bool]:
    """The keyset condition: rows strictly after ``key`` in newest-first order."""
    return or_(
        created_col < key.created_at,
        and_(created_col == key.created_at, id_col < key.id),
    )


def make_page(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[datetime, uuid.UUID]]
) -> Page[T]:
    """Build a page from up to ``limit + 1`` rows fetched in newest-first order."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return Page(items=items, next_cursor=None)
    return Page(items=items, next_cursor=encode_cursor(*key(items[-1])))
