"""Exactly one scheduler runs jobs: a second process started by mistake waits for this lock.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a dedicated connection held
for the process lifetime; the server drops it when the process dies, so a standby takes over.
SQLite (no advisory locks): a lease row in ``kv_store`` that the holder renews; a crashed holder
stops renewing and the lease expires, so a standby takes over after at most one lease.
"""

from __future__ import annotations

import contextlib

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Protocol

from sqlalchemy import create_engine, delete, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.models import KeyValue
from app.models.base import utcnow
from app.services.sql import insert_ignoring_conflicts

logger = logging.getLogger(__name__)

# "WMSC": fits in 31 bits, so pg_locks shows it as classid 0, objid ADVISORY_KEY.
ADVISORY_KEY = 0x574D5343
LEASE_KEY = "scheduler:lock"


class SchedulerLock(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """``pg_try_advisory_lock`` on its own connection (not from the pool, so closing it really ends
    the database session and with it the lock)."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self._key = key
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return bool(self._connection.scalar(text("SELECT pg_try_advisory_lock(CAST(:key AS bigint))"), {"key": self._key}))

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            held = self._connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
                    "AND objid = :key AND pid = pg_backend_pid() AND granted"
                ),
                {"key": self._key},
            )
        except DBAPIError:
            logger.exception("scheduler lock connection failed")
            return False
        return bool(held)

    def release(self) -> None:
        if self._connection is not None:
            try:
                # Unlock explicitly: the server ends a closed session asynchronously, and until then
                # pg_locks (``flask jobs``, a standby's next try) would still show the lock as held.
                with contextlib.suppress(DBAPIError):
                    self._connection.execute(text("SELECT pg_advisory_unlock_all()"))  # its own connection
                self._connection.close()  # ends the session, which releases the lock anyway
            finally:
                self._connection = None
        self._engine.dispose()


class LeaseLock:
    """A renewable lease in ``kv_store``: taken when absent, expired or already ours."""

    def __init__(self, engine: Engine, lease_seconds: int, holder: str | None = None) -> None:
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def try_acquire(self) -> bool:
        now = utcnow()
        with Session(self._engine) as session, session.begin():
            insert_ignoring_conflicts(
                session, KeyValue, {"key": LEASE_KEY, "value": self.holder, "expires_at": now + self._lease}, ["key"]
            )
            result = session.execute(
                update(KeyValue)
                .where(KeyValue.key == LEASE_KEY, or_(KeyValue.value == self.holder, KeyValue.expires_at < now))
                .values(value=self.holder, expires_at=now + self._lease)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def still_held(self) -> bool:
        """Renew the lease; False if another process took it over (this one stalled past its lease)."""
        try:
            return self.try_acquire()
        except DBAPIError:
            logger.exception("scheduler lease renewal failed")
            return False

    def release(self) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(delete(KeyValue).where(KeyValue.key == LEASE_KEY, KeyValue.value == self.holder))


def make_lock(engine: Engine, lease_seconds: int) -> SchedulerLock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return LeaseLock(engine, lease_seconds)


def lock_holder(engine: Engine) -> str | None:
    """Who holds the scheduler lock now (for ``flask jobs``), or None when no scheduler runs."""
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            pid = session.scalar(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
                    "AND objid = :key AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"key": ADVISORY_KEY},
            )
            return None if pid is None else f"PostgreSQL 会话 {pid}"
        row = session.scalar(select(KeyValue).where(KeyValue.key == LEASE_KEY))
        if row is None or row.expires_at is None or row.expires_at < utcnow():
            return None
        return row.value
