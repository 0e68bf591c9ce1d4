"""整改: each requirement names a department, a responsible person and a deadline.

待整改 → 已整改 (the responsible person's note and photos) → 已验收 (an inspector), or back to 待整改 with
a reason. Every transition is a conditional ``UPDATE … WHERE status = …``. ``remind_rectifications``
(a daily job) tells the responsible person ``REMIND_DAYS_BEFORE`` days before the deadline and on the
first day it is passed, as application messages claimed once under ``rectification:<id>:due-soon`` and
``rectification:<id>:overdue``; ``digest_lines`` lists the overdue ones in the weekly digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from app.models import InspectionPhoto, Rectification, Staff
from app.models.base import utcnow
from app.models.inspection import RECT_ACCEPTED, RECT_DONE, RECT_PENDING, RECT_STATUS_NAMES
from app.services import audit, images, notices, outbox
from app.services.inspections.checks import photo_folder, store_photos
from app.services.inspections.errors import (
    DeadlineInPast,
    EvidenceMissing,
    Invalid,
    NotResponsible,
    RectificationNotFound,
    RectificationWrongState,
    StaffNotFound,
)
from app.services.inspections.rounds import get_round, require_inspector, score_line
from app.services.staff import active_admins, find_staff
from app.timeutil import local_today

REQUIREMENT_MAX = 1000
NOTE_MAX = 1000
REASON_MAX = 200
REMIND_DAYS_BEFORE = 3
DIGEST_MAX = 8


def _date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _tell(session: Session, key: str, person: Staff, text: str) -> None:
    """An application message to the person; to the admins, asking them to pass it on, when the person
    has no WeCom account."""
    if person.wecom_userid:
        outbox.enqueue_to_staff(session, key, [person], outbox.text(text))
    else:
        outbox.enqueue_to_staff(session, key, active_admins(session),
                                outbox.text(f"{text}（责任人{person.name}未绑定企业微信，请转告）"))


def add_rectification(
    session: Session,
    round_id: int,
    *,
    requirement: str,
    responsible_employee_no: str,
    deadline: date,
    actor: audit.Actor,
    number: int | None = None,
    today: date | None = None,
) -> Rectification:
    """A requirement for the responsible person's department; the person is told by application message."""
    found = get_round(session, round_id)
    requirement = (requirement or "").strip()
    if not 2 <= len(requirement) <= REQUIREMENT_MAX:
        raise Invalid(f"整改要求应为 2 到 {REQUIREMENT_MAX} 个字", code="requirement_invalid")
    person = find_staff(session, responsible_employee_no, active_only=True)
    if person is None:
        raise StaffNotFound(f"工号 {responsible_employee_no} 不在花名册上（或已离职）")
    if deadline < (today or local_today()):
        raise DeadlineInPast(f"整改期限 {_date_text(deadline)} 已过，请选择今天或以后的日期")
    line = score_line(found, number) if number is not None else None
    rectification = Rectification(round_id=found.id, score_id=line.id if line else None,
                                  department_id=person.department_id, responsible_id=person.id,
                                  requirement=requirement, deadline=deadline)
    session.add(rectification)
    session.flush()
    item = f"（第 {number} 项 {line.title}）" if line else ""
    _tell(session, f"rectification:{rectification.id}:assigned", person,
          f"【整改通知】{found.title}{item}：{requirement}\n请在 {_date_text(deadline)} 前完成整改，"
          "并在小程序“我的整改”中提交整改情况。")
    audit.record(session, actor, "inspection.add_rectification", "rectification", rectification.id,
                 round=found.id, responsible=person.employee_no, deadline=deadline.isoformat())
    session.commit()
    return rectification


def get_rectification(session: Session, rectification_id: int) -> Rectification:
    found = session.get(Rectification, rectification_id)
    if found is None:
        raise RectificationNotFound()
    return found


def _query():
    return select(Rectification).options(selectinload(Rectification.responsible),
                                         selectinload(Rectification.department),
                                         selectinload(Rectification.score),
                                         selectinload(Rectification.photos))


def list_rectifications(
    session: Session, *, round_id: int | None = None, department_id: int | None = None, status: str | None = None
) -> list[Rectification]:
    statement = _query().order_by(Rectification.deadline, Rectification.id)
    if round_id is not None:
        statement = statement.where(Rectification.round_id == round_id)
    if department_id is not None:
        statement = statement.where(Rectification.department_id == department_id)
    if status is not None:
        if status not in RECT_STATUS_NAMES:
            raise Invalid("状态应为 pending、done 或 accepted", code="status_invalid")
        statement = statement.where(Rectification.status == status)
    return list(session.scalars(statement))


def my_rectifications(session: Session, staff: Staff) -> list[Rectification]:
    return list(session.scalars(_query().where(Rectification.responsible_id == staff.id)
                                .order_by(Rectification.status != RECT_PENDING, Rectification.deadline)))


def _move(session: Session, rectification: Rectification, source: str, **values: object) -> None:
    result = session.execute(update(Rectification)
                             .where(Rectification.id == rectification.id, Rectification.status == source)
                             .values(**values))
    if result.rowcount != 1:
        session.rollback()
        session.refresh(rectification)
        raise RectificationWrongState(f"该整改要求当前为“{rectification.status_name}”，不能执行此操作")


