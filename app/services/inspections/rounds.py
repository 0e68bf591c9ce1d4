"""Inspection rounds and their score sheet.

A round is created from a year's plan: one score line per item (maximum scores editable, defaults
summing to 100) and the default office-environment checklist. Scores change while the round is a
draft; ``submit_round`` needs every item scored; ``lock_round`` freezes it, after which a score changes
only through ``correct_score``, audited with the previous value and a reason. State changes are
conditional ``UPDATE … WHERE status = …`` statements, so a score and a lock racing have one winner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, selectinload

from app.ledger_plan import ITEM_NUMBERS
from app.models import CheckPoint, InspectionRound, InspectionScore, LedgerDocument, Staff
from app.models.base import utcnow
from app.models.inspection import ROUND_DRAFT, ROUND_LOCKED, ROUND_SUBMITTED
from app.models.org import ROLE_ADMIN, ROLE_INSPECTOR
from app.services import audit
from app.services.inspections.errors import (
    Invalid,
    NotInspector,
    RoundExists,
    RoundLocked,
    RoundNotFound,
    RoundNotLocked,
    RoundWrongState,
    ScoreItemNotFound,
    ScoreOverMaximum,
    ScoresIncomplete,
)
from app.services.ledger.evidence import half_of
from app.services.ledger.plan import get_plan
from app.services.ledger.progress import ItemProgress, plan_progress

# Items 1–10 weigh 6, items 11–18 weigh 5: 60 + 40 = 100.
DEFAULT_MAX_SCORES = {number: Decimal(6 if number <= 10 else 5) for number in ITEM_NUMBERS}
DEFAULT_CHECKLIST = ("整洁", "物品摆放", "禁烟", "卫生间", "停车")
TITLE_MAX = 100
FINDINGS_MAX = 2000
DETAIL_NAMES = {"title": "标题", "addressees": "主送", "issuer": "发文机关"}


def points(value: Decimal) -> str:
    """6.0 → "6", 5.5 → "5.5"."""
    return f"{value.normalize():f}"


def is_inspector(staff: Staff) -> bool:
    return staff.has_role(ROLE_INSPECTOR) or staff.has_role(ROLE_ADMIN)


def require_inspector(staff: Staff) -> None:
    """Inspectors (检查组) and admins may score, check and accept."""
    if not is_inspector(staff):
        raise NotInspector()


def get_round(session: Session, round_id: int) -> InspectionRound:
    found = session.get(InspectionRound, round_id)
    if found is None:
        raise RoundNotFound()
    return found


def list_rounds(session: Session) -> list[InspectionRound]:
    return list(session.scalars(select(InspectionRound).options(selectinload(InspectionRound.scores))
                                .order_by(InspectionRound.starts_on.desc(), InspectionRound.id.desc())))


def parse_score(value: object, field: str = "得分") -> Decimal:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise Invalid(f"{field}应为数字", code="score_invalid") from exc
    if not score.is_finite() or score < 0:
        raise Invalid(f"{field}不能小于 0", code="score_invalid")
    if score > 1000:
        raise Invalid(f"{field}不能大于 1000", code="score_invalid")
    return score


def default_title(year: int, starts_on: date) -> str:
    return f"{year}年{'上' if half_of(starts_on) == 1 else '下'}半年创建工作检查"


def create_round(
    session: Session,
    *,
    year: int,
    starts_on: date,
    ends_on: date,
    actor: audit.Actor,
    title: str | None = None,
    inspector_ids: list[int] | None = None,
) -> InspectionRound:
    """A draft round over the year's plan: the 18 items with their default maximums, the default checklist."""
    plan = get_plan(session, year)
    if ends_on < starts_on:
        raise Invalid("检查结束日期不能早于开始日期", code="round_dates_invalid")
    if starts_on.year != year:
        raise Invalid(f"检查日期应在 {year} 年内", code="round_dates_invalid")
    title = (title or default_title(year, starts_on)).strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise Invalid(f"标题应为 1 到 {TITLE_MAX} 个字", code="round_title_invalid")
    if session.scalar(select(InspectionRound.id).where(InspectionRound.title == title)) is not None:
        raise RoundExists(f"检查轮次“{title}”已存在")
    people = []
    for staff_id in inspector_ids or []:
        person = session.get(Staff, staff_id)
        if person is None or not person.active or not is_inspector(person):
            raise Invalid("检查组成员应为在职且有检查组或管理员角色的人员", code="inspector_invalid")
        people.append(person.id)
    found = InspectionRound(plan_id=plan.id, title=title, starts_on=starts_on, ends_on=ends_on,
                            inspector_ids=people)
    for item in plan.items:
        found.scores.append(InspectionScore(item_id=item.id, number=item.number, title=item.title,
                                            max_score=DEFAULT_MAX_SCORES.get(item.number, Decimal(5))))
    for position, name in enumerate(DEFAULT_CHECKLIST, start=1):
        found.checkpoints.append(CheckPoint(position=position, name=name))
    session.add(found)
    session.flush()
    audit.record(session, actor, "inspection.create_round", "inspection_round", found.id, title=title, year=year)
    session.commit()
    return found


