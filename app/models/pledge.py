"""承诺 (pledges): a text staff read and sign once, with signature rates per department."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.org import Staff

PLEDGE_DRAFT = "draft"
PLEDGE_PUBLISHED = "published"
PLEDGE_WITHDRAWN = "withdrawn"
PLEDGE_STATUS_LABELS = {PLEDGE_DRAFT: "草稿", PLEDGE_PUBLISHED: "已发布", PLEDGE_WITHDRAWN: "已撤回"}


class Pledge(TimestampMixin, Base):
    __tablename__ = "pledge"
    __table_args__ = (CheckConstraint("opens_at < closes_at", name="window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    work_item: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=PLEDGE_DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    def is_visible(self) -> bool:
        return self.status == PLEDGE_PUBLISHED

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.is_visible() and self.opens_at <= now < self.closes_at

    @property
    def status_label(self) -> str:
        return PLEDGE_STATUS_LABELS[self.status]


class PledgeSignature(Base):
    """One person's signature; the first one stands (signing again answers it)."""

    __tablename__ = "pledge_signature"
    __table_args__ = (UniqueConstraint("pledge_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    signed_name: Mapped[str] = mapped_column(String(50))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    staff: Mapped[Staff] = relationship(lazy="joined")
