"""Events (moral lectures, volunteer service, festivals ...), registrations and sign-in records."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.org import Staff

# Event kinds, in the order the campaign lists them.
EVENT_KINDS = ("道德讲堂", "志愿服务", "传统节日", "文体活动", "植树护绿", "帮扶共建", "主题教育", "其他")

EVENT_DRAFT = "draft"
EVENT_PUBLISHED = "published"
EVENT_CANCELLED = "cancelled"
EVENT_STATUSES = (EVENT_DRAFT, EVENT_PUBLISHED, EVENT_CANCELLED)

DIRECTION_IN = "in"
DIRECTION_OUT = "out"
DIRECTIONS = (DIRECTION_IN, DIRECTION_OUT)

# How a sign-in record was made.
METHOD_PRINTED = "printed"  # the code on a printed poster
METHOD_LIVE = "live"  # the rotating code on the venue screen
METHOD_MANUAL = "manual"  # an admin, with a reason

# The limits of what an organiser fills in: the one source for the service, the API schema and the CLI.
TITLE_MAX = 100  # the column's length
LOCATION_MAX = 200  # the column's length
DESCRIPTION_MAX = 5000
CAPACITY_RANGE = (1, 100_000)
RADIUS_RANGE_M = (10, 50_000)
LATITUDE_RANGE = (-90, 90)
LONGITUDE_RANGE = (-180, 180)
MAX_EVENT_DAYS = 7
# Event times Python, both databases and the calendar can all hold with room to spare (local days, inclusive).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# Kinds whose events accept only the venue screen's rotating code unless the organiser says otherwise.
LIVE_CODE_ONLY_KINDS = frozenset({"道德讲堂"})


class Event(TimestampMixin, Base):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("checkin_closes_at > checkin_opens_at", name="checkin_window_order"),
        CheckConstraint("registered_count >= 0", name="registered_count_non_negative"),
        CheckConstraint("capacity IS NULL OR registered_count <= capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(LOCATION_MAX))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checkin_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checkin_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Sign-out (volunteer service): open from the start until this moment.
    checkout_required: Mapped[bool] = mapped_column(Boolean, default=False)
    checkout_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # With registration required: people who did not register may still sign in (walk-ins).
    walk_ins_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Only the venue screen's rotating code signs people in: a photo of a printed code does not.
    live_code_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Kept by conditional UPDATEs, never read-then-written; the check constraint backs it up.
    registered_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=EVENT_PUBLISHED)
    # When reminders go out, e.g. ["1d@09:00", "60m"] (see app.services.event_reminders);
    # NULL means the default, [] means none.
    reminders: Mapped[list[str] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_draft(self) -> bool:
        return self.status == EVENT_DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == EVENT_PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EVENT_CANCELLED

    @property
    def is_visible(self) -> bool:
        """Staff may see it: published or cancelled, never a draft."""
        return not self.is_draft

    @property
    def registration_gates_checkin(self) -> bool:
        """Only registered people may sign in."""
        return self.registration_required and not self.walk_ins_allowed

    @property
    def has_geofence(self) -> bool:
        return self.latitude is not None and self.longitude is not None and self.radius_m is not None

    @property
    def planned_minutes(self) -> int:
        return int((self.ends_at - self.starts_at) / timedelta(minutes=1))

    def takes_direction(self, direction: str) -> bool:
        """Sign-in always; sign-out only where the event has it."""
        return direction != DIRECTION_OUT or self.checkout_required

    def accepts_method(self, method: str) -> bool:
        """Whether a code made this way (printed, live) may sign someone in or out."""
        return not (self.live_code_only and method == METHOD_PRINTED)

    def window(self, direction: str) -> tuple[datetime, datetime]:
        """When codes for ``direction`` are accepted."""
        if direction == DIRECTION_OUT:
            return self.starts_at, self.checkout_closes_at or self.ends_at
        return self.checkin_opens_at, self.checkin_closes_at

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.title}>"


class EventRegistration(Base):
    __tablename__ = "event_registration"
    __table_args__ = (UniqueConstraint("event_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    staff: Mapped[Staff] = relationship()


class Checkin(Base):
    """One sign-in or sign-out. The database keeps one per person, event and direction, and one per
    client nonce, so concurrent scans and retries can never create a second record."""

    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("event_id", "staff_id", "direction"),
        UniqueConstraint("staff_id", "nonce"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    method: Mapped[str] = mapped_column(String(16))
    # The client's idempotency key; NULL for manual records (NULLs never collide).
    nonce: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    # Sign-out only: whole half-hours, capped at the planned length unless an admin adjusted it.
    credited_minutes: Mapped[int | None] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    event: Mapped[Event] = relationship(lazy="raise")
    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="raise")

    @property
    def credited_hours(self) -> float | None:
        return None if self.credited_minutes is None else self.credited_minutes / 60

    @property
    def is_scanned(self) -> bool:
        return self.method != METHOD_MANUAL