def submit_rectification(
    session: Session, rectification_id: int, staff: Staff, note: str, photos: Sequence[BinaryIO]
) -> Rectification:
    """The responsible person (or an admin, on their behalf) reports it done, with a note and/or photos."""
    rectification = get_rectification(session, rectification_id)
    if rectification.responsible_id != staff.id and not staff.is_admin:
        raise NotResponsible()
    if rectification.status != RECT_PENDING:
        raise RectificationWrongState(f"该整改要求当前为“{rectification.status_name}”，不能再提交")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"整改说明不能超过 {NOTE_MAX} 个字", code="rectification_note_too_long")
    if not note and not photos:
        raise EvidenceMissing()
    stored = store_photos(photos) if photos else []
    try:
        _move(session, rectification, RECT_PENDING, status=RECT_DONE, evidence_note=note, submitted_at=utcnow())
        for name, content_type in stored:
            session.add(InspectionPhoto(rectification_id=rectification.id, stored_name=name,
                                        content_type=content_type))
        audit.record(session, audit.Actor.staff(staff.id), "inspection.submit_rectification", "rectification",
                     rectification.id, photos=len(stored))
        session.commit()
    except BaseException:
        session.rollback()
        images.remove_files([photo_folder() / name for name, _ in stored])
        raise
    session.refresh(rectification)
    return rectification


def accept_rectification(session: Session, rectification_id: int, inspector: Staff) -> Rectification:
    require_inspector(inspector)
    rectification = get_rectification(session, rectification_id)
    _move(session, rectification, RECT_DONE, status=RECT_ACCEPTED, accepted_at=utcnow(),
          accepted_by_id=inspector.id, returned_reason=None)
    audit.record(session, audit.Actor.staff(inspector.id), "inspection.accept_rectification", "rectification",
                 rectification.id)
    session.commit()
    session.refresh(rectification)
    return rectification


def return_rectification(session: Session, rectification_id: int, inspector: Staff, reason: str) -> Rectification:
    """Back to 待整改 with a reason the responsible person is told."""
    require_inspector(inspector)
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= REASON_MAX:
        raise Invalid(f"退回原因应为 2 到 {REASON_MAX} 个字", code="return_reason_invalid")
    rectification = get_rectification(session, rectification_id)
    _move(session, rectification, RECT_DONE, status=RECT_PENDING, returned_reason=reason, submitted_at=None)
    key = f"rectification:{rectification.id}:returned:{utcnow():%Y%m%d%H%M%S%f}"
    _tell(session, key, rectification.responsible,
          f"【整改退回】您提交的整改“{rectification.requirement[:40]}”未通过验收：{reason}\n"
          f"请在 {_date_text(rectification.deadline)} 前重新整改并提交。")
    audit.record(session, audit.Actor.staff(inspector.id), "inspection.return_rectification", "rectification",
                 rectification.id, reason=reason)
    session.commit()
    session.refresh(rectification)
    return rectification


def remind_rectifications(session: Session, now: datetime) -> int:
    """Queue today's reminders (due soon, and overdue since yesterday's deadline); returns how many."""
    today = local_today(now)
    due = list(session.scalars(_query().where(Rectification.status == RECT_PENDING,
                                              Rectification.deadline <= today + timedelta(days=REMIND_DAYS_BEFORE))))
    queued = 0
    for rectification in due:
        if rectification.deadline < today:
            key = f"rectification:{rectification.id}:overdue"
            text = (f"【整改逾期】整改要求“{rectification.requirement[:60]}”已于 {_date_text(rectification.deadline)}"
                    "到期，尚未提交整改情况，请尽快完成并在小程序“我的整改”中提交。")
        else:
            key = f"rectification:{rectification.id}:due-soon"
            days = (rectification.deadline - today).days
            when = "今天" if days == 0 else f"{days} 天后（{_date_text(rectification.deadline)}）"
            text = f"【整改提醒】整改要求“{rectification.requirement[:60]}”将于{when}到期，请按时完成并提交整改情况。"
        if not notices.claim(session, key):
            continue
        _tell(session, key, rectification.responsible, text)
        queued += 1
    session.commit()
    return queued


def overdue(session: Session, today: date) -> list[Rectification]:
    return list(session.scalars(_query().where(Rectification.status == RECT_PENDING, Rectification.deadline < today)
                                .order_by(Rectification.deadline, Rectification.id)))


def digest_lines(session: Session, today: date) -> list[str]:
    """Markdown lines naming the overdue rectifications (none: no lines)."""
    late = overdue(session, today)
    if not late:
        return []
    lines = [f"**整改逾期**：{len(late)} 项"]
    for rectification in late[:DIGEST_MAX]:
        lines.append(f"> {rectification.department.name} {rectification.responsible.name}："
                     f"{rectification.requirement[:30]}（{rectification.deadline.month}月{rectification.deadline.day}日到期）")
    if len(late) > DIGEST_MAX:
        lines.append(f"> 等 {len(late)} 项，详见 inspections rectifications")
    return lines
