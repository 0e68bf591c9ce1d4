"""Who is who among the staff: finding a person by employee number, and people by role."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from app.errors import Conflict, NotFound
from app.models import ROLE_ADMIN, ApiSession, Department, MiniProgramAccount, Staff, StaffRole
from app.models.base import utcnow
from app.services import audit


MOBILE = re.compile(r"1[3-9]\d{9}")
MOBILE_SEPARATORS = re.compile(r"[\s\-()（）.]")
# Middle dots people type in names like 阿依古丽·买买提: bullet, katakana, half-width katakana, hyphenation point.
MIDDLE_DOTS = re.compile(r"\s*[·•・･‧∙⋅]\s*")


def normalise_mobile(text: str) -> str | None:
    """A mainland mobile number as its 11 digits (``139-1111-3333``, ``+86 139 1111 4444``,
    ``0086 13911114444``, full-width digits), or None when ``text`` is not one."""
    compact = MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix):]
            break
    else:
        if len(compact) == 13 and compact.startswith("86"):
            compact = compact[2:]
    return compact if MOBILE.fullmatch(compact) else None


def _wide(character: str) -> bool:
    return character == "·" or unicodedata.east_asian_width(character) in ("W", "F")


def normalise_name(text: str) -> str:
    """A name as people mean it: spaces typed for alignment ("冯 晓", "邓\u3000丽") removed next to Chinese
    characters, one space kept between Latin words, every middle dot written ``·`` without spaces."""
    name = ""
    for part in MIDDLE_DOTS.sub("·", text).split():
        name += part if not name or _wide(name[-1]) or _wide(part[0]) else f" {part}"
    return name


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


def _set_active(session: Session, staff: Staff, active: bool, actor: audit.Actor) -> int:
    """One winner: ``UPDATE staff SET active = … WHERE id = … AND active = not …``; revokes tokens on leaving."""
    changed = session.execute(
        update(Staff)
        .where(Staff.id == staff.id, Staff.active.is_(not active))
        .values(active=active, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        session.rollback()
        state = "在册" if active else "已停用"
        raise Conflict(f"{staff.name}（{staff.employee_no}）已经是{state}状态", code="staff_state_unchanged")
    revoked = 0
    if not active:
        accounts = select(MiniProgramAccount.id).where(MiniProgramAccount.staff_id == staff.id)
        revoked = session.execute(
            update(ApiSession).where(ApiSession.account_id.in_(accounts), ApiSession.revoked_at.is_(None))
            .values(revoked_at=utcnow()).execution_options(synchronize_session=False)
        ).rowcount
    action = "staff.reactivate" if active else "staff.deactivate"
    audit.record(session, actor, action, "staff", staff.id, revoked=revoked)
    session.commit()
    session.refresh(staff)
    return revoked


def deactivate_staff(session: Session, staff: Staff, actor: audit.Actor) -> int:
    """Someone left: their records stay, their login tokens are revoked (returns how many), they leave
    headcounts and can neither bind nor use the bot until reactivated."""
    return _set_active(session, staff, False, actor)


def reactivate_staff(session: Session, staff: Staff, actor: audit.Actor) -> None:
    """Back on the roster (a WeChat account still bound to them logs in again)."""
    _set_active(session, staff, True, actor)


@dataclass(frozen=True)
class RosterEntry:
    staff: Staff
    bound: bool


def list_staff(
    session: Session,
    *,
    department: str | None = None,
    active: bool | None = True,
    admins_only: bool = False,
    bound: bool | None = None,
) -> list[RosterEntry]:
    """The roster by department and 工号, filtered; three queries however many people."""
    statement = (
        select(Staff).join(Department, Department.id == Staff.department_id)
        .options(joinedload(Staff.department), selectinload(Staff.roles))
    )
    if department is not None:
        statement = statement.where(Department.name == department)
    if active is not None:
        statement = statement.where(Staff.active.is_(active))
    if admins_only:
        statement = statement.where(Staff.roles.any(StaffRole.role == ROLE_ADMIN))
    bound_ids = select(MiniProgramAccount.staff_id).where(MiniProgramAccount.staff_id.is_not(None))
    if bound is not None:
        statement = statement.where(Staff.id.in_(bound_ids) if bound else Staff.id.not_in(bound_ids))
    # Sorted here, not in SQL, so both databases agree whatever their collation.
    people = sorted(session.scalars(statement).unique(), key=lambda p: (p.department.name, p.employee_no))
    bound_set = set(session.scalars(bound_ids.where(MiniProgramAccount.staff_id.in_([p.id for p in people]))))
    return [RosterEntry(person, person.id in bound_set) for person in people]
