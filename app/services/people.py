"""The roster as the console shows and changes it: search, edit, deactivate, unbind, roles, import
with a preview. A liaison sees only their department's people; only admins change anything."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.errors import AppError, Conflict
from app.models import Department, MiniProgramAccount, Staff, StaffRole
from app.services import audit, auth, roles, roster
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require, require_department

PREVIEW_ROWS = 20
IMPORT_MAX_BYTES = 5 * 1024 * 1024  # a roster of 20,000 people is about 1 MB as .xlsx


class PersonNotFound(AppError):
    status_code = 404
    code = "staff_not_found"
    message = "花名册中没有这个人"


class WeComIdTaken(Conflict):
    code = "wecom_userid_taken"
    message = "该企业微信账号已被花名册中的其他人使用"


class ImportExpired(AppError):
    code = "import_expired"
    message = "导入预览已过期，请重新上传文件"


@dataclass
class PersonRow:
    staff: Staff
    department: str
    bound: bool


def departments(session: Session, viewer: Viewer) -> list[Department]:
    statement = select(Department).order_by(Department.name)
    scope = viewer.department_scope()
    if scope is not None:
        statement = statement.where(Department.id.in_(scope))
    return list(session.scalars(statement))


def search_people(
    session: Session, viewer: Viewer, q: str = "", department_id: int | None = None, role: str = "", status: str = "active", page: int = 1
) -> Page:
    """People by 工号 then name, with department and whether a WeChat account is bound; three queries."""
    require(viewer, "people.view")
    bound = exists().where(MiniProgramAccount.staff_id == Staff.id)
    statement = (
        select(Staff, Department.name, bound)
        .join(Department, Department.id == Staff.department_id)
        .options(selectinload(Staff.roles))
        .order_by(Staff.employee_no)
    )
    scope = viewer.department_scope()
    if scope is not None:
        statement = statement.where(Staff.department_id.in_(scope))
    if q:
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Staff.name.like(pattern, escape="\\"), Staff.employee_no.like(pattern, escape="\\")))
    if department_id:
        statement = statement.where(Staff.department_id == department_id)
    if role:
        statement = statement.where(exists().where(StaffRole.staff_id == Staff.id, StaffRole.role == role))
    if status == "active":
        statement = statement.where(Staff.active.is_(True))
    elif status == "inactive":
        statement = statement.where(Staff.active.is_(False))
    result = paginate(session, statement, page, scalars=False)
    result.items = [PersonRow(staff, department, bool(is_bound)) for staff, department, is_bound in result.items]
    return result


def get_person(session: Session, viewer: Viewer, staff_id: int) -> Staff:
    staff = session.scalar(select(Staff).options(selectinload(Staff.roles)).where(Staff.id == staff_id))
    if staff is None:
        raise PersonNotFound()
    require_department(viewer, "people.view", staff.department_id)
    return staff


def is_bound(session: Session, staff_id: int) -> bool:
    return session.scalar(select(exists().where(MiniProgramAccount.staff_id == staff_id))) or False


def update_person(
    session: Session, viewer: Viewer, staff_id: int, name: str, department: str, phone: str | None, wecom_userid: str | None
) -> Staff:
    """Change a person's name, department (created if new), phone and WeCom account; audited."""
    require(viewer, "people.manage")
    staff = get_person(session, viewer, staff_id)
    target = session.scalar(select(Department).where(Department.name == department.strip()))
    if target is None:
        target = Department(name=department.strip())
        session.add(target)
    before = {"name": staff.name, "department": staff.department.name, "phone": staff.phone, "wecom_userid": staff.wecom_userid}
    staff.name, staff.department = name.strip(), target
    staff.phone, staff.wecom_userid = (phone or None), (wecom_userid or None)
    after = {"name": staff.name, "department": target.name, "phone": staff.phone, "wecom_userid": staff.wecom_userid}
    changed = {key: value for key, value in after.items() if value != before[key]}
    if not changed:
        return staff
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise WeComIdTaken() from exc
    audit.record(session, viewer.actor, "staff.update", "staff", staff.id, **{k: v for k, v in changed.items() if k != "phone"})
    session.commit()
    return staff


