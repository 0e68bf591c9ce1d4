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
from sqlalchemy.orm import Session

from app.models import OutboxMessage, PushTarget, Staff
from app.models.base import utcnow
from app.models.messaging import CHANNEL_APP, CHANNEL_ROBOT, STATUS_PENDING, TARGET_ROBOT
from app.services.sql import insert_ignoring_conflicts
from app.wechat.limits import fit_payload


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
    """Queue one message unless one with the same ``dedup_key`` exists. Returns whether it was queued.

    Text and markdown longer than WeCom allows are queued as numbered parts (``<key>#2``, ``<key>#3``…)
    that the dispatcher sends in order; see ``app.wechat.limits``.
    """
    first, *rest = fit_payload(payload)
    due_at = due_at or utcnow()
    if not _insert(session, dedup_key, channel, address, first, due_at):
        return False
    for number, part in enumerate(rest, start=2):
        _insert(session, f"{dedup_key}#{number}", channel, address, part, due_at)
    return True


def _insert(
    session: Session, dedup_key: str, channel: str, address: str, payload: dict[str, Any], due_at: datetime
) -> bool:
    values = dict(
        dedup_key=dedup_key,
        channel=channel,
        address=address,
        payload=payload,
        status=STATUS_PENDING,
        due_at=due_at,
        attempts=0,
        created_at=utcnow(),
    )
    return insert_ignoring_conflicts(session, OutboxMessage, values, ["dedup_key"]) is not None


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
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == STATUS_PENDING, OutboxMessage.dedup_key.startswith(dedup_prefix, autoescape=True))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
