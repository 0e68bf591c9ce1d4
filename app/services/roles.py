"""Console roles and what each may do, checked by the console's view decorator and again here for
every object (a liaison acts only for their own department).

| role | may |
| --- | --- |
| 管理员 (admin) | everything |
| 部门联络员 (liaison) | see their department's people, participation and attendance; sign them in by hand |
| 领导 (leader) | read every page and export; change nothing |
| 检查组 (inspector) | the 检查 section: score rounds, check departments, accept rectifications; read the whole 台账 |
| 评委 (judge, no StaffRole: appointed per selection) | only the scoring pages of their selections |
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import AppError, Forbidden, NotFound
from app.models import Department, Staff, StaffRole
from app.models.org import ROLE_ADMIN, ROLE_INSPECTOR, ROLE_LEADER, ROLE_LIAISON, ROLES
from app.security_log import security_event
from app.services import audit

CONSOLE_ROLES = (ROLE_ADMIN, ROLE_LIAISON, ROLE_LEADER, ROLE_INSPECTOR)
ROLE_JUDGE = "judge"  # an appointed judge without a console role (app.services.voting.judges_open_selections)
ROLE_BY_LABEL = {label: role for role, label in ROLES.items()}

# capability -> roles that hold it. Liaisons' capabilities are narrowed to their department by the services.
CAPABILITIES: dict[str, frozenset[str]] = {
    "dashboard.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON}),
    "events.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON}),
    "events.manage": frozenset({ROLE_ADMIN}),
    "attendance.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON}),
    "attendance.manual": frozenset({ROLE_ADMIN, ROLE_LIAISON}),
    "attendance.correct": frozenset({ROLE_ADMIN}),
    "people.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON}),
    "people.manage": frozenset({ROLE_ADMIN}),
    "people.contact": frozenset({ROLE_ADMIN, ROLE_LIAISON}),
    "audit.view": frozenset({ROLE_ADMIN, ROLE_LEADER}),
    "wishes.view": frozenset({ROLE_ADMIN, ROLE_LEADER}),
    "wishes.manage": frozenset({ROLE_ADMIN}),
    "outbox.view": frozenset({ROLE_ADMIN, ROLE_LEADER}),
    "outbox.manage": frozenset({ROLE_ADMIN}),
    "schedule.view": frozenset({ROLE_ADMIN, ROLE_LEADER}),
    "schedule.manage": frozenset({ROLE_ADMIN}),
    "inspections.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_INSPECTOR}),
    "inspections.score": frozenset({ROLE_ADMIN, ROLE_INSPECTOR}),
    "inspections.manage": frozenset({ROLE_ADMIN}),
    # Rectifications per department: liaisons see their own department's and mark their own done.
    "rectifications.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_INSPECTOR, ROLE_LIAISON}),
    # a liaison: their department's items; the 检查组 reads all of it (材料审核)
    "ledger.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON, ROLE_INSPECTOR}),
    "ledger.manage": frozenset({ROLE_ADMIN}),
    "selections.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON}),
    "selections.nominate": frozenset({ROLE_ADMIN, ROLE_LIAISON}),
    "selections.manage": frozenset({ROLE_ADMIN}),
    "selections.score": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON, ROLE_INSPECTOR, ROLE_JUDGE}),  # the service checks the appointment
    # the nav's 评分: judges without another role, and the 检查组 (who may be appointed but see no 评选 pages)
    "selections.judge": frozenset({ROLE_INSPECTOR, ROLE_JUDGE}),
    "pledges.view": frozenset({ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON}),
    "pledges.export": frozenset({ROLE_ADMIN, ROLE_LEADER}),
    "pledges.manage": frozenset({ROLE_ADMIN}),
}


class RoleDenied(Forbidden):
    code = "role_denied"
    message = "您没有权限执行此操作"


class OtherDepartment(Forbidden):
    code = "other_department"
    message = "只能查看或操作本部门的人员"


class InvalidRole(AppError):
    code = "invalid_role"
    message = "角色无效"


class DepartmentNotFound(NotFound):
    code = "department_not_found"
    message = "没有这个部门"


@dataclass(frozen=True)
class Viewer:
    """Who is using the console, with the scope of their roles (read once per request)."""

    staff_id: int
    name: str
    roles: frozenset[str]
    liaison_departments: frozenset[int]

    @classmethod
    def of(cls, staff: Staff, judge: bool = False) -> Viewer:
        held = frozenset(r.role for r in staff.roles if r.role in CONSOLE_ROLES)
        return cls(
            staff_id=staff.id,
            name=staff.name,
            roles=held or (frozenset({ROLE_JUDGE}) if judge else frozenset()),
            liaison_departments=frozenset(
                r.department_id for r in staff.roles if r.role == ROLE_LIAISON and r.department_id is not None
            ),
        )

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor.staff(self.staff_id)

    @property
    def is_admin(self) -> bool:
        return ROLE_ADMIN in self.roles

    @property
    def is_judge_only(self) -> bool:
        return self.roles == {ROLE_JUDGE}

    @property
    def sees_everyone(self) -> bool:
        return bool(self.roles & {ROLE_ADMIN, ROLE_LEADER})

    def can(self, capability: str) -> bool:
        return bool(self.roles & CAPABILITIES[capability])

    def department_scope(self) -> frozenset[int] | None:
        """None: every department; otherwise the departments this viewer may see."""
        return None if self.sees_everyone else self.liaison_departments

    @property
    def role_labels(self) -> list[str]:
        return [ROLES[role] for role in CONSOLE_ROLES if role in self.roles] or (["评委"] if self.is_judge_only else [])


def require(viewer: Viewer, capability: str) -> None:
    if not viewer.can(capability):
        security_event("console_denied", staff=viewer.staff_id, capability=capability)
        raise RoleDenied()


def require_department(viewer: Viewer, capability: str, department_id: int) -> None:
    """``capability`` for something belonging to ``department_id``."""
    require(viewer, capability)
    scope = viewer.department_scope()
    if scope is not None and department_id not in scope:
        security_event("console_other_department", staff=viewer.staff_id, capability=capability, department=department_id)
        raise OtherDepartment()


def has_console_role(staff: Staff) -> bool:
    return staff.active and any(r.role in CONSOLE_ROLES for r in staff.roles)


def parse_role(label: str) -> str:
    """A role from its Chinese label (管理员, 部门联络员, 领导, 检查组) or its code (admin, liaison, leader, inspector)."""
    role = ROLE_BY_LABEL.get(label.strip(), label.strip())
    if role not in ROLES:
        raise InvalidRole(f"角色应为 {'、'.join(ROLES.values())} 之一")
    return role


def _department(session: Session, name: str) -> Department:
    department = session.scalar(select(Department).where(Department.name == name.strip()))
    if department is None:
        raise DepartmentNotFound(f"没有部门“{name.strip()}”")
    return department


def grant_role(
    session: Session, staff: Staff, role: str, actor: audit.Actor, department_name: str | None = None
) -> StaffRole:
    """Grant ``role``; a liaison acts for ``department_name`` (default: their own department).
    Granting again changes a liaison's department. Audited as ``staff.grant_role``."""
    if role not in ROLES:
        raise InvalidRole()
    if role != ROLE_LIAISON and department_name:
        raise InvalidRole("只有部门联络员需要指定部门")
    department_id = None
    if role == ROLE_LIAISON:
        department_id = _department(session, department_name).id if department_name else staff.department_id
    existing = next((r for r in staff.roles if r.role == role), None)
    if existing is None:
        existing = StaffRole(role=role, department_id=department_id)
        staff.roles.append(existing)
    else:
        existing.department_id = department_id
    audit.record(session, actor, "staff.grant_role", "staff", staff.id, role=role, department_id=department_id)
    session.commit()
    return existing


def revoke_role(session: Session, staff: Staff, role: str, actor: audit.Actor) -> bool:
    """Revoke ``role``; False when the person did not hold it. Takes effect on their next request."""
    if role not in ROLES:
        raise InvalidRole()
    if not staff.has_role(role):
        return False
    staff.revoke(role)
    audit.record(session, actor, "staff.revoke_role", "staff", staff.id, role=role)
    session.commit()
    return True
