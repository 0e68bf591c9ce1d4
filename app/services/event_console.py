"""What the console's 活动 pages need beyond app.services.events and app.services.checkins: the list
with drafts and filters, attendance narrowed to a liaison's department, the live counts, and manual
sign-in by a liaison (their own people only). Every function checks the viewer for the object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Checkin, Department, Event, EventRegistration, Staff
from app.models.events import DIRECTION_IN, EVENT_DRAFT, EVENT_KINDS
from app.services import attendance_export, checkins, events, staff
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require, require_department
from app.timeutil import local_datetime

EVENT_STATUS_LABELS = {"draft": "草稿", "published": "已发布", "cancelled": "已取消"}


class InvalidFilter(AppError):
    code = "invalid_filter"
    message = "筛选条件无效"


def parse_month(value: str) -> date | None:
    """``YYYY-MM`` → the first day of that month; empty → None."""
    if not value:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise InvalidFilter("月份格式应为 YYYY-MM") from exc


def list_events(session: Session, viewer: Viewer, kind: str = "", status: str = "", month: str = "", page: int = 1) -> Page:
    """Events newest first, drafts included for those who manage events; filtered by kind, status, month."""
    require(viewer, "events.view")
    if kind and kind not in EVENT_KINDS:
        raise InvalidFilter("没有这种活动类型")
    if status and status not in EVENT_STATUS_LABELS:
        raise InvalidFilter("没有这种活动状态")
    first = parse_month(month)
    statement = select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    if not viewer.can("events.manage"):
        statement = statement.where(Event.status != EVENT_DRAFT)
    if kind:
        statement = statement.where(Event.kind == kind)
    if status:
        statement = statement.where(Event.status == status)
    if first:
        after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        statement = statement.where(
            Event.starts_at >= local_datetime(first, time.min), Event.starts_at < local_datetime(after, time.min)
        )
    return paginate(session, statement, page)


def get_event(session: Session, viewer: Viewer, event_id: int) -> Event:
    require(viewer, "events.view")
    event = events.get_event(session, event_id)
    if event.is_draft and not viewer.can("events.manage"):
        raise events.EventNotFound()
    return event


@dataclass
class LiveCounts:
    signed_in: int
    registered: int
    headcount: int


def live_counts(session: Session, viewer: Viewer, event_id: int) -> LiveCounts:
    """Three counts for the live attendance page, narrowed to the viewer's departments."""
    require(viewer, "attendance.view")
    scope = viewer.department_scope()

    signed_in = select(func.count(Checkin.id)).where(Checkin.event_id == event_id, Checkin.direction == DIRECTION_IN)
    registered = select(func.count(EventRegistration.id)).where(EventRegistration.event_id == event_id)
    if scope is not None:
        signed_in = signed_in.join(Staff, Staff.id == Checkin.staff_id).where(Staff.department_id.in_(scope))
        registered = registered.join(Staff, Staff.id == EventRegistration.staff_id).where(Staff.department_id.in_(scope))
    headcount = select(func.count(Staff.id)).where(Staff.active.is_(True))
    if scope is not None:
        headcount = headcount.where(Staff.department_id.in_(scope))
    return LiveCounts(
        signed_in=int(session.scalar(signed_in) or 0),
        registered=int(session.scalar(registered) or 0),
        headcount=int(session.scalar(headcount) or 0),
    )


def attendance(session: Session, viewer: Viewer, event_id: int) -> checkins.Attendance:
    """The event's attendance, only the viewer's departments' rows for a liaison."""
    event = get_event(session, viewer, event_id)
    require(viewer, "attendance.view")
    sheet = checkins.attendance(session, event.id)
    scope = viewer.department_scope()
    if scope is None:
        return sheet
    keep = lambda rows: [row for row in rows if row.staff.department_id in scope]  # noqa: E731
    return checkins.Attendance(sheet.event, keep(sheet.present), keep(sheet.absent))


def attendance_workbook(session: Session, viewer: Viewer, event_id: int) -> bytes:
    return attendance_export.attendance_workbook(attendance(session, viewer, event_id))


def manual_sign_in(
    session: Session, viewer: Viewer, event_id: int, employee_no: str, direction: str, reason: str
) -> tuple[checkins.CheckinResult, Staff]:
    """Sign someone in (or out) by hand with a reason; a liaison only their own department's people."""
    require(viewer, "attendance.manual")
    person = staff.get_staff(session, employee_no)
    require_department(viewer, "attendance.manual", person.department_id)
    operator = session.get(Staff, viewer.staff_id)
    return checkins.manual_check_in(session, event_id, person, direction, reason, operator), person


def undo_sign_in(session: Session, viewer: Viewer, checkin_id: int, reason: str) -> int:
    """Delete a wrong record (admins); returns its event id."""
    require(viewer, "attendance.correct")
    record = checkins.get_checkin(session, checkin_id)
    event_id = record.event_id
    checkins.undo_checkin(session, checkin_id, reason, session.get(Staff, viewer.staff_id))
    return event_id


def registrations(session: Session, viewer: Viewer, event_id: int) -> list[tuple[Staff, str]]:
    """Registered people with their department, narrowed for a liaison; one query."""
    require(viewer, "attendance.view")
    statement = (
        select(Staff, Department.name)
        .join(EventRegistration, EventRegistration.staff_id == Staff.id)
        .join(Department, Department.id == Staff.department_id)
        .where(EventRegistration.event_id == event_id)
        .order_by(Department.name, Staff.employee_no)
    )
    scope = viewer.department_scope()
    if scope is not None:
        statement = statement.where(Staff.department_id.in_(scope))
    return [(staff, department) for staff, department in session.execute(statement)]


def adjust_hours(session: Session, viewer: Viewer, checkin_id: int, hours: float, reason: str) -> Checkin:
    """Set the hours a sign-out credits (admins), in whole half-hours, with a reason."""
    require(viewer, "attendance.correct")
    return checkins.adjust_hours(session, checkin_id, hours, reason, session.get(Staff, viewer.staff_id))