def update_details(
    session: Session,
    round_id: int,
    actor: audit.Actor,
    *,
    title: str | None = None,
    addressees: str | None = None,
    issuer: str | None = None,
    document_no: str | None = None,
) -> InspectionRound:
    """The round's title and the 通报's own words: 主送, 发文机关, 文号 (an empty 文号 clears it)."""
    found = get_round(session, round_id)
    changes: dict[str, str | None] = {}
    for name, value, limit in (("title", title, TITLE_MAX), ("addressees", addressees, 200), ("issuer", issuer, 100)):
        if value is None:
            continue
        value = value.strip()
        if not 1 <= len(value) <= limit:
            raise Invalid(f"{DETAIL_NAMES[name]}应为 1 到 {limit} 个字", code="round_details_invalid")
        changes[name] = value
    if document_no is not None:
        if len(document_no.strip()) > 50:
            raise Invalid("文号不能超过 50 个字", code="round_details_invalid")
        changes["document_no"] = document_no.strip() or None
    if "title" in changes and changes["title"] != found.title and session.scalar(
            select(InspectionRound.id).where(InspectionRound.title == changes["title"])) is not None:
        raise RoundExists(f"检查轮次“{changes['title']}”已存在")
    before = {name: getattr(found, name) for name in changes}
    for name, value in changes.items():
        setattr(found, name, value)
    audit.record(session, actor, "inspection.edit_round", "inspection_round", found.id, before=before, after=changes)
    session.commit()
    return found


def score_line(found: InspectionRound, number: int) -> InspectionScore:
    for line in found.scores:
        if line.number == number:
            return line
    raise ScoreItemNotFound(f"评分表中没有第 {number} 项")


def _refuse_unless_draft(found: InspectionRound) -> None:
    if found.status == ROUND_LOCKED:
        raise RoundLocked("检查轮次已锁定，分数只能通过更正修改")
    if found.status != ROUND_DRAFT:
        raise RoundWrongState("检查轮次已提交，退回草稿后才能修改")


def _update_in_draft(session: Session, found: InspectionRound, line: InspectionScore, **values: object) -> None:
    """Change a score line only while its round is still a draft (one statement, so a lock wins or loses whole)."""
    draft = exists().where(InspectionRound.id == found.id, InspectionRound.status == ROUND_DRAFT)
    result = session.execute(update(InspectionScore).where(InspectionScore.id == line.id, draft)
                             .values(updated_at=utcnow(), **values))
    if result.rowcount != 1:
        session.rollback()
        session.refresh(found)
        _refuse_unless_draft(found)
        raise RoundWrongState()


def set_max_score(session: Session, round_id: int, number: int, max_score: object, actor: audit.Actor) -> InspectionScore:
    found = get_round(session, round_id)
    _refuse_unless_draft(found)
    line = score_line(found, number)
    value = parse_score(max_score, "满分")
    if value <= 0:
        raise Invalid("满分应大于 0", code="score_invalid")
    if line.score is not None and line.score > value:
        raise ScoreOverMaximum(f"第 {number} 项已得 {points(line.score)} 分，满分不能低于得分")
    _update_in_draft(session, found, line, max_score=value)
    audit.record(session, actor, "inspection.set_max_score", "inspection_score", line.id,
                 number=number, before=str(line.max_score), after=str(value))
    session.commit()
    session.refresh(line)
    return line


