"""The sign-in sheet for one event as an Excel workbook (the 台账 inspectors ask for).

Times are real date-time cells in local time (Excel can sort and compute with them); the sheet prints
on A4 landscape, one page wide, with the column headings repeated on every page and the event's title
in the page header.
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from app.models.base import utcnow
from app.models.events import METHOD_LIVE, METHOD_MANUAL, METHOD_PRINTED
from app.services.checkins import Attendance, AttendanceRow
from app.models import Event
from app.timeutil import format_local, to_local

METHOD_LABELS = {METHOD_PRINTED: "扫码（海报）", METHOD_LIVE: "扫码（大屏）", METHOD_MANUAL: "管理员补签"}
HEADERS = ["序号", "姓名", "工号", "部门", "是否报名", "签到时间", "签到方式", "签退时间", "在场时长（分钟）", "认定时长（小时）", "备注"]
TIME_COLUMNS = ("F", "H")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
HEADER_ROW = 4


def sheet_title(event: Event) -> str:
    """``道德讲堂：诚信做人``; a title that already starts with its kind is not prefixed again."""
    title = event.title.strip()
    return title if title.startswith(event.kind) else f"{event.kind}：{title}"


def _local(moment: datetime) -> datetime:
    """A naive local date-time to the second: what a spreadsheet cell holds."""
    return to_local(moment).replace(tzinfo=None, microsecond=0)


def _row(number: int, row: AttendanceRow) -> list[object]:
    checkin, checkout = row.checkin, row.checkout
    notes = [record.note for record in (checkin, checkout) if record is not None and record.note]
    return [
        number,
        row.staff.name,
        row.staff.employee_no,
        row.department,
        "是" if row.registered else "否",
        _local(checkin.at) if checkin else "未签到",
        METHOD_LABELS.get(checkin.method, checkin.method) if checkin else "",
        _local(checkout.at) if checkout else "",
        row.duration_minutes if row.duration_minutes is not None else "",
        checkout.credited_hours if checkout and checkout.credited_hours is not None else "",
        "；".join(notes),
    ]


def _print_setup(worksheet: Worksheet, title: str) -> None:
    setup = worksheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = worksheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages as the rows need
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    worksheet.print_options.horizontalCentered = True
    worksheet.page_margins.left = worksheet.page_margins.right = 0.4
    worksheet.oddHeader.center.text = title.replace("&", "&&")  # "&" starts a header code
    worksheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def attendance_workbook(sheet: Attendance) -> bytes:
    event = sheet.event
    title = sheet_title(event)
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = "签到表"
    worksheet.append([title])
    worksheet.append([f"时间：{format_local(event.starts_at)} 至 {format_local(event.ends_at)}    地点：{event.location or '—'}"])
    worksheet.append(
        [f"签到 {len(sheet.present)} 人；报名未到 {len(sheet.absent)} 人；导出于 {format_local(utcnow())}"]
    )
    worksheet.append(HEADERS)
    last_column = chr(ord("A") + len(HEADERS) - 1)
    for row in range(1, HEADER_ROW):  # the three lines above the table span it, so they print within it
        worksheet.merge_cells(f"A{row}:{last_column}{row}")
        worksheet[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="center")
    worksheet["A1"].font = Font(bold=True, size=14)
    worksheet.row_dimensions[1].height = 40
    for cell in worksheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for number, row in enumerate([*sheet.present, *sheet.absent], start=1):
        worksheet.append(_row(number, row))
        for column in TIME_COLUMNS:
            worksheet[f"{column}{worksheet.max_row}"].number_format = TIME_FORMAT
    for column, width in zip("ABCDEFGHIJK", (6, 10, 12, 16, 9, 20, 14, 20, 16, 16, 30), strict=True):
        worksheet.column_dimensions[column].width = width
    worksheet.freeze_panes = f"A{HEADER_ROW + 1}"
    _print_setup(worksheet, title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
