"""Who is who among the staff: finding a person by employee number, and people by role."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import ROLE_ADMIN, Staff, StaffRole


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message = "花名册中没有这个工号"


def find_staff(session: Session, employee_no: str, *, active_only: bool = False) -> Staff | None:
    """The roster entry with this 工号 (surrounding spaces ignored), or None; ``active_only`` skips people who left."""
    statement = select(Staff).where(Staff.employee_no == employee_no.strip())
    if active_only:
        statement = statement.where(Staff.active.is_(True))
    return session.scalar(statement)


def get_staff(session: Session, employee_no: str) -> Staff:
    """The roster entry with this 工号, or ``StaffNotFound`` (404) naming it."""
    staff = find_staff(session, employee_no)
    if staff is None:
        raise StaffNotFound(f"花名册中没有工号 {employee_no.strip()}")
    return staff


def active_admins(session: Session) -> Sequence[Staff]:
    """Every active staff member holding the admin role (the people told about reviews and failures)."""
    return session.scalars(
        select(Staff).join(StaffRole).where(StaffRole.role == ROLE_ADMIN, Staff.active.is_(True)).order_by(Staff.id)
    ).all()
