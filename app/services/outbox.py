"""Queueing pushes. Nothing calls WeChat from a request: callers add outbox rows in their own
transaction and the dispatcher sends them later.

Every function here only adds rows to ``session``; the caller commits with the change that caused
the message, so either both happen or neither does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import OutboxMessage, PushTarget, Staff
from app.models.base import utcnow
from app.models.messaging import CHANNEL_APP, CHANNEL_ROBOT, STATUS_PENDING, TARGET_ROBOT


def text(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def markdown(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def enqueue(
    session: Session,
    *,
    dedup_key: str,
    channel: str,
    address: str,
    payload: dict[str, Any],
    due_at: datetime | None = None,
) -> bool:
    """Queue one message unless one with the same ``dedup_key`` exists. Returns whether it was queued."""
    values = dict(
        dedup_key=dedup_key,
        channel=channel,
        address=address,
        payload=payload,
        status=STATUS_PENDING,
        due_at=due_at or utcnow(),
        attempts=0,
        created_at=utcnow(),
    )
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxMessage.id)
    )
    return session.execute(statement).scalar() is not None


def enqueue_to_groups(
    session: Session, dedup_key: str, payload: dict[str, Any], due_at: datetime | None = None
) -> int:
    """Queue ``payload`` for every enabled group robot; one row per robot. Returns how many were queued."""
    robots = session.scalars(
        select(PushTarget).where(PushTarget.kind == TARGET_ROBOT, PushTarget.enabled.is_(True))
    ).all()
    return sum(
        enqueue(
            session,
            dedup_key=f"{dedup_key}:robot:{robot.id}",
            channel=CHANNEL_ROBOT,
            address=str(robot.id),
            payload=payload,
            due_at=due_at,
        )
        for robot in robots
    )


def enqueue_to_staff(
    session: Session,
    dedup_key: str,
    people: Iterable[Staff],
    payload: dict[str, Any],
    due_at: datetime | None = None,
) -> int:
    """Queue an application message to each person who has a WeCom account; one row per person.

    One row per person keeps de-duplication and the per-person rate limit exact.
    """
    return sum(
        enqueue(
            session,
            dedup_key=f"{dedup_key}:user:{person.wecom_userid}",
            channel=CHANNEL_APP,
            address=f"touser:{person.wecom_userid}",
            payload=payload,
            due_at=due_at,
        )
        for person in people
        if person.wecom_userid
    )


def withdraw(session: Session, dedup_prefix: str) -> int:
    """Delete pending messages whose key starts with ``dedup_prefix`` (an event moved or cancelled)."""
    escaped = dedup_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == STATUS_PENDING, OutboxMessage.dedup_key.like(f"{escaped}%", escape="\\"))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
