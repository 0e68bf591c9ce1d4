"""Small SQL helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, scoped_session


def insert_ignoring_conflicts(
    session: Session, model: type, values: dict[str, Any], conflict_columns: list[str] | None = None
) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING <primary key>``; the new key, or None when it existed.

    A unique constraint decides, so concurrent callers get exactly one winner on both databases.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(values).on_conflict_do_nothing(index_elements=conflict_columns)
    primary_key = model.__table__.primary_key.columns.values()[0]
    return session.execute(statement.returning(primary_key)).scalar()


def _plain(session: Session) -> Session:
    """The Session itself behind Flask-SQLAlchemy's scoped proxy (which does not proxy every attribute)."""
    return session.registry() if isinstance(session, scoped_session) else session


def commit_keeping_state(session: Session) -> None:
    """Commit without expiring loaded objects, for callers that answer from what they just wrote."""
    target = _plain(session)
    previous, target.expire_on_commit = target.expire_on_commit, False
    try:
        target.commit()
    finally:
        target.expire_on_commit = previous


def autocommit(session: Session) -> Connection | None:
    """Run the session's next transaction in autocommit: each statement commits on its own.

    For requests whose only write is a single statement, this saves the BEGIN and COMMIT round trips.
    It takes effect only before the session has begun a transaction; returns the connection it set up
    (for Core statements that need no ORM objects), or None when a transaction was open."""
    if _plain(session).in_transaction():
        return None
    return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def in_autocommit(session: Session) -> bool:
    """Whether the session's current connection runs in autocommit (``autocommit``)."""
    target = _plain(session)
    if not target.in_transaction():
        return False
    return target.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def leave_autocommit(session: Session) -> None:
    """End autocommit (when the session is in it), keeping the objects read: the next statement begins a
    transaction as usual. No round trip, as no transaction is open. Call it before the first write of
    a service whose reads may run in autocommit."""
    if in_autocommit(session):
        commit_keeping_state(session)


@contextmanager
def reads_in_autocommit(session: Session) -> Iterator[None]:
    """Run the block's reads in autocommit (see ``autocommit``: no BEGIN, no ROLLBACK round trip), then
    leave it keeping the objects read, also when the block refuses by raising; the next statement begins
    a transaction as usual. A database error rolls back. Nothing changes when a transaction is open."""
    autocommitted = autocommit(session) is not None
    try:
        yield
    except SQLAlchemyError:
        if autocommitted:
            session.rollback()
        raise
    finally:
        if autocommitted and _plain(session).in_transaction():
            commit_keeping_state(session)  # no round trip: nothing is open in autocommit