def score_item(
    session: Session,
    round_id: int,
    number: int,
    *,
    score: object | None,
    findings: str | None,
    scorer: Staff | None,
    actor: audit.Actor,
) -> InspectionScore:
    """Save an item's score and findings (存在问题) in a draft round."""
    found = get_round(session, round_id)
    if scorer is not None:
        require_inspector(scorer)
    _refuse_unless_draft(found)
    line = score_line(found, number)
    values: dict[str, object] = {"scored_by_id": scorer.id if scorer else None}
    if score is not None:
        value = parse_score(score)
        if value > line.max_score:
            raise ScoreOverMaximum(f"第 {number} 项满分 {points(line.max_score)} 分，得分不能超过满分")
        values["score"] = value
    if findings is not None:
        findings = findings.strip()
        if len(findings) > FINDINGS_MAX:
            raise Invalid(f"存在问题不能超过 {FINDINGS_MAX} 个字", code="findings_too_long")
        values["findings"] = findings
    _update_in_draft(session, found, line, **values)
    audit.record(session, actor, "inspection.score", "inspection_score", line.id, number=number,
                 score=str(values.get("score", line.score)))
    session.commit()
    session.refresh(line)
    return line


def _transition(session: Session, found: InspectionRound, source: str, target: str, **values: object) -> None:
    result = session.execute(update(InspectionRound)
                             .where(InspectionRound.id == found.id, InspectionRound.status == source)
                             .values(status=target, **values))
    if result.rowcount != 1:
        session.rollback()
        session.refresh(found)
        if found.status == ROUND_LOCKED:
            raise RoundLocked("检查轮次已锁定")
        raise RoundWrongState(f"检查轮次当前为“{found.status_name}”，不能执行此操作")


def submit_round(session: Session, round_id: int, actor: audit.Actor) -> InspectionRound:
    found = get_round(session, round_id)
    missing = [line.number for line in found.scores if line.score is None]
    if missing:
        raise ScoresIncomplete(f"还有 {len(missing)} 项没有评分（第 {'、'.join(map(str, missing))} 项），不能提交")
    _transition(session, found, ROUND_DRAFT, ROUND_SUBMITTED, submitted_at=utcnow())
    audit.record(session, actor, "inspection.submit", "inspection_round", found.id)
    session.commit()
    return get_round(session, round_id)


def reopen_round(session: Session, round_id: int, actor: audit.Actor) -> InspectionRound:
    found = get_round(session, round_id)
    _transition(session, found, ROUND_SUBMITTED, ROUND_DRAFT, submitted_at=None)
    audit.record(session, actor, "inspection.reopen", "inspection_round", found.id)
    session.commit()
    return get_round(session, round_id)


def lock_round(session: Session, round_id: int, actor: audit.Actor) -> InspectionRound:
    found = get_round(session, round_id)
    _transition(session, found, ROUND_SUBMITTED, ROUND_LOCKED, locked_at=utcnow())
    audit.record(session, actor, "inspection.lock", "inspection_round", found.id, total=str(total_score(found)))
    session.commit()
    return get_round(session, round_id)


def correct_score(
    session: Session, round_id: int, number: int, score: object, reason: str, actor: audit.Actor
) -> InspectionScore:
    """Change a locked round's score: audited with the previous value and the reason."""
    found = get_round(session, round_id)
    if found.status != ROUND_LOCKED:
        raise RoundNotLocked()
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise Invalid("更正原因应为 2 到 200 个字", code="correction_reason_invalid")
    line = score_line(found, number)
    value = parse_score(score)
    if value > line.max_score:
        raise ScoreOverMaximum(f"第 {number} 项满分 {points(line.max_score)} 分，得分不能超过满分")
    before = line.score
    session.execute(update(InspectionScore).where(InspectionScore.id == line.id)
                    .values(score=value, updated_at=utcnow()))
    audit.record(session, actor, "inspection.correct_score", "inspection_score", line.id, round=found.id,
                 number=number, before=None if before is None else str(before), after=str(value), reason=reason)
    session.commit()
    session.refresh(line)
    return line


def total_score(found: InspectionRound) -> Decimal:
    return sum((line.score or Decimal(0) for line in found.scores), Decimal(0))


def max_total(found: InspectionRound) -> Decimal:
    return sum((line.max_score for line in found.scores), Decimal(0))


@dataclass
class SheetLine:
    line: InspectionScore
    progress: ItemProgress | None  # the item's 台账 evidence, beside the score
    documents: list[LedgerDocument] = field(default_factory=list)  # the item's filed documents


def score_sheet(session: Session, round_id: int) -> tuple[InspectionRound, list[SheetLine]]:
    """The round's score lines, each with its item's progress from the 台账 (the half the round falls in)."""
    found = get_round(session, round_id)
    year = found.starts_on.year
    result = plan_progress(session, year, half_of(found.starts_on))
    by_number = {p.item.number: p for p in result.items}
    documents = {p.item.number: result.evidence.documents_for(p.item) for p in result.items}
    return found, [SheetLine(line, by_number.get(line.number), documents.get(line.number, []))
                   for line in found.scores]
