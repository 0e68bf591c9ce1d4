"""Read-only campaign statistics: participation by department over a period.

One definition, used by the bot's 统计 and the weekly digest: sign-ins and sign-outs at *published*
events (drafts and cancelled events never count) that start in the period, by the person's department.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.models import Checkin, Department, Event, Staff
from app.models.events import DIRECTION_IN, DIRECTION_OUT, EVENT_PUBLISHED


@dataclass(frozen=True)
class DepartmentParticipation:
    department: str
    roster: int  # active staff on the roster
    participants: int  # distinct people with at least one sign-in in the period
    sign_ins: int
    hours: float  # volunteer hours credited by sign-outs

    @property
    def rate(self) -> float:
        return self.participants / self.roster if self.roster else 0.0


def participation_by_department(session: Session, start: datetime, end: datetime) -> list[DepartmentParticipation]:
    """Sign-ins, distinct people and volunteer hours for published events starting in ``[start, end)``, per
    department of the person (as ``checkins.volunteer_hours`` counts a year by the event's start).

    Every department with someone on the roster or a record in the period is listed, the highest
    participation rate first. Three grouped queries; nothing is loaded row by row.
    """
    in_period = (Event.status == EVENT_PUBLISHED, Event.starts_at >= start, Event.starts_at < end)
    sign_ins = dict(
        (department_id, (count, people))
        for department_id, count, people in session.execute(
            select(Staff.department_id, func.count(Checkin.id), func.count(distinct(Checkin.staff_id)))
            .join(Staff, Staff.id == Checkin.staff_id)
            .join(Event, Event.id == Checkin.event_id)
            .where(Checkin.direction == DIRECTION_IN, *in_period)
            .group_by(Staff.department_id)
        )
    )
    minutes = dict(
        session.execute(
            select(Staff.department_id, func.coalesce(func.sum(Checkin.credited_minutes), 0))
            .join(Staff, Staff.id == Checkin.staff_id)
            .join(Event, Event.id == Checkin.event_id)
            .where(Checkin.direction == DIRECTION_OUT, *in_period)
            .group_by(Staff.department_id)
        ).all()
    )
    roster = dict(
        session.execute(
            select(Staff.department_id, func.count(Staff.id)).where(Staff.active.is_(True)).group_by(Staff.department_id)
        ).all()
    )
    rows = [
        DepartmentParticipation(
            department=name,
            roster=int(roster.get(department_id, 0)),
            participants=int(sign_ins.get(department_id, (0, 0))[1]),
            sign_ins=int(sign_ins.get(department_id, (0, 0))[0]),
            hours=int(minutes.get(department_id, 0)) / 60,
        )
        for department_id, name in session.execute(select(Department.id, Department.name))
        if department_id in roster or department_id in sign_ins or department_id in minutes
    ]
    return sorted(rows, key=lambda row: (-row.rate, -row.sign_ins, row.department))
