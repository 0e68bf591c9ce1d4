"""承诺: admins publish a pledge, staff sign it once, liaisons see who has not, reminders go out daily at most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, NotFound
from app.ledger_plan import ITEM_NUMBERS
from app.models import Department, Pledge, PledgeSignature, Staff
from app.models.base import utcnow
from app.models.pledge import PLEDGE_DRAFT, PLEDGE_PUBLISHED, PLEDGE_WITHDRAWN
from app.services import audit, outbox
from app.services.sql import insert_ignoring_conflicts
from app.timeutil import format_local, local_today

TITLE_MAX = 100
BODY_MAX = 5000


class InvalidPledge(AppError):
    status_code = 422
    code = "invalid_pledge"
    message = "承诺书设置有误"


class PledgeNotFound(NotFound):
    code = "pledge_not_found"
    message = "承诺书不存在"


class PledgeNotOpen(Conflict):
    code = "pledge_not_open"


class PledgeWrongState(Conflict):
    code = "pledge_wrong_state"


def create_pledge(
    session: Session, *, title: str, body: str, opens_at: datetime, closes_at: datetime, work_item: int | None,
    actor: audit.Actor, creator: Staff | None = None,
) -> Pledge:
    problems = []
    if not title.strip() or len(title) > TITLE_MAX:
        problems.append(f"标题应为 1–{TITLE_MAX} 个字")
    if not body.strip() or len(body) > BODY_MAX:
        problems.append(f"承诺内容应为 1–{BODY_MAX} 个字")
    if not opens_at < closes_at:
        problems.append("截止时间应晚于开始时间")
    if work_item is not None and work_item not in ITEM_NUMBERS:
        problems.append("工作项目编号应为 1–18")
    if problems:
        raise InvalidPledge("；".join(problems))
    pledge = Pledge(title=title.strip(), body=body.strip(), opens_at=opens_at, closes_at=closes_at,
                    work_item=work_item, status=PLEDGE_DRAFT, created_by_id=creator.id if creator else None)
    session.add(pledge)
    session.flush()
    audit.record(session, actor, "pledge.create", "pledge", pledge.id, title=pledge.title)
    session.commit()
    return pledge


def get_pledge(session: Session, pledge_id: int, *, admin: bool = False) -> Pledge:
    pledge = session.get(Pledge, pledge_id)
    if pledge is None or (not admin and not pledge.is_visible()):
        raise PledgeNotFound()
    return pledge


def pledges_statement(*, admin: bool) -> Select:
    statement = select(Pledge).order_by(Pledge.opens_at.desc(), Pledge.id.desc())
    return statement if admin else statement.where(Pledge.status == PLEDGE_PUBLISHED)


def publish_pledge(session: Session, pledge_id: int, actor: audit.Actor) -> Pledge:
    pledge = get_pledge(session, pledge_id, admin=True)
    if pledge.status != PLEDGE_DRAFT:
        raise PledgeWrongState("只有草稿可以发布")
    pledge.status = PLEDGE_PUBLISHED
    outbox.enqueue_to_groups(session, f"pledge:{pledge.id}:published", outbox.text(
        f"【承诺】{pledge.title}\n请于 {format_local(pledge.closes_at)} 前在小程序「承诺」中阅读并签署。"
    ))
    audit.record(session, actor, "pledge.publish", "pledge", pledge.id)
    session.commit()
    return pledge


def withdraw_pledge(session: Session, pledge_id: int, actor: audit.Actor, reason: str) -> Pledge:
    pledge = get_pledge(session, pledge_id, admin=True)
    if pledge.status == PLEDGE_WITHDRAWN:
        raise PledgeWrongState("承诺书已撤回")
    pledge.status = PLEDGE_WITHDRAWN
    audit.record(session, actor, "pledge.withdraw", "pledge", pledge.id, reason=reason)
    session.commit()
    return pledge


def sign_pledge(session: Session, pledge_id: int, staff: Staff, now: datetime | None = None) -> tuple[PledgeSignature, bool]:
    """Sign once; signing again answers the first signature. Returns ``(signature, created)``."""
    now = now or utcnow()
    pledge = get_pledge(session, pledge_id)
    existing = my_signature(session, pledge_id, staff.id)
    if existing is not None:
        return existing, False
    if not pledge.is_open(now):
        raise PledgeNotOpen(f"签署时间为 {format_local(pledge.opens_at)} 至 {format_local(pledge.closes_at)}")
    created = insert_ignoring_conflicts(session, PledgeSignature, dict(
        pledge_id=pledge_id, staff_id=staff.id, department_id=staff.department_id, signed_name=staff.name, signed_at=now,
    ), ["pledge_id", "staff_id"])
    if created is not None:
        audit.record(session, audit.Actor.staff(staff.id), "pledge.sign", "pledge", pledge_id)
    session.commit()
    return my_signature(session, pledge_id, staff.id), created is not None


def my_signature(session: Session, pledge_id: int, staff_id: int) -> PledgeSignature | None:
    return session.scalar(
        select(PledgeSignature).where(PledgeSignature.pledge_id == pledge_id, PledgeSignature.staff_id == staff_id)
    )


def my_signatures_statement(staff_id: int) -> Select:
    return (select(PledgeSignature).where(PledgeSignature.staff_id == staff_id)
            .order_by(PledgeSignature.signed_at.desc()))


def pledges_with_signatures(session: Session, staff_id: int, limit: int) -> list[tuple[Pledge, PledgeSignature | None]]:
    """Published pledges, latest deadline first, each with this person's signature or None (two queries)."""
    pledges = session.scalars(pledges_statement(admin=False).order_by(None)
                              .order_by(Pledge.closes_at.desc(), Pledge.id.desc()).limit(limit)).all()
    signed = {s.pledge_id: s for s in session.scalars(select(PledgeSignature).where(
        PledgeSignature.staff_id == staff_id, PledgeSignature.pledge_id.in_([p.id for p in pledges])))}
    return [(pledge, signed.get(pledge.id)) for pledge in pledges]


