"""``flask roster import``: CSV and XLSX, upsert by employee number, all-or-nothing with Chinese errors."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Department, Staff
from app.models.base import utcnow
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


# ---- names, mobiles and headers as real offices write them ------------------------------------------


def test_names_padded_for_alignment_are_stored_without_spaces_and_bind(runner, client, login, tmp_path):
    body = "冯 晓,N1,办公室,,\n邓  丽,N2,办公室,,\n阿依古丽 · 买买提,N3,办公室,,\n王\u3000五,N4,办公室,,\nJohn   Smith,N5,办公室,,\n"
    result = runner.invoke(args=["roster", "import", str(write_csv(tmp_path / "r.csv", body))])
    assert result.exit_code == 0, result.output
    names = dict(db.session.execute(select(Staff.employee_no, Staff.name)).tuples().all())
    assert names == {"N1": "冯晓", "N2": "邓丽", "N3": "阿依古丽·买买提", "N4": "王五", "N5": "John Smith"}
    headers = login("o-fengxiao")
    assert client.post("/api/mp/bind", json={"name": "冯晓", "employee_no": "N1"}, headers=headers).status_code == 200


def test_mobiles_written_with_dashes_spaces_or_country_code_are_stored_as_eleven_digits(runner, tmp_path):
    body = ("甲,M1,办公室,139-1111-3333,\n乙,M2,办公室,+86 139 1111 4444,\n丙,M3,办公室,0086 13911115555,\n"
            "丁,M4,办公室,(+86)139.1111.6666,\n戊,M5,办公室,0771-1234567,\n")
    result = runner.invoke(args=["roster", "import", str(write_csv(tmp_path / "r.csv", body))])
    assert result.exit_code == 0, result.output
    phones = dict(db.session.execute(select(Staff.employee_no, Staff.phone)).tuples().all())
    assert phones == {"M1": "13911113333", "M2": "13911114444", "M3": "13911115555", "M4": "13911116666",
                      "M5": "0771-1234567"}


@pytest.mark.parametrize("typed", ["139-1111-333", "+1 139 1111 4444", "23911113333", "139-1111-3333-1"])
def test_numbers_that_are_not_mobiles_are_refused(runner, tmp_path, typed):
    result = runner.invoke(args=["roster", "import", str(write_csv(tmp_path / "r.csv", f"甲,M1,办公室,{typed},\n"))])
    assert result.exit_code == 1
    assert "第 2 行：手机号" in result.output and "格式不正确" in result.output
    assert staff_count() == 0


def test_normalise_mobile_is_one_function_for_every_caller():
    from app.services.staff import normalise_mobile

    assert normalise_mobile("139-1111-3333") == "13911113333"
    assert normalise_mobile("+86 139 1111 4444") == "13911114444"
    assert normalise_mobile("8613911114444") == "13911114444"
    assert normalise_mobile("１３９１１１１４４４４") == "13911114444"
    assert normalise_mobile("0771-1234567") is None and normalise_mobile("") is None


def test_title_rows_above_the_header_are_skipped_and_lines_keep_their_numbers(runner, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("2026年度在职人员名单,,\n,,\n" + HEADER + "张三,A001,办公室,,\n,,财务科,,\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 1
    assert "第 5 行：缺少姓名；缺少工号" in result.output
    path.write_text("2026年度在职人员名单,,\n" + HEADER + "张三,A001,办公室,,\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert staff_count() == 1


def test_a_file_without_a_recognisable_header_says_where_and_what_it_must_be(runner, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("2026年度在职人员名单\n序号,名字,编号\n1,张三,A001\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 1
    assert "没有找到表头：表头须在前 10 行之内，包含“姓名”“工号”“部门”三列" in result.output
    path.write_text("2026年度在职人员名单\n姓名,工号,科室\n张三,A001,办公室\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert "第 2 行的表头缺少必需的列：部门" in result.output


# ---- people leaving, the list, departments --------------------------------------------------------


def test_deactivated_person_keeps_records_loses_tokens_headcount_and_binding(runner, client, login, staff, bound_headers):
    from app.models import Checkin
    from app.services import checkins, stats
    from app.timeutil import local_days, local_today

    admin = factories.make_staff(name="管理员", employee_no="ADM", admin=True)
    event = factories.make_event(starts_at=utcnow() - timedelta(minutes=5))
    checkins.manual_check_in(db.session, event.id, staff, "in", "补签", admin)

    result = runner.invoke(args=["roster", "deactivate", staff.employee_no])
    assert result.exit_code == 0, result.output
    assert "吊销登录令牌 1 个" in result.output
    assert client.get("/api/mp/me", headers=bound_headers).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Checkin).where(Checkin.staff_id == staff.id)) == 1
    today = local_today()
    [row] = [r for r in stats.participation_by_department(db.session, *local_days(today, today))
             if r.department == staff.department.name]
    assert row.roster == 1  # the admin only
    runner.invoke(args=["roster", "unbind", staff.employee_no])
    response = client.post("/api/mp/bind", json={"name": staff.name, "employee_no": staff.employee_no},
                           headers=login("o-new-phone"))
    assert response.status_code != 200
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "staff.deactivate")).entity_id == str(staff.id)

    again = runner.invoke(args=["roster", "deactivate", staff.employee_no])
    assert (again.exit_code, again.output) == (1, f"错误：{staff.name}（{staff.employee_no}）已经是已停用状态\n")
    assert runner.invoke(args=["roster", "reactivate", staff.employee_no]).exit_code == 0
    db.session.refresh(staff)
    assert staff.active


def test_roster_list_filters_by_department_state_role_and_binding(runner, staff, bound_headers):
    wang = factories.make_staff(name="王芳", employee_no="B1", department="财务科", admin=True)
    wang.phone = "13911113333"
    db.session.commit()
    left = factories.make_staff(name="赵离", employee_no="B2", department="财务科")
    runner.invoke(args=["roster", "deactivate", left.employee_no])

    def listed(*args: str) -> list[str]:
        result = runner.invoke(args=["roster", "list", *args])
        assert result.exit_code == 0, result.output
        return [line.split("\t")[0] for line in result.output.splitlines() if "\t" in line]

    assert listed() == [staff.employee_no, "B1"]  # by department (办公室, 财务科), then 工号
    assert listed("--department", "财务科") == ["B1"]
    assert listed("--state", "inactive") == ["B2"]
    assert listed("--state", "all", "--department", "财务科") == ["B1", "B2"]
    assert listed("--admins") == ["B1"]
    assert listed("--bound") == [staff.employee_no]
    assert listed("--unbound") == ["B1"]
    output = runner.invoke(args=["roster", "list", "--admins"]).output
    assert "139****3333" in output and "13911113333" not in output and "管理员" in output


def test_departments_are_renamed_and_merged(runner):
    factories.make_staff(name="甲", employee_no="D1", department="办公室")
    factories.make_staff(name="乙", employee_no="D2", department="综合科")
    result = runner.invoke(args=["roster", "rename-department", "办公室", "综合办公室"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["roster", "rename-department", "综合办公室", "综合科"])
    assert refused.exit_code == 1 and "已有名为“综合科”的部门" in refused.output
    result = runner.invoke(args=["roster", "merge-departments", "综合科", "综合办公室"])
    assert result.exit_code == 0 and "转入 1 人" in result.output, result.output
    assert db.session.scalars(select(Department.name)).all() == ["综合办公室"]
    assert {s.department.name for s in db.session.scalars(select(Staff))} == {"综合办公室"}
    missing = runner.invoke(args=["roster", "merge-departments", "不存在", "综合办公室"])
    assert (missing.exit_code, missing.output) == (1, "错误：没有名为“不存在”的部门\n")


def test_roster_list_runs_three_queries_however_many_people(app):
    from sqlalchemy import event as sa_event

    from app.services.staff import list_staff

    for number in range(30):
        factories.make_staff(employee_no=f"Q{number:03d}", department=f"部门{number % 4}", admin=number % 5 == 0)
    db.session.expire_all()
    sent: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        sent.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", collect)
    try:
        entries = list_staff(db.session, active=None)
        shown = [(e.staff.department.name, e.staff.sorted_roles, e.bound) for e in entries]
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", collect)
    assert len(shown) == 30
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 3
