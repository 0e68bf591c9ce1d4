"""Where pushes go (group robots, app group chats) and the outbox every push leaves through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow

# Push target kinds.
TARGET_ROBOT = "robot"  # a group robot; address is its webhook key (a secret: shown masked)
TARGET_APPCHAT = "appchat"  # a group chat created by the app; address is its chatid

# Outbox channels and statuses.
CHANNEL_ROBOT = "robot"  # address: push_target id
CHANNEL_APP = "app"  # address: "touser:<id>|<id>", "toparty:<id>" or "totag:<id>"
CHANNEL_APPCHAT = "appchat"  # address: push_target id
# A push target's kind, how people call it, and the outbox channel that sends to it.
TARGET_KIND_NAMES = {TARGET_ROBOT: "群机器人", TARGET_APPCHAT: "应用群聊"}
CHANNEL_OF_TARGET_KIND = {TARGET_ROBOT: CHANNEL_ROBOT, TARGET_APPCHAT: CHANNEL_APPCHAT}
TARGET_KIND_OF_CHANNEL = {channel: kind for kind, channel in CHANNEL_OF_TARGET_KIND.items()}
STATUS_PENDING = "pending"
STATUS_SENT = "sent"
STATUS_DEAD = "dead"


class PushTarget(TimestampMixin, Base):
    __tablename__ = "push_target"
    __table_args__ = (UniqueConstraint("kind", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def masked_address(self) -> str:
        if len(self.address) <= 8:
            return "*" * len(self.address)
        return f"{self.address[:4]}{'*' * (len(self.address) - 8)}{self.address[-4:]}"


class OutboxMessage(Base):
    """One message to send, written in the same transaction as the change that causes it.

    ``dedup_key`` is unique, so the same reminder can never be queued twice (a double-firing job or
    a retried request writes nothing the second time).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due_at", "status", "due_at"),
        # The dispatcher's rate windows: the last N sends to one target.
        Index("ix_outbox_target_sent_at", "channel", "address", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(1100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxLease(Base):
    """Which dispatcher may send to one target (a robot, a person, a chat) until when.

    Only the holder sends for the target, so per-target rate windows hold with several dispatchers.
    Taken and renewed only by a conditional ``UPDATE ... WHERE locked_until < now OR holder = me``.
    The row ``("*", "dispatcher")`` is the single-dispatcher lock on SQLite.
    """

    __tablename__ = "outbox_lease"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(1100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
