"""Announcements admins publish from WeCom (``公告``): stored, pushed to every group, listed in the mini-program."""

from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, NotFound
from app.models import Announcement, OutboxMessage, Staff
from app.models.base import utcnow
from app.models.messaging import STATUS_SENT
from app.services import audit, outbox
from app.timeutil import format_local

MAX_LENGTH = 1000
MAX_REASON_LENGTH = 200


def publish_announcement(session: Session, author: Staff, content: str) -> Announcement:
    """Store the announcement and queue it for every enabled group robot as markdown.

    Adds to ``session`` only: the caller commits, together with whatever caused the announcement
    (for the bot, the de-duplication row of the WeCom message), so a retried message publishes once.
    """
    announcement = Announcement(content=content, author=author)
    session.add(announcement)
    session.flush()
    body = (
        f"**【公告】**\n{content}\n"
        f"> 发布：{author.name}（{author.department.name}） {format_local(announcement.created_at)}"
    )
    announcement.group_count = outbox.enqueue_to_groups(session, f"announcement:{announcement.id}", outbox.markdown(body))
    audit.record(
        session, audit.Actor.staff(author.id), "announcement.publish", "announcement", announcement.id,
        groups=announcement.group_count,
    )
    return announcement


def announcements_query(*, include_withdrawn: bool = False) -> Select[tuple[Announcement]]:
    """Newest first; the mini-program's board leaves withdrawn ones out, operators may see them."""
    statement = select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc())
    return statement if include_withdrawn else statement.where(Announcement.withdrawn_at.is_(None))


def _key(announcement_id: int) -> str:
    return f"announcement:{announcement_id}:"


def _live(session: Session, announcement_id: int) -> Announcement:
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound(f"没有编号为 {announcement_id} 的公告", code="announcement_not_found")
    if announcement.withdrawn_at is not None:
        raise Conflict(f"公告 {announcement_id} 已撤回", code="announcement_withdrawn")
    return announcement


def withdraw_announcement(session: Session, announcement_id: int, actor: audit.Actor, reason: str) -> int:
    """Take an announcement off the board; group pushes not yet sent are dropped and, when any copy went
    out, every group is told it was withdrawn and why. Returns how many groups are told."""
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON_LENGTH:
        raise AppError(f"撤回原因应为 1 到 {MAX_REASON_LENGTH} 个字", code="reason_invalid", status=422)
    announcement = _live(session, announcement_id)
    changed = session.execute(
        update(Announcement).where(Announcement.id == announcement.id, Announcement.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdraw_reason=reason).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:  # a concurrent withdrawal won
        session.rollback()
        raise Conflict(f"公告 {announcement_id} 已撤回", code="announcement_withdrawn")
    outbox.withdraw(session, _key(announcement.id))
    told = 0
    if _anything_sent(session, announcement.id):
        body = (
            f"**【撤回公告】**\n{format_local(announcement.created_at)} 发布的公告已撤回："
            f"{_excerpt(announcement.content)}\n> 原因：{reason}"
        )
        told = outbox.enqueue_to_groups(session, f"{_key(announcement.id)}withdrawn", outbox.markdown(body))
    audit.record(session, actor, "announcement.withdraw", "announcement", announcement.id, reason=reason, groups=told)
    session.commit()
    return told


def correct_announcement(session: Session, announcement_id: int, actor: audit.Actor, content: str) -> Announcement:
    """Replace an announcement's text: the board shows the new text, pushes of the old one not yet sent are
    dropped, and every group gets the corrected text marked as a correction."""
    content = content.strip()
    if not 1 <= len(content) <= MAX_LENGTH:
        raise AppError(f"公告内容应为 1 到 {MAX_LENGTH} 字", code="announcement_invalid", status=422)
    announcement = _live(session, announcement_id)
    if content == announcement.content:
        raise Conflict("更正后的内容与原内容相同", code="announcement_unchanged")
    previous = announcement.content
    announcement.content = content
    announcement.corrected_at = utcnow()
    announcement.corrections += 1
    outbox.withdraw(session, _key(announcement.id))
    body = f"**【公告更正】**\n{content}\n> 更正 {format_local(announcement.created_at)} 发布的公告"
    announcement.group_count = outbox.enqueue_to_groups(
        session, f"{_key(announcement.id)}correction:{announcement.corrections}", outbox.markdown(body)
    )
    audit.record(session, actor, "announcement.correct", "announcement", announcement.id,
                 previous=previous, groups=announcement.group_count)
    session.commit()
    return announcement


def _anything_sent(session: Session, announcement_id: int) -> bool:
    sent = select(OutboxMessage.id).where(
        OutboxMessage.status == STATUS_SENT, OutboxMessage.dedup_key.startswith(_key(announcement_id), autoescape=True)
    )
    return session.scalar(sent.limit(1)) is not None


def _excerpt(text: str, length: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length] + "……"
