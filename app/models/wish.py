"""微心愿: the pairing village's small wishes, who claimed them, the proof, and every status change.

The lifecycle's legal transitions are data (``TRANSITIONS``); ``app/services/wishes/engine.py`` applies them
with conditional updates so concurrent requests cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.org import Staff

# Statuses.
DRAFT = "draft"
OPEN = "open"
CLAIMED = "claimed"
FULFILLED = "fulfilled"  # proof submitted, waiting for an admin
CONFIRMED = "confirmed"
WITHDRAWN = "withdrawn"

STATUS_LABELS = {
    DRAFT: "草稿",
    OPEN: "待认领",
    CLAIMED: "已认领",
    FULFILLED: "待确认",
    CONFIRMED: "已完成",
    WITHDRAWN: "已撤回",
}
# Statuses everyone may see; drafts and withdrawn wishes are for admins only.
PUBLIC_STATUSES = (OPEN, CLAIMED, FULFILLED, CONFIRMED)

GOODS = "goods"
SERVICE = "service"
CATEGORY_LABELS = {GOODS: "实物类", SERVICE: "服务类"}

# Why a claim ended.
CLAIM_RELEASED = "released"  # the claimer gave it back
CLAIM_REVOKED = "revoked"  # an admin took it back
CLAIM_EXPIRED = "expired"  # the deadline passed
CLAIM_COMPLETED = "completed"  # the fulfilment was confirmed
CLAIM_END_LABELS = {
    CLAIM_RELEASED: "已放弃",
    CLAIM_REVOKED: "被管理员收回",
    CLAIM_EXPIRED: "逾期自动释放",
    CLAIM_COMPLETED: "已完成",
}

# Proof notes: checked by WeChat's content-security API. "held" notes wait for an admin.
NOTE_PASSED = "passed"
NOTE_HELD = "held"
NOTE_APPROVED = "approved"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    label: str  # the action's name in Chinese, for messages


# The lifecycle, in one place: action -> which statuses it may start from and where it leads.
TRANSITIONS: dict[str, Transition] = {
    "publish": Transition(frozenset({DRAFT}), OPEN, "发布"),
    "claim": Transition(frozenset({OPEN}), CLAIMED, "认领"),
    "release": Transition(frozenset({CLAIMED}), OPEN, "放弃认领"),
    "revoke": Transition(frozenset({CLAIMED}), OPEN, "收回认领"),
    "expire": Transition(frozenset({CLAIMED}), OPEN, "逾期释放"),
    "submit_proof": Transition(frozenset({CLAIMED}), FULFILLED, "提交完成凭证"),
    "return": Transition(frozenset({FULFILLED}), CLAIMED, "退回凭证"),
    "confirm": Transition(frozenset({FULFILLED}), CONFIRMED, "确认完成"),
    "withdraw": Transition(frozenset({DRAFT, OPEN}), WITHDRAWN, "撤回"),
}


class Wish(TimestampMixin, Base):
    __tablename__ = "wish"
    __table_args__ = (Index("ix_wish_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    story: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    beneficiary_name: Mapped[str] = mapped_column(String(50))
    # Public: the village (or group) the beneficiary lives in. Private: household address and contact.
    village: Mapped[str] = mapped_column(String(100))
    household: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(50))
    estimated_value: Mapped[int | None] = mapped_column(Integer)  # whole yuan
    # The last day (local time) by which the wish must be fulfilled.
    claim_deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    # The current (or, once confirmed, the last) claimer; set together with status in one UPDATE.
    claimer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    claimer: Mapped[Staff | None] = relationship(lazy="joined")
    photos: Mapped[list[WishPhoto]] = relationship(
        primaryjoin="and_(WishPhoto.wish_id == Wish.id, WishPhoto.proof_id.is_(None))",
        order_by="WishPhoto.position",
        viewonly=True,
        lazy="selectin",
    )
    # Every proof submitted for the wish, newest first (who may see which: ``wishes.wish_details``).
    proofs: Mapped[list[WishProof]] = relationship(order_by="WishProof.id.desc()", viewonly=True)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def masked_beneficiary(self) -> str:
        return mask_name(self.beneficiary_name)

    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def can_see_private(self, staff: Staff | None) -> bool:
        """The private block (claim, proofs): admins always; the claimer of a claimed, fulfilled or
        confirmed wish."""
        if staff is None:
            return False
        return staff.is_admin or (self.claimer_id == staff.id and self.status in (CLAIMED, FULFILLED, CONFIRMED))

    def can_see_beneficiary(self, staff: Staff | None) -> bool:
        """The beneficiary's full name, address and contact: admins always; the claimer only while the
        claim is theirs and running (claimed, or proof waiting for confirmation), not once it has ended."""
        if staff is None:
            return False
        return staff.is_admin or (self.claimer_id == staff.id and self.status in (CLAIMED, FULFILLED))

    def __repr__(self) -> str:
        return f"<Wish {self.id} {self.status} {self.title}>"


class WishClaim(Base):
    """One person's claim on one wish, from claiming until it ends.

    While a claim is active, ``active_wish_id`` holds the wish id (unique: one active claim per wish)
    and ``(active_staff_id, slot)`` holds one of the person's numbered claim slots (unique: the cap on
    active claims cannot be exceeded by concurrent requests). Both are cleared when the claim ends.
    """

    __tablename__ = "wish_claim"
    __table_args__ = (UniqueConstraint("active_staff_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(16))
    active_wish_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    active_staff_id: Mapped[int | None] = mapped_column(Integer)
    slot: Mapped[int | None] = mapped_column(Integer)

    wish: Mapped[Wish] = relationship(lazy="joined")
    staff: Mapped[Staff] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return "进行中" if self.end_reason is None else CLAIM_END_LABELS[self.end_reason]


class WishProof(Base):
    """What the claimer submitted as evidence: a note and 1-9 photos."""

    __tablename__ = "wish_proof"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("wish_claim.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(Text)
    note_status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when an admin returns the proof; a returned proof stays as evidence of the attempt.
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[str | None] = mapped_column(String(200))

    staff: Mapped[Staff] = relationship(lazy="joined")
    photos: Mapped[list[WishPhoto]] = relationship(order_by="WishPhoto.position", lazy="selectin")


class WishPhoto(Base):
    """A re-encoded photo on disk under ``UPLOAD_FOLDER``: of the wish itself, or of a proof."""

    __tablename__ = "wish_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id", ondelete="CASCADE"), index=True)
    proof_id: Mapped[int | None] = mapped_column(ForeignKey("wish_proof.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WishTransition(Base):
    """Every status change: who, when, from, to and why. Append-only."""

    __tablename__ = "wish_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    # Same vocabulary as the audit log: "staff", "cli" or "system", plus an id.
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小明 -> 张**: the family name stays, the rest is hidden."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
