"""The sign-in sheet as an inspector prints it: one title, real date-time cells, A4 landscape."""

from __future__ import annotations

from datetime import datetime, timedelta

from openpyxl import load_workbook

from sqlalchemy import select

from app.extensions import db
from app.models import Checkin
from app.models.base import utcnow
from app.services import events
from app.services.audit import Actor
from app.timeutil import to_local
from tests import factories
from tests.events_helpers import printed_qr, scan


def volunteer_event_with_one_present(client, **fields):
    """A volunteer event under way: one registered person signed in and out (over the API), one absent."""
    start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    values = dict(kind="志愿服务", title="志愿服务：社区清扫", starts_at=start, ends_at=start + timedelta(hours=2),
                  checkout_required=True, registration_required=True)
    values.update(fields)
    event = factories.make_event(**values)
    present = factories.make_staff(name="到场者", employee_no="X0001", department="办公室")
    absent = factories.make_staff(name="缺席者", employee_no="X0002", department="机关党委")
    events.register(db.session, event.id, present, now=start - timedelta(hours=1))
    events.register(db.session, event.id, absent, now=start - timedelta(hours=1))
    headers = factories.make_bound_account(present)
    assert scan(client, headers, printed_qr(event.id)).status_code == 201
    assert scan(client, headers, printed_qr(event.id, "out")).status_code == 201
    return event


def recorded_times(event) -> dict[str, datetime]:
    """Each direction's recorded time as the sheet should show it: local, to the second."""
    records = db.session.scalars(select(Checkin).where(Checkin.event_id == event.id))
    return {record.direction: to_local(record.at).replace(tzinfo=None, microsecond=0) for record in records}


def export(runner, tmp_path, event_id: int):
    output = tmp_path / "签到表.xlsx"
    result = runner.invoke(args=["events", "attendance", str(event_id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return load_workbook(output).active


def test_clerk_gets_a_title_without_the_kind_repeated(runner, client, tmp_path):
    event = volunteer_event_with_one_present(client)
    assert export(runner, tmp_path, event.id)["A1"].value == "志愿服务：社区清扫"


def test_clerk_gets_the_kind_in_front_of_a_title_without_it(runner, client, tmp_path):
    event = volunteer_event_with_one_present(client, title="社区清扫")
    assert export(runner, tmp_path, event.id)["A1"].value == "志愿服务：社区清扫"


def test_sign_in_and_out_times_are_local_date_time_cells(runner, client, tmp_path):
    event = volunteer_event_with_one_present(client)
    sheet = export(runner, tmp_path, event.id)
    signed_in, signed_out = sheet["F5"], sheet["H5"]
    assert isinstance(signed_in.value, datetime) and isinstance(signed_out.value, datetime)
    times = recorded_times(event)
    assert signed_in.value == times["in"] and signed_out.value == times["out"]
    assert signed_in.number_format == signed_out.number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["B6"].value == "缺席者" and sheet["F6"].value == "未签到"


def test_sheet_prints_on_a4_landscape_one_page_wide_with_headings_repeated(runner, client, tmp_path):
    event = volunteer_event_with_one_present(client)
    sheet = export(runner, tmp_path, event.id)
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and str(setup.paperSize) == str(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0
    assert sheet.print_title_rows == "$4:$4" and sheet["A4"].value == "序号"
    assert sheet.oddHeader.center.text == "志愿服务：社区清扫" and "&P" in sheet.oddFooter.center.text


def test_attendance_refuses_a_csv_name_and_a_missing_folder(runner, client, tmp_path):
    event = volunteer_event_with_one_present(client)
    csv = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(tmp_path / "签到表.csv")])
    assert csv.exit_code == 1 and csv.output.startswith("错误：签到表只能保存为 .xlsx 文件")
    missing = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(tmp_path / "无此目录" / "a.xlsx")])
    assert missing.exit_code == 1 and "错误：文件夹" in missing.output and "不存在" in missing.output
    assert list(tmp_path.iterdir()) == []


def test_attendance_of_a_cancelled_event_warns(runner, client, tmp_path):
    event = volunteer_event_with_one_present(client)
    events.cancel_event(db.session, event.id, Actor.system(), "暴雨")
    result = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(tmp_path / "a.xlsx")])
    assert result.exit_code == 0 and "警告：活动" in result.output and "已取消" in result.output
    assert (tmp_path / "a.xlsx").exists()
