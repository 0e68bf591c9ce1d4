"""Deleting rows that have served their purpose, so tables that grow with every login or callback
do not grow for ever. Nothing here is evidence for an inspection: the audit log, sign-ins, claims and
the outbox's record of what was sent are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from app.models import ApiSession
from app.models.bot import InboundMessage


@dataclass(frozen=True)
class Purged:
    api_sessions: int
    inbound_messages: int


def purge_stale_rows(session: Session, now: datetime) -> Purged:
    """Mini-program sessions that expired or were revoked more than ``API_SESSION_RETENTION_DAYS`` ago
    (until then they still explain a 401), and WeCom callback messages older than
    ``WECOM_INBOUND_RETENTION_DAYS`` (WeCom retries a delivery within minutes; the rest is a record of
    admin commands for a while). Idempotent: a second run deletes nothing."""
    config = current_app.config
    sessions_before = now - timedelta(days=config["API_SESSION_RETENTION_DAYS"])
    inbound_before = now - timedelta(days=config["WECOM_INBOUND_RETENTION_DAYS"])
    sessions = session.execute(
        delete(ApiSession).where(or_(ApiSession.expires_at < sessions_before, ApiSession.revoked_at < sessions_before))
    ).rowcount
    inbound = session.execute(delete(InboundMessage).where(InboundMessage.received_at < inbound_before)).rowcount
    session.commit()
    return Purged(api_sessions=sessions, inbound_messages=inbound)
