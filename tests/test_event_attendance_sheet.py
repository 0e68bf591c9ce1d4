"""The sign-in sheet as an inspector prints it: one title, real date-time cells, A4 landscape."""

from __future__ import annotations

from datetime import datetime, timedelta

from openpyxl import load_workbook

from app.extensions import db
from app.models.base import utcnow
from app.services import checkins, events
from app.services.audit import Actor
from app.timeutil import to_local
from tests import factories
from tests.events_helpers import nonce, printed_qr


def volunteer_event_with_one_present(**fields):
    start = utcnow().replace(microsecond=0) - timedelta(hours=3)
    values = dict(kind="志愿服务", title="志愿服务：社区清扫", starts_at=start, ends_at=start + timedelta(hours=3),
                  checkout_required=True, registration_required=True)
    values.update(fields)
    event = factories.make_event(**values)
    present = factories.make_staff(name="到场者", employee_no="X0001", department="办公室")
    absent = factories.make_staff(name="缺席者", employee_no="X0002", department="机关党委")
    events.register(db.session, event.id, present, now=start - timedelta(hours=1))
    events.register(db.session, event.id, absent, now=start - timedelta(hours=1))
    checkins.check_in(db.session, present, printed_qr(event.id), nonce(), now=start + timedelta(minutes=1, seconds=7))
    checkins.check_in(db.session, present, printed_qr(event.id, "out"), nonce(), now=start + timedelta(hours=2, minutes=11))
    return event, start


def export(runner, tmp_path, event_id: int):
    output = tmp_path / "签到表.xlsx"
    result = runner.invoke(args=["events", "attendance", str(event_id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return load_workbook(output).active


def test_clerk_gets_a_title_without_the_kind_repeated(runner, tmp_path):
    event, _start = volunteer_event_with_one_present()
    assert export(runner, tmp_path, event.id)["A1"].value == "志愿服务：社区清扫"


def test_clerk_gets_the_kind_in_front_of_a_title_without_it(runner, tmp_path):
    event, _start = volunteer_event_with_one_present(title="社区清扫")
    assert export(runner, tmp_path, event.id)["A1"].value == "志愿服务：社区清扫"


def test_sign_in_and_out_times_are_local_date_time_cells(runner, tmp_path):
    event, start = volunteer_event_with_one_present()
    sheet = export(runner, tmp_path, event.id)
    signed_in, signed_out = sheet["F5"], sheet["H5"]
    assert isinstance(signed_in.value, datetime) and isinstance(signed_out.value, datetime)
    assert signed_in.value == to_local(start + timedelta(minutes=1, seconds=7)).replace(tzinfo=None)
    assert signed_out.value == to_local(start + timedelta(hours=2, minutes=11)).replace(tzinfo=None)
    assert signed_in.number_format == signed_out.number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["B6"].value == "缺席者" and sheet["F6"].value == "未签到"


def test_sheet_prints_on_a4_landscape_one_page_wide_with_headings_repeated(runner, tmp_path):
    event, _start = volunteer_event_with_one_present()
    sheet = export(runner, tmp_path, event.id)
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and str(setup.paperSize) == str(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0
    assert sheet.print_title_rows == "$4:$4" and sheet["A4"].value == "序号"
    assert sheet.oddHeader.center.text == "志愿服务：社区清扫" and "&P" in sheet.oddFooter.center.text


def test_attendance_refuses_a_csv_name_and_a_missing_folder(runner, tmp_path):
    event, _start = volunteer_event_with_one_present()
    csv = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(tmp_path / "签到表.csv")])
    assert csv.exit_code == 1 and csv.output.startswith("错误：签到表只能保存为 .xlsx 文件")
    missing = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(tmp_path / "无此目录" / "a.xlsx")])
    assert missing.exit_code == 1 and "错误：文件夹" in missing.output and "不存在" in missing.output
    assert list(tmp_path.iterdir()) == []


def test_attendance_of_a_cancelled_event_warns(runner, tmp_path):
    event, _start = volunteer_event_with_one_present()
    events.cancel_event(db.session, event.id, Actor.system(), "暴雨")
    result = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(tmp_path / "a.xlsx")])
    assert result.exit_code == 0 and "警告：活动" in result.output and "已取消" in result.output
    assert (tmp_path / "a.xlsx").exists()
