"""Claiming a scheduled notice exactly once.

Every scheduled notice (a festival notice, a day's tip) has a stable key. The job that produces it
first inserts a ``scheduled_notice`` row with that key, ignoring a conflict; only the caller whose
insert went through queues the outbox rows, in the same transaction. Two schedulers firing at once,
or a job re-run after a crash, therefore queue nothing twice; a notice that no longer makes sense is
claimed as ``skipped`` and logged once instead of every time the job runs.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.models import ScheduledNotice
from app.models.base import utcnow
from app.models.scheduling import NOTICE_SENT, NOTICE_SKIPPED
from app.services.sql import insert_ignoring_conflicts

logger = logging.getLogger(__name__)


def claim(session: Session, key: str, detail: str = "") -> bool:
    """Claim ``key`` for sending. False means it was already sent or skipped."""
    return _record(session, key, NOTICE_SENT, detail)


def skip(session: Session, key: str, reason: str) -> bool:
    """Record that ``key`` will not be sent, logging the reason the first time only."""
    recorded = _record(session, key, NOTICE_SKIPPED, reason)
    if recorded:
        logger.warning("scheduled notice %s skipped: %s", key, reason)
    return recorded


def _record(session: Session, key: str, status: str, detail: str) -> bool:
    values = {"key": key, "status": status, "detail": detail, "recorded_at": utcnow()}
    return insert_ignoring_conflicts(session, ScheduledNotice, values, ["key"]) is not None
