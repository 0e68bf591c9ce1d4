"""Announcements admins publish from WeCom (``公告``): stored, pushed to every group, listed in the mini-program."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.models import Announcement, Staff
from app.services import audit, outbox
from app.timeutil import format_local

MAX_LENGTH = 1000


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


def announcements_query() -> Select[tuple[Announcement]]:
    """Newest first, for the mini-program's list."""
    return select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc())
