"""评选 (selections): entries nominated or submitted, votes under a per-voter cap, jury scores, results.

The rules concurrency could break live in the database: one vote per (selection, voter, entry), and
each of a voter's votes takes one numbered slot 1..K that is unique per (selection, voter), so the
cap of K votes holds under any number of concurrent requests (the service never offers slot K+1).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.org import Department, Staff

KIND_HONOUR = "honour"
KIND_WORKS = "works"
SELECTION_KINDS = {KIND_HONOUR: "评选先进", KIND_WORKS: "作品征集"}

METHOD_VOTES = "votes"
METHOD_JURY = "jury"
METHOD_MIXED = "mixed"
RESULT_METHODS = {METHOD_VOTES: "按得票", METHOD_JURY: "按评委评分", METHOD_MIXED: "得票与评分加权"}

SELECTION_DRAFT = "draft"
SELECTION_PUBLISHED = "published"
SELECTION_CANCELLED = "cancelled"

PHASE_DRAFT = "draft"
PHASE_UPCOMING = "upcoming"
PHASE_NOMINATING = "nominating"
PHASE_REVIEWING = "reviewing"
PHASE_VOTING = "voting"
PHASE_COUNTING = "counting"
PHASE_PUBLICITY = "publicity"
PHASE_FINISHED = "finished"
PHASE_CANCELLED = "cancelled"
PHASE_LABELS = {
    PHASE_DRAFT: "草稿",
    PHASE_UPCOMING: "未开始",
    PHASE_NOMINATING: "报名/推荐",
    PHASE_REVIEWING: "审核",
    PHASE_VOTING: "投票",
    PHASE_COUNTING: "计票",
    PHASE_PUBLICITY: "公示",
    PHASE_FINISHED: "结果",
    PHASE_CANCELLED: "已取消",
}

SUBJECT_PERSON = "person"
SUBJECT_DEPARTMENT = "department"
SUBJECT_FAMILY = "family"
SUBJECT_WORK = "work"
SUBJECT_LABELS = {SUBJECT_PERSON: "个人", SUBJECT_DEPARTMENT: "集体", SUBJECT_FAMILY: "家庭", SUBJECT_WORK: "作品"}

ENTRY_PENDING = "pending"
ENTRY_APPROVED = "approved"
ENTRY_REJECTED = "rejected"
ENTRY_STATUS_LABELS = {ENTRY_PENDING: "待审核", ENTRY_APPROVED: "已通过", ENTRY_REJECTED: "未通过"}


class Selection(TimestampMixin, Base):
    __tablename__ = "selection"
    __table_args__ = (
        CheckConstraint("nominate_from < nominate_until", name="nominate_window"),
        CheckConstraint("nominate_until <= vote_from", name="review_before_vote"),
        CheckConstraint("vote_from < vote_until", name="vote_window"),
        CheckConstraint("votes_per_voter BETWEEN 1 AND 50", name="votes_per_voter_range"),
        CheckConstraint("vote_weight BETWEEN 0 AND 100", name="vote_weight_range"),
        CheckConstraint("publicity_days BETWEEN 1 AND 30", name="publicity_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    work_item: Mapped[int | None] = mapped_column(Integer)
    nominate_from: Mapped[datetime] = mapped_column(UTCDateTime())
    nominate_until: Mapped[datetime] = mapped_column(UTCDateTime())
    vote_from: Mapped[datetime] = mapped_column(UTCDateTime())
    vote_until: Mapped[datetime] = mapped_column(UTCDateTime())
    publicity_days: Mapped[int] = mapped_column(Integer, default=5)
    votes_per_voter: Mapped[int] = mapped_column(Integer, default=3)
    forbid_own_department: Mapped[bool] = mapped_column(Boolean, default=False)
    forbid_self: Mapped[bool] = mapped_column(Boolean, default=True)
    result_method: Mapped[str] = mapped_column(String(16), default=METHOD_VOTES)
    vote_weight: Mapped[int] = mapped_column(Integer, default=100)
    status: Mapped[str] = mapped_column(String(16), default=SELECTION_DRAFT, index=True)
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    @property
    def kind_label(self) -> str:
        return SELECTION_KINDS[self.kind]

    @property
    def method_label(self) -> str:
        return RESULT_METHODS[self.result_method]

    @property
    def publicity_until(self) -> datetime | None:
        if self.results_published_at is None:
            return None
        return self.results_published_at + timedelta(days=self.publicity_days)

    def phase(self, now: datetime | None = None) -> str:
        now = now or utcnow()
        if self.status == SELECTION_CANCELLED:
            return PHASE_CANCELLED
        if self.status == SELECTION_DRAFT:
            return PHASE_DRAFT
        if self.results_published_at is not None:
            return PHASE_PUBLICITY if now < self.publicity_until else PHASE_FINISHED
        for boundary, phase in (
            (self.nominate_from, PHASE_UPCOMING),
            (self.nominate_until, PHASE_NOMINATING),
            (self.vote_from, PHASE_REVIEWING),
            (self.vote_until, PHASE_VOTING),
        ):
            if now < boundary:
                return phase
        return PHASE_COUNTING

    def phase_label(self, now: datetime | None = None) -> str:
        return PHASE_LABELS[self.phase(now)]

    def is_visible(self) -> bool:
        return self.status != SELECTION_DRAFT


class SelectionEntry(TimestampMixin, Base):
    """A nominee (person, department, family with a contact person) or a work submitted by staff."""

    __tablename__ = "selection_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default=ENTRY_PENDING)
    review_reason: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id], lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    photos: Mapped[list[SelectionPhoto]] = relationship(
        order_by="SelectionPhoto.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def subject_label(self) -> str:
        return SUBJECT_LABELS[self.subject]

    @property
    def status_label(self) -> str:
        return ENTRY_STATUS_LABELS[self.status]


class SelectionPhoto(Base):
    __tablename__ = "selection_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("selection_entry.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


class Vote(Base):
    __tablename__ = "vote"
    __table_args__ = (
        UniqueConstraint("selection_id", "voter_id", "entry_id"),
        UniqueConstraint("selection_id", "voter_id", "slot"),
        CheckConstraint("slot >= 1", name="slot_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("selection_entry.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    voter_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    slot: Mapped[int] = mapped_column(Integer)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SelectionJudge(Base):
    __tablename__ = "selection_judge"

    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)

    staff: Mapped[Staff] = relationship(lazy="joined")


class JuryScore(Base):
    __tablename__ = "jury_score"
    __table_args__ = (
        UniqueConstraint("entry_id", "judge_id"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("selection_entry.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    score: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SelectionResult(Base):
    """The published ranking, frozen when results are published (later changes cannot alter it)."""

    __tablename__ = "selection_result"
    __table_args__ = (UniqueConstraint("selection_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("selection_entry.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    tied: Mapped[bool] = mapped_column(Boolean, default=False)
    votes: Mapped[int] = mapped_column(Integer)
    jury_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)

    entry: Mapped[SelectionEntry] = relationship(lazy="joined")
