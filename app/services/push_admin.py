"""推送 for the console: group push targets (addresses shown masked) and the outbox (pending, sent,
given up, requeue). Nothing here calls WeCom: a test message is an outbox row the dispatcher sends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, NotFound
from app.models import OutboxMessage, PushTarget
from app.models.base import utcnow
from app.models.messaging import (
    CHANNEL_OF_TARGET_KIND,
    STATUS_DEAD,
    STATUS_PENDING,
    STATUS_SENT,
    TARGET_KIND_NAMES,
    TARGET_KIND_OF_CHANNEL,
    TARGET_ROBOT,
)
from app.services import audit, outbox
from app.services.dispatcher import TEST_SEND_PREFIX
from app.services.roles import Viewer, require

LIST_LIMIT = 20


class InvalidTarget(AppError):
    code = "invalid_push_target"
    message = "推送目标无效"


class TargetNotFound(NotFound):
    code = "push_target_not_found"
    message = "没有这个推送目标"


class TargetExists(Conflict):
    code = "push_target_exists"
    message = "该推送目标已存在"


def robot_key(value: str) -> str:
    """A robot's bare key, or the key inside its whole webhook URL (``…/webhook/send?key=…``)."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        keys = parse_qs(urlparse(value).query).get("key")
        if not keys:
            raise InvalidTarget("Webhook 地址中没有 key 参数")
        value = keys[0]
    return value


def add_target(session: Session, viewer: Viewer, name: str, kind: str, address: str) -> PushTarget:
    require(viewer, "outbox.manage")
    if kind not in TARGET_KIND_NAMES:
        raise InvalidTarget("类型应为群机器人或应用群聊")
    name = name.strip()
    address = robot_key(address) if kind == TARGET_ROBOT else address.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidTarget("名称应为 1 到 100 个字符")
    if not 1 <= len(address) <= 200 or any(c.isspace() for c in address):
        raise InvalidTarget("地址应为 1 到 200 个字符且不含空白")
    if session.scalar(select(PushTarget.id).where(PushTarget.kind == kind, PushTarget.address == address)):
        raise TargetExists()
    target = PushTarget(name=name, kind=kind, address=address, enabled=True)
    session.add(target)
    session.flush()
    audit.record(session, viewer.actor, "push_target.add", "push_target", target.id, kind=kind, name=name)
    session.commit()
    return target


def _target(session: Session, target_id: int) -> PushTarget:
    target = session.get(PushTarget, target_id)
    if target is None:
        raise TargetNotFound()
    return target


def set_enabled(session: Session, viewer: Viewer, target_id: int, enabled: bool) -> PushTarget:
    require(viewer, "outbox.manage")
    target = _target(session, target_id)
    target.enabled = enabled
    audit.record(session, viewer.actor, "push_target.enable" if enabled else "push_target.disable", "push_target", target.id)
    session.commit()
    return target


def queue_test_message(session: Session, viewer: Viewer, target_id: int) -> PushTarget:
    """A test message through the outbox (within the rate limit); the dispatcher delivers it."""
    require(viewer, "outbox.manage")
    target = _target(session, target_id)
    if not target.enabled:
        raise Conflict(f"「{target.name}」已停用，请先启用", code="push_target_disabled")
    channel = CHANNEL_OF_TARGET_KIND[target.kind]
    outbox.enqueue(
        session, dedup_key=f"{TEST_SEND_PREFIX}{target.id}:{uuid.uuid4().hex}", channel=channel,
        address=str(target.id), payload=outbox.text("【测试】这是一条来自文明创建助手的测试消息。"),
    )
    audit.record(session, viewer.actor, "push_target.test_send", "push_target", target.id)
    session.commit()
    return target


@dataclass
class OutboxOverview:
    targets: list[PushTarget]
    counts: dict[str, int]
    pending: list[OutboxMessage]
    dead: list[OutboxMessage]
    sent: list[OutboxMessage]
    labels: dict[tuple[str, str], str]


def overview(session: Session, viewer: Viewer) -> OutboxOverview:
    """Targets, counts by status and the latest rows of each status; five queries."""
    require(viewer, "outbox.view")
    targets = list(session.scalars(select(PushTarget).order_by(PushTarget.id)))
    counts = dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())

    def latest(status: str, order):
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == status).order_by(order).limit(LIST_LIMIT)))

    labels = {
        (channel, str(t.id)): f"{TARGET_KIND_NAMES[t.kind]}「{t.name}」"
        for t in targets
        for channel, kind in TARGET_KIND_OF_CHANNEL.items()
        if kind == t.kind
    }
    return OutboxOverview(
        targets=targets,
        counts={status: int(counts.get(status, 0)) for status in (STATUS_PENDING, STATUS_SENT, STATUS_DEAD)},
        pending=latest(STATUS_PENDING, OutboxMessage.due_at),
        dead=latest(STATUS_DEAD, OutboxMessage.dead_at.desc()),
        sent=latest(STATUS_SENT, OutboxMessage.sent_at.desc()),
        labels=labels,
    )


def requeue(session: Session, viewer: Viewer, message_ids: list[int] | None) -> int:
    """Put given-up messages back in the queue (all of them when ``message_ids`` is None)."""
    require(viewer, "outbox.manage")
    statement = update(OutboxMessage).where(OutboxMessage.status == STATUS_DEAD)
    if message_ids is not None:
        statement = statement.where(OutboxMessage.id.in_(message_ids))
    result = session.execute(
        statement.values(status=STATUS_PENDING, due_at=utcnow(), attempts=0, dead_at=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, viewer.actor, "outbox.requeue", ids=message_ids or [], all_dead=message_ids is None)
    session.commit()
    return result.rowcount