def set_active(session: Session, viewer: Viewer, staff_id: int, active: bool) -> Staff:
    """Deactivate someone who has left (records stay; their mini-program and console access end at
    the next request), or bring them back."""
    require(viewer, "people.manage")
    staff = get_person(session, viewer, staff_id)
    if staff.active == active:
        return staff
    staff.active = active
    audit.record(session, viewer.actor, "staff.reactivate" if active else "staff.deactivate", "staff", staff.id)
    session.commit()
    return staff


def unbind(session: Session, viewer: Viewer, staff_id: int) -> int | None:
    require(viewer, "people.manage")
    return auth.unbind_staff(session, get_person(session, viewer, staff_id), viewer.actor)


def grant(session: Session, viewer: Viewer, staff_id: int, role: str, department_id: int | None) -> None:
    require(viewer, "people.manage")
    staff = get_person(session, viewer, staff_id)
    name = None
    if role == roles.ROLE_LIAISON and department_id:
        department = session.get(Department, department_id)
        if department is None:
            raise roles.DepartmentNotFound()
        name = department.name
    roles.grant_role(session, staff, role, viewer.actor, department_name=name)


def revoke(session: Session, viewer: Viewer, staff_id: int, role: str) -> bool:
    require(viewer, "people.manage")
    if staff_id == viewer.staff_id and role == roles.ROLE_ADMIN:
        raise AppError("不能撤销自己的管理员角色，请由另一位管理员操作", code="self_revoke")
    return roles.revoke_role(session, get_person(session, viewer, staff_id), role, viewer.actor)


# ---- import with a preview ---------------------------------------------------------------------------


@dataclass
class ImportPreview:
    token: str | None  # None when there are errors: nothing can be imported
    errors: list[str]
    rows: list[roster.RosterRow]
    total: int
    new: int
    updated: int


def _import_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "roster-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored(token: str) -> Path:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        raise ImportExpired()
    matches = list(_import_folder().glob(f"{token}.*"))
    if not matches:
        raise ImportExpired()
    return matches[0]


def _parse(path: Path) -> roster.RosterParseResult:
    try:
        return roster.parse_roster(list(roster.read_table(path)))
    except roster.RosterFileError as exc:
        return roster.RosterParseResult(rows=[], errors=[str(exc)])


def preview_import(session: Session, viewer: Viewer, filename: str, content: bytes) -> ImportPreview:
    """Check every row of an uploaded roster without writing anything; a clean file is kept under a
    random token until it is confirmed."""
    require(viewer, "people.manage")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return ImportPreview(None, ["只支持 .csv 或 .xlsx 文件"], [], 0, 0, 0)
    if len(content) > IMPORT_MAX_BYTES:
        return ImportPreview(None, [f"文件过大：花名册文件不能超过 {IMPORT_MAX_BYTES // (1024 * 1024)} MB"], [], 0, 0, 0)
    token = secrets.token_urlsafe(18)
    path = _import_folder() / f"{token}{suffix}"
    path.write_bytes(content)
    parsed = _parse(path)
    if parsed.errors:
        path.unlink(missing_ok=True)
        return ImportPreview(None, parsed.errors, [], len(parsed.rows), 0, 0)
    numbers = [row.employee_no for row in parsed.rows]
    known = set(session.scalars(select(Staff.employee_no).where(Staff.employee_no.in_(numbers)))) if numbers else set()
    return ImportPreview(token, [], parsed.rows[:PREVIEW_ROWS], len(parsed.rows), len(set(numbers) - known), len(known))


def confirm_import(session: Session, viewer: Viewer, token: str) -> roster.ImportSummary:
    require(viewer, "people.manage")
    path = _stored(token)
    try:
        parsed = _parse(path)
        if parsed.errors:
            raise AppError("文件有错误，未导入任何数据：" + "；".join(parsed.errors[:5]), code="roster_invalid")
        try:
            return roster.import_roster(session, parsed.rows, viewer.actor)
        except roster.RosterImportRejected as exc:
            session.rollback()
            raise AppError("发现冲突，未导入任何数据：" + "；".join(exc.errors[:10]), code="roster_conflict") from exc
    finally:
        path.unlink(missing_ok=True)


def template_csv() -> bytes:
    """The import template: headers and one example row, UTF-8 with a BOM so Excel opens it."""
    return "姓名,工号,部门,手机,企业微信账号\r\n张三,E0101,办公室,13800000000,zhangsan\r\n".encode("utf-8-sig")


def headcount(session: Session) -> int:
    return session.scalar(select(func.count(Staff.id)).where(Staff.active.is_(True))) or 0
