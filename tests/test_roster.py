"""``flask roster import``: CSV and XLSX, upsert by employee number, all-or-nothing with Chinese errors."""

from __future__ import annotations

import re

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Department, Staff
from tests import factories

HEADER = "姓名,工号,部门,手机,企业微信账号\n"


def write_csv(path: Path, body: str, encoding: str = "utf-8") -> Path:
    path.write_text(HEADER + body, encoding=encoding)
    return path


def staff_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Staff))


def test_operator_imports_csv_and_departments_are_created(runner, tmp_path):
    path = write_csv(tmp_path / "r.csv", "张三,A001,办公室,13800138000,zhangsan\n李四,A002,财务科,,\n")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 2 人" in result.output and "新建部门 2 个" in result.output
    zhang = db.session.scalar(select(Staff).where(Staff.employee_no == "A001"))
    assert (zhang.name, zhang.department.name, zhang.phone, zhang.wecom_userid) == (
        "张三", "办公室", "13800138000", "zhangsan"
    )
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.import")).detail["created"] == 2


def test_reimport_updates_people_by_employee_number(runner, tmp_path):
    factories.make_staff(name="张三", employee_no="A001", department="办公室")
    path = write_csv(tmp_path / "r.csv", "张叁,A001,财务科,13900139000,\n")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "更新 1 人" in result.output
    staff = db.session.scalar(select(Staff).where(Staff.employee_no == "A001"))
    db.session.refresh(staff)
    assert (staff.name, staff.department.name, staff.phone) == ("张叁", "财务科", "13900139000")
    assert staff_count() == 1


def test_english_headers_and_xlsx_with_numeric_phone_are_read(runner, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "employee_no", "department", "phone"])
    sheet.append(["王五", "B001", "办公室", 13800138001])
    sheet.append(["赵六", 2002, "办公室", None])
    path = tmp_path / "r.xlsx"
    workbook.save(path)
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Staff).where(Staff.employee_no == "B001")).phone == "13800138001"
    assert db.session.scalar(select(Staff).where(Staff.employee_no == "2002")).name == "赵六"


def test_gbk_csv_from_excel_is_read(runner, tmp_path):
    path = write_csv(tmp_path / "r.csv", "张三,A001,办公室,,\n", encoding="gbk")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert staff_count() == 1


def test_file_with_errors_imports_nothing_and_names_each_row(runner, tmp_path):
    body = (
        "张三,A001,办公室,13800138000,\n"
        ",A002,办公室,,\n"  # missing name (line 3)
        "王五,A001,办公室,,\n"  # duplicate employee number (line 4)
        "赵六,A004,办公室,12345,\n"  # bad phone (line 5)
        "钱七,A005,,,\n"  # missing department (line 6)
    )
    result = runner.invoke(args=["roster", "import", str(write_csv(tmp_path / "r.csv", body))])
    assert result.exit_code != 0
    assert "第 3 行：缺少姓名" in result.output
    assert "第 4 行：工号 A001 与第 2 行重复" in result.output
    assert "第 5 行：手机号“12345”格式不正确" in result.output
    assert "第 6 行：缺少部门" in result.output
    assert "未导入任何数据" in result.output
    assert staff_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0


def test_missing_required_column_is_refused(runner, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("姓名,手机\n张三,13800138000\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code != 0
    assert "表头缺少必需的列：工号、部门" in result.output


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("r.txt", b"x"),
        ("r.xlsx", b"not a zip"),
        ("r.csv", b""),
        ("huge-cell.csv", "姓名,工号,部门\n张三,A1,".encode() + b"x" * 200_000 + b"\n"),
    ],
)
def test_unreadable_files_are_refused_with_a_chinese_message(runner, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output  # no traceback
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output), result.output
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"Excel|CSV|UTF|GBK|xlsx", "", result.output)), result.output


def test_wecom_account_owned_by_someone_else_is_a_conflict(runner, tmp_path):
    factories.make_staff(name="甲", employee_no="X001", wecom_userid="shared")
    path = write_csv(tmp_path / "r.csv", "乙,X002,办公室,,shared\n")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code != 0
    assert "企业微信账号 shared 已属于 甲" in result.output
    assert staff_count() == 1


def test_large_file_shows_progress_and_imports(runner, tmp_path):
    rows = "".join(f"人员{i},L{i:05d},部门{i % 7},138{i:08d},\n" for i in range(1500))
    result = runner.invoke(args=["roster", "import", str(write_csv(tmp_path / "big.csv", rows))])
    assert result.exit_code == 0, result.output
    assert "校验" in result.output and "导入" in result.output
    assert staff_count() == 1500


def test_grant_admin_and_unbind(runner, client, login):
    staff = factories.make_staff(name="李明", employee_no="T1")
    result = runner.invoke(args=["roster", "grant-admin", "T1"])
    assert result.exit_code == 0 and "管理员" in result.output
    db.session.refresh(staff)
    assert staff.is_admin
    headers = login("o-unbind")
    assert client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1"}, headers=headers).status_code == 200
    result = runner.invoke(args=["roster", "unbind", "T1"])
    assert result.exit_code == 0 and "吊销登录令牌 1 个" in result.output
    assert client.get("/api/mp/me", headers=headers).status_code == 401


def test_seed_demo_is_repeatable(runner):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert staff_count() == 20
    admins = [s for s in db.session.scalars(select(Staff)) if s.is_admin]
    assert len(admins) == 2


def test_revoke_admin_removes_the_role(runner):
    staff = factories.make_staff(employee_no="T9", admin=True)
    result = runner.invoke(args=["roster", "revoke-admin", "T9"])
    assert result.exit_code == 0, result.output
    db.session.refresh(staff)
    assert not staff.is_admin
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "staff.revoke_role")) is not None


def test_role_commands_for_an_unknown_employee_fail_in_chinese(runner):
    result = runner.invoke(args=["roster", "grant-admin", "NOBODY"])
    assert result.exit_code != 0
    assert "花名册中没有工号 NOBODY" in result.output