@dataclass(frozen=True)
class DepartmentRate:
    department: str
    department_id: int
    signed: int
    headcount: int

    @property
    def rate(self) -> float:
        return round(self.signed / self.headcount, 4) if self.headcount else 0.0


def signature_rates(session: Session, pledge_id: int) -> list[DepartmentRate]:
    """Signatures of people on the roster today, against each department's active headcount (two queries)."""
    get_pledge(session, pledge_id, admin=True)
    headcount = select(Staff.department_id, func.count().label("n")).where(Staff.active.is_(True)).group_by(Staff.department_id).subquery()
    signed = (
        select(Staff.department_id, func.count().label("n"))
        .join(PledgeSignature, PledgeSignature.staff_id == Staff.id)
        .where(PledgeSignature.pledge_id == pledge_id, Staff.active.is_(True))
        .group_by(Staff.department_id).subquery()
    )
    rows = session.execute(
        select(Department.id, Department.name, func.coalesce(signed.c.n, 0), func.coalesce(headcount.c.n, 0))
        .outerjoin(headcount, headcount.c.department_id == Department.id)
        .outerjoin(signed, signed.c.department_id == Department.id)
        .order_by(Department.name)
    ).all()
    return [DepartmentRate(name, dept_id, signed_n, head) for dept_id, name, signed_n, head in rows if head]


def unsigned_statement(pledge_id: int, department_id: int | None = None) -> Select:
    signed = select(PledgeSignature.staff_id).where(PledgeSignature.pledge_id == pledge_id)
    statement = select(Staff).where(Staff.active.is_(True), Staff.id.not_in(signed)).order_by(Staff.department_id, Staff.employee_no)
    if department_id is not None:
        statement = statement.where(Staff.department_id == department_id)
    return statement


def remind_unsigned(session: Session, pledge_id: int, actor: audit.Actor, now: datetime | None = None) -> int:
    """Queue a reminder to everyone who has not signed; at most once per pledge per person per local day."""
    now = now or utcnow()
    pledge = get_pledge(session, pledge_id, admin=True)
    if not pledge.is_open(now):
        raise PledgeNotOpen("承诺书不在签署期内，无需提醒")
    people = session.scalars(unsigned_statement(pledge_id)).all()
    queued = outbox.enqueue_to_staff(
        session, f"pledge:{pledge_id}:remind:{local_today(now).isoformat()}", people,
        outbox.text(f"您尚未签署「{pledge.title}」，请于 {format_local(pledge.closes_at)} 前在小程序「承诺」中阅读并签署。"),
    )
    audit.record(session, actor, "pledge.remind", "pledge", pledge_id, queued=queued)
    session.commit()
    return queued


def export_signatures(session: Session, pledge_id: int, path: Path | BinaryIO) -> int:
    from openpyxl import Workbook

    pledge = get_pledge(session, pledge_id, admin=True)
    rows = session.execute(
        select(PledgeSignature, Department.name)
        .join(Department, Department.id == PledgeSignature.department_id)
        .where(PledgeSignature.pledge_id == pledge_id)
        .order_by(Department.name, PledgeSignature.signed_at)
    ).all()
    book = Workbook()
    sheet = book.active
    sheet.title = "签署名单"
    sheet.append([f"{pledge.title} 签署名单"])
    sheet.append(["序号", "姓名", "工号", "部门", "签署时间"])
    for number, (signature, department) in enumerate(rows, start=1):
        sheet.append([number, signature.signed_name, signature.staff.employee_no, department,
                      format_local(signature.signed_at, "%Y-%m-%d %H:%M:%S")])
    for column, width in zip("ABCDE", (6, 12, 12, 20, 20), strict=True):
        sheet.column_dimensions[column].width = width
    book.save(path)
    return len(rows)
