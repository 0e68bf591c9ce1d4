"""The WeCom bot: messages received on the callback, and announcements admins publish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.org import Staff

# Outcomes of a received message.
INBOUND_DONE = "done"
INBOUND_FAILED = "failed"
INBOUND_IGNORED = "ignored"


class InboundMessage(Base):
    """One message from the WeCom callback. ``msg_id`` is unique, so a retried delivery runs once."""

    __tablename__ = "wecom_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(128), unique=True)
    from_user: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[str | None] = mapped_column(Text)
    command: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), default=INBOUND_DONE)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Announcement(Base):
    """A notice an admin published with 公告; pushed to every enabled group robot."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    group_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # content replaced by a correction
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # hidden from the board, groups told
    withdraw_reason: Mapped[str | None] = mapped_column(String(200))

    author: Mapped[Staff | None] = relationship(lazy="joined")

    @property
    def author_name(self) -> str | None:
        return self.author.name if self.author else None
