"""公告 from the console: written with a preview, sent to every group, chosen groups or the
mini-program only, always through the outbox; listed with the delivery state per group."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Announcement, OutboxMessage, PushTarget, Staff
from app.models.messaging import CHANNEL_ROBOT, TARGET_ROBOT
from app.services import announcements, audit, outbox
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require
from app.timeutil import format_local

AUDIENCE_ALL = "all"
AUDIENCE_CHOSEN = "chosen"
AUDIENCE_MINIPROGRAM = "miniprogram"


class InvalidAnnouncement(AppError):
    code = "invalid_announcement"
    message = "公告内容有误"


def message_body(author: Staff, content: str, at) -> str:
    """The markdown the groups receive (as the bot's 公告 sends it)."""
    return f"**【公告】**\n{content}\n> 发布：{author.name}（{author.department.name}） {format_local(at)}"


def robots(session: Session) -> list[PushTarget]:
    return list(session.scalars(select(PushTarget).where(PushTarget.kind == TARGET_ROBOT, PushTarget.enabled.is_(True)).order_by(PushTarget.id)))


def publish(session: Session, viewer: Viewer, content: str, audience: str, target_ids: list[int]) -> Announcement:
    require(viewer, "outbox.manage")
    content = content.strip()
    if not content or len(content) > announcements.MAX_LENGTH:
        raise InvalidAnnouncement(f"公告应为 1 到 {announcements.MAX_LENGTH} 个字")
    author = session.get(Staff, viewer.staff_id)
    if audience == AUDIENCE_ALL:
        announcement = announcements.publish_announcement(session, author, content)
        session.commit()
        return announcement
    if audience not in (AUDIENCE_CHOSEN, AUDIENCE_MINIPROGRAM):
        raise InvalidAnnouncement("请选择发送范围")
    chosen = []
    if audience == AUDIENCE_CHOSEN:
        available = {target.id: target for target in robots(session)}
        chosen = [available[i] for i in target_ids if i in available]
        if not chosen or len(chosen) != len(set(target_ids)):
            raise InvalidAnnouncement("请选择至少一个已启用的群")
    announcement = Announcement(content=content, author=author)
    session.add(announcement)
    session.flush()
    payload = outbox.markdown(message_body(author, content, announcement.created_at))
    announcement.group_count = sum(
        outbox.enqueue(session, dedup_key=f"announcement:{announcement.id}:robot:{target.id}", channel=CHANNEL_ROBOT,
                       address=str(target.id), payload=payload)
        for target in chosen
    )
    audit.record(session, viewer.actor, "announcement.publish", "announcement", announcement.id,
                 groups=announcement.group_count, audience=audience)
    session.commit()
    return announcement


@dataclass
class Delivery:
    target: str
    status: str
    error: str | None


def list_announcements(session: Session, viewer: Viewer, page: int = 1) -> tuple[Page, dict[int, list[Delivery]]]:
    """Announcements newest first with each group's delivery state; three queries."""
    require(viewer, "outbox.view")
    result = paginate(session, announcements.announcements_query(), page)
    ids = [a.id for a in result.items]
    deliveries: dict[int, list[Delivery]] = {i: [] for i in ids}
    if ids:
        names = dict(session.execute(select(PushTarget.id, PushTarget.name)).all())
        rows = session.scalars(
            select(OutboxMessage)
            .where(or_(*[OutboxMessage.dedup_key.like(f"announcement:{i}:%") for i in ids]))
            .order_by(OutboxMessage.id)
        )
        for row in rows:
            announcement_id = int(row.dedup_key.split(":")[1])
            label = names.get(int(row.address), f"群 {row.address}") if row.address.isdigit() else row.address
            deliveries[announcement_id].append(Delivery(label, row.status, row.last_error))
    return result, deliveries
