"""检查考评: inspection rounds with their score sheet (the plan's 18 items), department checks of the office
environment (item 14), the staff survey and the rectifications that follow.

The survey keeps who answered apart from what was answered: ``survey_respondent`` (survey, staff) is
unique and holds no answers; ``survey_response`` has a random key, no staff and no time, and its
``survey_answer`` rows are keyed by (response, question), so no id order ties an answer to a person.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.org import Department, Staff

ROUND_DRAFT = "draft"
ROUND_SUBMITTED = "submitted"
ROUND_LOCKED = "locked"
ROUND_STATUS_NAMES = {ROUND_DRAFT: "草稿", ROUND_SUBMITTED: "已提交", ROUND_LOCKED: "已锁定"}

RECT_PENDING = "pending"
RECT_DONE = "done"
RECT_ACCEPTED = "accepted"
RECT_STATUS_NAMES = {RECT_PENDING: "待整改", RECT_DONE: "已整改", RECT_ACCEPTED: "已验收"}

QUESTION_SINGLE = "single"
QUESTION_MULTIPLE = "multiple"
QUESTION_TEXT = "text"
QUESTION_KIND_NAMES = {QUESTION_SINGLE: "单选", QUESTION_MULTIPLE: "多选", QUESTION_TEXT: "简答"}

SCORE = Numeric(5, 1)


class InspectionRound(Base):
    """One inspection (e.g. 2026年上半年创建工作检查): draft → submitted → locked."""

    __tablename__ = "inspection_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("ledger_plan.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ROUND_DRAFT)
    # The 通报's own words: addressees (主送), the issuing office and the document number.
    addressees: Mapped[str] = mapped_column(String(200), default="各部门")
    issuer: Mapped[str] = mapped_column(String(100), default="文明单位创建工作领导小组办公室")
    document_no: Mapped[str | None] = mapped_column(String(50))
    inspector_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    scores: Mapped[list[InspectionScore]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="InspectionScore.number"
    )
    checkpoints: Mapped[list[CheckPoint]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="CheckPoint.position"
    )

    @property
    def status_name(self) -> str:
        return ROUND_STATUS_NAMES[self.status]


class InspectionScore(Base):
    """One line of the score sheet: an item of the plan, its maximum, the score and the findings."""

    __tablename__ = "inspection_score"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_item.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    max_score: Mapped[Decimal] = mapped_column(SCORE)
    score: Mapped[Decimal | None] = mapped_column(SCORE)
    findings: Mapped[str] = mapped_column(Text, default="")  # 存在问题
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    round: Mapped[InspectionRound] = relationship(back_populates="scores")


class Rectification(Base):
    """A 整改要求: who must fix what by when; 待整改 → 已整改 (evidence) → 已验收, or back with a reason."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), index=True)
    score_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_score.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    responsible_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    requirement: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=RECT_PENDING, index=True)
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    returned_reason: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department] = relationship()
    responsible: Mapped[Staff] = relationship(foreign_keys=[responsible_id])
    score: Mapped[InspectionScore | None] = relationship()
    photos: Mapped[list[InspectionPhoto]] = relationship(
        primaryjoin="Rectification.id == InspectionPhoto.rectification_id", order_by="InspectionPhoto.id",
        viewonly=True,
    )

    @property
    def status_name(self) -> str:
        return RECT_STATUS_NAMES[self.status]


class CheckPoint(Base):
    """A point of a round's office-environment checklist (整洁, 物品摆放, 禁烟 …)."""

    __tablename__ = "inspection_checkpoint"
    __table_args__ = (UniqueConstraint("round_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))

    round: Mapped[InspectionRound] = relationship(back_populates="checkpoints")


class DepartmentCheck(Base):
    """One point checked in one department: pass or fail, a note, photos."""

    __tablename__ = "inspection_department_check"
    __table_args__ = (UniqueConstraint("checkpoint_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("inspection_checkpoint.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(500), default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    photos: Mapped[list[InspectionPhoto]] = relationship(
        primaryjoin="DepartmentCheck.id == InspectionPhoto.check_id", order_by="InspectionPhoto.id", viewonly=True,
    )


class InspectionPhoto(Base):
    """A cleaned photo (``images.clean_uploads``) of a department check or of rectification evidence."""

    __tablename__ = "inspection_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_department_check.id", ondelete="CASCADE"), index=True)
    rectification_id: Mapped[int | None] = mapped_column(ForeignKey("rectification.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Survey(Base):
    """The staff survey of a round (问卷调查); open until closed."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", order_by="SurveyQuestion.position"
    )


class SurveyQuestion(Base):
    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(200))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions")


class SurveyRespondent(Base):
    """Who answered (for the once-only rule and the response rate), never what."""

    __tablename__ = "survey_respondent"
    __table_args__ = (UniqueConstraint("survey_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    answered_on: Mapped[date] = mapped_column(Date)


class SurveyResponse(Base):
    """What one (unnamed) person answered: a random key, no staff, no time."""

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)


class SurveyAnswer(Base):
    __tablename__ = "survey_answer"

    response_id: Mapped[str] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    choices: Mapped[list[int]] = mapped_column(JSON, default=list)  # option indexes
    text: Mapped[str | None] = mapped_column(Text)
