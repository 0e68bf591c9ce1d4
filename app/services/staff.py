"""Who is who among the staff, for services that address people by role."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ROLE_ADMIN, Staff, StaffRole


def active_admins(session: Session) -> Sequence[Staff]:
    """Every active staff member holding the admin role (the people told about reviews and failures)."""
    return session.scalars(
        select(Staff).join(StaffRole).where(StaffRole.role == ROLE_ADMIN, Staff.active.is_(True)).order_by(Staff.id)
    ).all()
