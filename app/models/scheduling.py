"""What the scheduler keeps: festival notice settings, the civility tip library and its rotation,
operators' working-day overrides, the record of every scheduled notice (sent or skipped), and
APScheduler's own job table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Double, ForeignKey, Integer, LargeBinary, String, Text, Unicode
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow

NOTICE_SENT = "sent"
NOTICE_SKIPPED = "skipped"
CALENDAR_SOLAR = "solar"
CALENDAR_LUNAR = "lunar"
CALENDARS = {CALENDAR_SOLAR: "公历", CALENDAR_LUNAR: "农历"}


class FestivalSetting(Base):
    """How one festival is announced; admins change lead days and the message. Catalogued festivals
    (``app.calendar_cn``) have no date rule here; festivals admins add (七夕, 国庆节 …) carry theirs:
    a solar or lunar month and day."""

    __tablename__ = "festival_setting"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Days before the festival on which a notice goes out, e.g. [7, 1]; 0 is the day itself.
    lead_days: Mapped[list[int]] = mapped_column(JSON)
    template: Mapped[str] = mapped_column(Text)
    # Also create a draft festival event for the admins to complete (with the first notice).
    create_draft_event: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    calendar: Mapped[str | None] = mapped_column(String(8))  # "solar" or "lunar"; None: catalogued
    month: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)

    @property
    def is_custom(self) -> bool:
        return self.calendar is not None

    @property
    def rule_text(self) -> str:
        return f"{CALENDARS[self.calendar]}{self.month}月{self.day}日" if self.calendar else "内置"


class CivilityTip(TimestampMixin, Base):
    __tablename__ = "civility_tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(String(300), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class TipOfDay(Base):
    """Which tip belongs to which day. ``cycle`` counts passes through the library: no tip repeats
    within a cycle. The day is the primary key, so two schedulers cannot pick two tips for one day."""

    __tablename__ = "tip_of_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("civility_tip.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer)

    tip: Mapped[CivilityTip] = relationship()


class CalendarOverride(Base):
    """An operator's word on one day, over chinese-calendar's: a holiday or a working day (调休), for
    a year whose State Council arrangement the installed library does not know yet, or a local one."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScheduledNotice(Base):
    """One scheduled notice, keyed like its outbox rows (``festival:2027:中秋:T-7``): claimed once,
    then either queued (``sent``) or deliberately not sent because it no longer made sense (``skipped``)."""

    __tablename__ = "scheduled_notice"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SchedulerJob(Base):
    """APScheduler's ``SQLAlchemyJobStore`` table, created by our migrations rather than at run time.

    Only the scheduler process reads or writes it (through APScheduler); ``flask jobs`` reads the
    next run times. Column types match what APScheduler 3.11 declares.
    """

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Double, index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
