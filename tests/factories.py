"""Small factory helpers for test data; they commit so other connections (threads) see the rows."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.extensions import db
from app.models import Department, Staff

_numbers = itertools.count(1)


def make_department(name: str = "办公室") -> Department:
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.commit()
    return department


def make_staff(
    name: str | None = None,
    employee_no: str | None = None,
    department: str = "办公室",
    admin: bool = False,
    wecom_userid: str | None = None,
) -> Staff:
    number = next(_numbers)
    staff = Staff(
        name=name or f"测试{number}",
        employee_no=employee_no or f"F{number:05d}",
        department=make_department(department),
        wecom_userid=wecom_userid,
    )
    if admin:
        staff.grant("admin")
    db.session.add(staff)
    db.session.commit()
    return staff
