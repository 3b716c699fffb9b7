"""Security writes that must survive the caller's rollback (failed PINs, token reuse).

Services flush and never commit; the caller's transaction rolls back when a service
raises. A failed PIN or a replayed refresh token raises, yet its record must stick, or
an attacker could guess for ever. Such writes run here in their own short transaction
on the same engine. When that is impossible without waiting on the caller's own locks
(a SQLite write already begun in the caller's session, a row the caller has locked on
PostgreSQL), the write falls back to the caller's session and lasts only if the caller
commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

logger = logging.getLogger("convonet.auth")

T = TypeVar("T")
LOCK_TIMEOUT = "200ms"


def _holds_sqlite_write(session: Session) -> bool:
    if not session.in_transaction():
        return False
    driver = session.connection().connection.driver_connection
    return bool(getattr(driver, "in_transaction", False))


def _in_caller(session: Session, work: Callable[[Session], T | None]) -> T | None:
    result = work(session)
    session.flush()
    return result


def write_apart(session: Session, work: Callable[[Session], T | None]) -> T | None:
    """Run ``work`` in its own committed transaction, or in ``session`` when it must.

    Args:
        session: The caller's session; its engine is reused.
        work: Does the writes on the session it is given and returns a value, or None
            when it found nothing to change; the rows may then exist only in the caller's
            uncommitted transaction, so ``work`` runs again there.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return _in_caller(session, work)
    dialect = bind.dialect.name
    if dialect == "sqlite" and _holds_sqlite_write(session):
        return _in_caller(session, work)
    try:
        with Session(bind, expire_on_commit=False) as apart, apart.begin():
            if dialect == "postgresql":
                apart.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            result = work(apart)
        if result is not None:
            return result
    except OperationalError:
        logger.warning("Security write fell back to the caller's transaction", exc_info=True)
    return _in_caller(session, work)
