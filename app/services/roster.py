"""Reading a roster file (CSV or XLSX) and importing it all-or-nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, NotFound
from app.models import Department, Staff
from app.models.base import utcnow
from app.services import audit
from app.services.staff import normalise_mobile, normalise_name

# Accepted header names, Chinese or English, for each field.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "employee_no": ("工号", "employee_no"),
    "department": ("部门", "department"),
    "phone": ("手机", "手机号", "phone"),
    "wecom_userid": ("企业微信账号", "企业微信", "wecom_userid"),
}
REQUIRED = ("name", "employee_no", "department")
LABELS = {"name": "姓名", "employee_no": "工号", "department": "部门", "phone": "手机", "wecom_userid": "企业微信账号"}

HEADER_SEARCH_ROWS = 10  # a title row or two ("2026年度在职人员名单") may sit above the header
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
WECOM_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class RosterFileError(AppError):
    """The file as a whole cannot be read (wrong type, no header, missing columns)."""

    code = "roster_file_invalid"
    message = "花名册文件无法读取"


@dataclass
class RosterRow:
    line: int
    name: str
    employee_no: str
    department: str
    phone: str | None
    wecom_userid: str | None


@dataclass
class RosterParseResult:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    departments_created: int = 0


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as 1.38e10
    return str(value).strip()


def _read_csv(path: Path) -> Iterator[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV")
    try:
        for record in csv.reader(io.StringIO(text)):
            yield [_cell(v) for v in record]
    except csv.Error as exc:  # a cell over the csv module's field limit, a NUL byte, …
        raise RosterFileError("CSV 文件格式有误（某个单元格过长或含有无法识别的字符），请用 Excel 另存为 CSV 后重试") from exc


def _read_xlsx(path: Path) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken or non-xlsx file
        raise RosterFileError("无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式") from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def read_table(path: Path) -> Iterator[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise RosterFileError("只支持 .csv 或 .xlsx 文件")


def _header_map(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        for key, names in COLUMNS.items():
            if "".join(title.split()).lower() in {n.lower() for n in names} and key not in positions:
                positions[key] = index
    return positions


def _find_header(iterator: Iterator[list[str]]) -> tuple[int, dict[str, int]]:
    """The header's line number and column positions: the first of the first ``HEADER_SEARCH_ROWS``
    rows that names every required column (title rows above it are skipped)."""
    expected = f"表头须在前 {HEADER_SEARCH_ROWS} 行之内，包含“姓名”“工号”“部门”三列（可选“手机”“企业微信账号”）"
    best: tuple[int, dict[str, int]] | None = None
    saw_anything = False
    for line, values in enumerate(iterator, start=1):
        saw_anything = saw_anything or any(values)
        positions = _header_map(values)
        if all(key in positions for key in REQUIRED):
            return line, positions
        if positions and (best is None or len(positions) > len(best[1])):
            best = line, positions
        if line >= HEADER_SEARCH_ROWS:
            break
    if not saw_anything:
        raise RosterFileError("文件为空或缺少表头")
    if best is None:
        raise RosterFileError(f"没有找到表头：{expected}")
    line, positions = best
    missing = "、".join(LABELS[key] for key in REQUIRED if key not in positions)
    raise RosterFileError(f"第 {line} 行的表头缺少必需的列：{missing}（{expected}）")


def parse_roster(table: Iterable[list[str]], progress: Callable[[int], None] | None = None) -> RosterParseResult:
    """Validate every row; collect every error with its line number instead of stopping at the first."""
    result = RosterParseResult()
    iterator = iter(table)
    header_line, positions = _find_header(iterator)
    seen: dict[str, int] = {}
    seen_wecom: dict[str, int] = {}

    for line, values in enumerate(iterator, start=header_line + 1):
        if progress:
            progress(1)
        if not any(values):
            continue

        def get(key: str) -> str:
            index = positions.get(key)
            return values[index] if index is not None and index < len(values) else ""

        name, employee_no = normalise_name(get("name")), get("employee_no")
        department = " ".join(get("department").split())
        typed_phone = get("phone")
        phone = normalise_mobile(typed_phone) or "".join(typed_phone.split()) or None
        wecom = get("wecom_userid") or None
        problems: list[str] = []
        if not name:
            problems.append("缺少姓名")
        elif len(name) > 50:
            problems.append("姓名过长（最多 50 个字）")
        if not employee_no:
            problems.append("缺少工号")
        elif not EMPLOYEE_NO.match(employee_no):
            problems.append(f"工号“{employee_no}”格式不正确（只能包含字母、数字、下划线和短横线）")
        elif employee_no in seen:
            problems.append(f"工号 {employee_no} 与第 {seen[employee_no]} 行重复")
        if not department:
            problems.append("缺少部门")
        elif len(department) > 100:
            problems.append("部门名称过长")
        if phone and not (normalise_mobile(phone) or LANDLINE.match(phone)):
            problems.append(f"手机号“{phone}”格式不正确（手机号应为 11 位，如 139-1111-3333 或 +86 139 1111 3333）")
        if wecom:
            if not WECOM_USERID.match(wecom):
                problems.append(f"企业微信账号“{wecom}”格式不正确")
            elif wecom in seen_wecom:
                problems.append(f"企业微信账号 {wecom} 与第 {seen_wecom[wecom]} 行重复")
        if employee_no and employee_no not in seen:
            seen[employee_no] = line
        if wecom and wecom not in seen_wecom:
            seen_wecom[wecom] = line
        if problems:
            result.errors.append(f"第 {line} 行：{'；'.join(problems)}")
            continue
        result.rows.append(RosterRow(line, name, employee_no, department, phone, wecom))
    return result


def import_roster(
    session: Session,
    rows: list[RosterRow],
    actor: audit.Actor,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Create departments as needed and upsert staff by employee number, in one transaction."""
    summary = ImportSummary()
    departments = {d.name: d for d in session.scalars(select(Department))}
    existing = {s.employee_no: s for s in session.scalars(select(Staff))}
    by_wecom = {s.wecom_userid: s for s in existing.values() if s.wecom_userid}
    conflicts: list[str] = []

    for row in rows:
        if row.wecom_userid and row.wecom_userid in by_wecom and by_wecom[row.wecom_userid].employee_no != row.employee_no:
            other = by_wecom[row.wecom_userid]
            conflicts.append(f"第 {row.line} 行：企业微信账号 {row.wecom_userid} 已属于 {other.name}（工号 {other.employee_no}）")
    if conflicts:
        raise RosterImportRejected(conflicts)

    for row in rows:
        department = departments.get(row.department)
        if department is None:
            department = Department(name=row.department)
            session.add(department)
            departments[row.department] = department
            summary.departments_created += 1
        staff = existing.get(row.employee_no)
        if staff is None:
            staff = Staff(
                name=row.name,
                employee_no=row.employee_no,
                department=department,
                phone=row.phone,
                wecom_userid=row.wecom_userid,
            )
            session.add(staff)
            existing[row.employee_no] = staff
            summary.created += 1
        else:
            changed = (
                staff.name != row.name
                or staff.department is not department
                or (row.phone is not None and staff.phone != row.phone)
                or (row.wecom_userid is not None and staff.wecom_userid != row.wecom_userid)
                or not staff.active
            )
            if changed:
                staff.name = row.name
                staff.department = department
                staff.phone = row.phone or staff.phone
                staff.wecom_userid = row.wecom_userid or staff.wecom_userid
                staff.active = True
                summary.updated += 1
            else:
                summary.unchanged += 1
        if progress:
            progress(1)

    audit.record(
        session,
        actor,
        "roster.import",
        created=summary.created,
        updated=summary.updated,
        departments_created=summary.departments_created,
    )
    session.commit()
    return summary


