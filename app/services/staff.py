"""Who the staff are, as other services need them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Staff, StaffRole
from app.models.org import ROLE_ADMIN


def active_admins(session: Session) -> list[Staff]:
    """Every active staff member with the admin role, by id."""
    return list(
        session.scalars(
            select(Staff)
            .join(StaffRole)
            .where(StaffRole.role == ROLE_ADMIN, Staff.active.is_(True))
            .order_by(Staff.id)
        )
    )
