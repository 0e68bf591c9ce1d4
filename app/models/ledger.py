"""创建台账: the year's plan (6 areas, 18 work items with owners, targets and the evidence they need),
the links from events to items, uploaded documents, activity records (道德讲堂 环节) and reflections."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.org import Staff

# Kinds of evidence an item may ask for, and the kinds of uploaded documents.
EVIDENCE_KINDS = ("方案", "制度", "计划", "会议记录", "签到表", "照片", "总结", "宣传报道", "感悟", "其他")

REFLECTION_PASSED = "passed"
REFLECTION_HELD = "held"  # WeChat's content check said "review": an admin reads it before it is used


class LedgerPlan(TimestampMixin, Base):
    """One year's plan. Its areas and items mirror the unit's implementing opinions."""

    __tablename__ = "ledger_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)

    areas: Mapped[list[LedgerArea]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="LedgerArea.number"
    )
    items: Mapped[list[LedgerItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="LedgerItem.number"
    )


class LedgerArea(Base):
    __tablename__ = "ledger_area"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("ledger_plan.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1..6, shown as （一）..（六）
    title: Mapped[str] = mapped_column(String(200))

    plan: Mapped[LedgerPlan] = relationship(back_populates="areas")
    items: Mapped[list[LedgerItem]] = relationship(back_populates="area", order_by="LedgerItem.number")


class LedgerItem(Base):
    """One work item (1..18): who answers for it, what it must show and which evidence it needs.

    ``targets`` is a list of dicts (see ``app.services.ledger.progress``), e.g.
    ``{"type": "events", "label": "道德讲堂", "count": 1, "per": "half"}``.
    """

    __tablename__ = "ledger_item"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("ledger_plan.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("ledger_area.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)  # 责任部门 by name
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))  # 责任人
    targets: Mapped[list[dict]] = mapped_column(JSON, default=list)
    evidence_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)

    plan: Mapped[LedgerPlan] = relationship(back_populates="items")
    area: Mapped[LedgerArea] = relationship(back_populates="items")
    owner: Mapped[Staff | None] = relationship()

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"


class EventItemLink(Base):
    """An event counted as evidence for an item. Events without rows count for their kind's default
    item; an operator's tagging replaces the event's rows. ``festival`` names the 传统节日 it marks."""

    __tablename__ = "ledger_event_item"
    __table_args__ = (UniqueConstraint("event_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_item.id", ondelete="CASCADE"), index=True)
    festival: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerDocument(Base):
    """A file uploaded against an item (and optionally one of its activities), kept privately."""

    __tablename__ = "ledger_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_item.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    # The day the document belongs to (a plan's date, a photo's activity), for half-year counting.
    dated: Mapped[date] = mapped_column(Date, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    uploaded_by: Mapped[str] = mapped_column(String(50))  # a name, or 命令行
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventRecord(Base):
    """An activity's record for the 台账: for a 道德讲堂 its host, speaker and 环节. Locking it freezes
    the event's reflections."""

    __tablename__ = "ledger_event_record"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    host: Mapped[str | None] = mapped_column(String(50))
    speaker: Mapped[str | None] = mapped_column(String(50))
    # [{"name": "唱歌曲", "content": "《公民道德歌》"}, …]
    segments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Reflection(Base):
    """A 感悟 written after an activity: one per person and event; ``locked`` copies the record's lock
    so an edit is a conditional ``UPDATE … WHERE locked = false``."""

    __tablename__ = "ledger_reflection"
    __table_args__ = (UniqueConstraint("event_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=REFLECTION_PASSED)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    staff: Mapped[Staff] = relationship()


EXPORT_BUILDING = "building"
EXPORT_READY = "ready"
EXPORT_FAILED = "failed"


class LedgerExport(Base):
    """The console's latest inspection pack of a year (one row per year), built in the background.

    Starting a build is ``UPDATE … WHERE status != 'building'`` (or a stale build's heartbeat), so two
    admins pressing the button at once start one build; progress and the outcome are stored here so any
    web worker can show them."""

    __tablename__ = "ledger_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=EXPORT_BUILDING)
    step: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(200), default="")
    file_name: Mapped[str | None] = mapped_column(String(64))  # under UPLOAD_FOLDER/ledger-exports/
    size: Mapped[int | None] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