class RosterImportRejected(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _department(session: Session, name: str) -> Department:
    department = session.scalar(select(Department).where(Department.name == name.strip()))
    if department is None:
        raise NotFound(f"没有名为“{name.strip()}”的部门", code="department_not_found")
    return department


def rename_department(session: Session, old: str, new: str, actor: audit.Actor) -> Department:
    """Rename a department; a name already taken is refused (merge the two instead)."""
    department = _department(session, old)
    new = " ".join(new.split())
    if not 1 <= len(new) <= 100:
        raise AppError("部门名称应为 1 到 100 个字符", code="department_name_invalid", status=422)
    if new != department.name and session.scalar(select(Department.id).where(Department.name == new)):
        raise Conflict(f"已有名为“{new}”的部门；要合并两个部门，请用 roster merge-departments", code="department_exists")
    audit.record(session, actor, "department.rename", "department", department.id, old=department.name, new=new)
    department.name = new
    session.commit()
    return department


def merge_departments(session: Session, source: str, target: str, actor: audit.Actor) -> int:
    """Move everyone of ``source`` (people who left too) into ``target`` and delete ``source``;
    returns how many moved."""
    moving, staying = _department(session, source), _department(session, target)
    if moving.id == staying.id:
        raise AppError("不能把部门合并到它自己", code="department_merge_invalid", status=422)
    moved = session.execute(
        update(Staff).where(Staff.department_id == moving.id).values(department_id=staying.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(session, actor, "department.merge", "department", staying.id,
                 merged=moving.name, merged_id=moving.id, moved=moved)
    session.execute(delete(Department).where(Department.id == moving.id))
    session.commit()
    session.expire_all()
    return moved
