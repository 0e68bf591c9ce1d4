"""The department's organisation: departments and the staff roster."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow

ROLE_ADMIN = "admin"
# Console roles (issue 13): a liaison sees and signs in their own department's people; a leader reads everything.
ROLE_LIAISON = "liaison"
ROLE_LEADER = "leader"
ROLE_INSPECTOR = "inspector"  # 检查组: scores inspection rounds, checks departments, accepts rectifications
ROLES = {ROLE_ADMIN: "管理员", ROLE_LIAISON: "部门联络员", ROLE_LEADER: "领导", ROLE_INSPECTOR: "检查组"}


class Department(TimestampMixin, Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    staff: Mapped[list[Staff]] = relationship(back_populates="department")

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name}>"


class Staff(TimestampMixin, Base):
    """One person on the roster, identified by employee number."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship(back_populates="staff")
    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="select"
    )

    @property
    def role_names(self) -> set[str]:
        return {role.role for role in self.roles}

    @property
    def sorted_roles(self) -> list[str]:
        return sorted(self.role_names)

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def is_admin(self) -> bool:
        return self.has_role(ROLE_ADMIN)

    def grant(self, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if not self.has_role(role):
            self.roles.append(StaffRole(role=role))

    def revoke(self, role: str) -> None:
        self.roles = [r for r in self.roles if r.role != role]

    def __repr__(self) -> str:
        return f"<Staff {self.employee_no} {self.name}>"


class StaffRole(Base):
    __tablename__ = "staff_role"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The department a liaison acts for (ROLE_LIAISON only); NULL for roles without a scope.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))

    staff: Mapped[Staff] = relationship(back_populates="roles")
