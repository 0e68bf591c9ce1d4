"""Claiming a scheduled notice exactly once.

Every scheduled notice (a festival notice, a day's tip) has a stable key. The job that produces it
first inserts a ``scheduled_notice`` row with that key, ignoring a conflict; only the caller whose
insert went through queues the outbox rows, in the same transaction. Two schedulers firing at once,
or a job re-run after a crash, therefore queue nothing twice; a notice that no longer makes sense is
claimed as ``skipped`` and logged once instead of every time the job runs.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import ScheduledNotice
from app.models.base import utcnow
from app.models.scheduling import NOTICE_SENT, NOTICE_SKIPPED

logger = logging.getLogger(__name__)


def insert_ignoring_conflict(session: Session, model: type, values: dict[str, Any], key: str) -> bool:
    """``INSERT … ON CONFLICT (key) DO NOTHING``; returns whether the row was inserted."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    column = getattr(model, key)
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=[key]).returning(column)
    return session.execute(statement).scalar() is not None


def claim(session: Session, key: str, detail: str = "") -> bool:
    """Claim ``key`` for sending. False means it was already sent or skipped."""
    return _record(session, key, NOTICE_SENT, detail)


def skip(session: Session, key: str, reason: str) -> bool:
    """Record that ``key`` will not be sent, logging the reason the first time only."""
    recorded = _record(session, key, NOTICE_SKIPPED, reason)
    if recorded:
        logger.warning("scheduled notice %s skipped: %s", key, reason)
    return recorded


def mark_skipped(session: Session, key: str, reason: str) -> None:
    """Turn a claimed notice into a skipped one (its work turned out impossible) and log why."""
    notice = session.get(ScheduledNotice, key)
    notice.status = NOTICE_SKIPPED
    notice.detail = reason
    logger.warning("scheduled notice %s skipped: %s", key, reason)


def _record(session: Session, key: str, status: str, detail: str) -> bool:
    values = {"key": key, "status": status, "detail": detail, "recorded_at": utcnow()}
    return insert_ignoring_conflict(session, ScheduledNotice, values, "key")
