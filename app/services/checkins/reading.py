"""Reading sign-in records: an event's attendance (with registered people who did not come), a
person's own records, and volunteer hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Checkin, Department, Event, EventRegistration, Staff
from app.models.events import DIRECTION_IN, DIRECTION_OUT
from app.services.checkins.records import present_minutes
from app.services.events import get_event
from app.timeutil import local_days


@dataclass
class AttendanceRow:
    staff: Staff
    department: str
    registered: bool
    checkin: Checkin | None
    checkout: Checkin | None

    @property
    def duration_minutes(self) -> int | None:
        if self.checkin is None or self.checkout is None:
            return None
        return present_minutes(self.checkin.at, self.checkout.at)


@dataclass
class Attendance:
    event: Event
    present: list[AttendanceRow]
    absent: list[AttendanceRow]  # registered, not signed in


def attendance(session: Session, event_id: int) -> Attendance:
    event = get_event(session, event_id)
    records = session.scalars(select(Checkin).where(Checkin.event_id == event.id)).all()
    registered = set(
        session.scalars(select(EventRegistration.staff_id).where(EventRegistration.event_id == event.id)).all()
    )
    people = {record.staff_id for record in records} | registered
    staff_rows = session.execute(
        select(Staff, Department.name)
        .join(Department, Department.id == Staff.department_id)
        .where(Staff.id.in_(people))
        .order_by(Department.name, Staff.employee_no)
    ).all()
    by_person: dict[int, dict[str, Checkin]] = {}
    for record in records:
        by_person.setdefault(record.staff_id, {})[record.direction] = record
    present, absent = [], []
    for staff, department in staff_rows:
        mine = by_person.get(staff.id, {})
        row = AttendanceRow(staff, department, staff.id in registered, mine.get(DIRECTION_IN), mine.get(DIRECTION_OUT))
        (present if row.checkin else absent).append(row)
    present.sort(key=lambda row: row.checkin.at)
    return Attendance(event, present, absent)


def my_checkins_statement(staff_id: int) -> Select:
    return (
        select(Checkin)
        .where(Checkin.staff_id == staff_id)
        .order_by(Checkin.at.desc(), Checkin.id.desc())
        .options(selectinload(Checkin.event))
    )


@dataclass
class VolunteerHours:
    year: int | None
    hours: float
    events: int


def volunteer_hours(session: Session, staff_id: int, year: int | None = None) -> VolunteerHours:
    """Credited hours from sign-outs, in a local calendar year (by the event's start) or all time."""
    statement = select(func.coalesce(func.sum(Checkin.credited_minutes), 0), func.count(Checkin.id)).where(
        Checkin.staff_id == staff_id, Checkin.direction == DIRECTION_OUT
    )
    if year is not None:
        start, end = local_days(date(year, 1, 1), date(year, 12, 31))
        statement = statement.join(Event, Event.id == Checkin.event_id).where(
            Event.starts_at >= start, Event.starts_at < end
        )
    minutes, count = session.execute(statement).one()
    return VolunteerHours(year, int(minutes) / 60, int(count))
