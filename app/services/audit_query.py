"""Reading the audit log for the console: filtered by person, object and time, a page at a time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, and_, cast, select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import AuditLog, Staff
from app.models.events import FIRST_DAY, LAST_DAY
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require
from app.timeutil import local_days


class InvalidAuditFilter(AppError):
    code = "invalid_filter"
    message = "筛选条件无效"


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidAuditFilter("日期格式应为 YYYY-MM-DD") from exc
    if not FIRST_DAY <= day <= LAST_DAY:  # 9999-12-31's next day, or 0001-01-01 in UTC, is no datetime
        raise InvalidAuditFilter(f"日期应在 {FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()} 之间")
    return day


def list_audit(
    session: Session,
    viewer: Viewer,
    actor: str = "",
    entity: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = 1,
) -> Page:
    """Entries newest first as ``(AuditLog, actor name or None)``; ``actor`` is a 工号, ``entity`` is
    ``type`` or ``type:id`` (e.g. ``event:12``), dates are local days, inclusive. Two queries."""
    require(viewer, "audit.view")
    statement = (
        select(AuditLog, Staff.name)
        .outerjoin(Staff, and_(AuditLog.actor_type == "staff", AuditLog.actor_id == cast(Staff.id, String)))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )
    if actor:
        statement = statement.where(Staff.employee_no == actor.strip())
    if entity:
        kind, _, ident = entity.strip().partition(":")
        statement = statement.where(AuditLog.entity_type == kind)
        if ident:
            statement = statement.where(AuditLog.entity_id == ident)
    first, last = _day(date_from), _day(date_to)
    if first:
        statement = statement.where(AuditLog.at >= local_days(first, first)[0])
    if last:
        statement = statement.where(AuditLog.at < local_days(last, last)[1])
    return paginate(session, statement, page, scalars=False)
