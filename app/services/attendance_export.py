"""The sign-in sheet for one event as an Excel workbook (the 台账 inspectors ask for)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.models.base import utcnow
from app.models.events import METHOD_LIVE, METHOD_MANUAL, METHOD_PRINTED
from app.services.checkins import Attendance, AttendanceRow
from app.timeutil import format_local

METHOD_LABELS = {METHOD_PRINTED: "扫码（海报）", METHOD_LIVE: "扫码（大屏）", METHOD_MANUAL: "管理员补签"}
HEADERS = ["序号", "姓名", "工号", "部门", "是否报名", "签到时间", "签到方式", "签退时间", "在场时长（分钟）", "认定时长（小时）", "备注"]


def _row(number: int, row: AttendanceRow) -> list[object]:
    checkin, checkout = row.checkin, row.checkout
    notes = [record.note for record in (checkin, checkout) if record is not None and record.note]
    return [
        number,
        row.staff.name,
        row.staff.employee_no,
        row.department,
        "是" if row.registered else "否",
        format_local(checkin.at, "%Y-%m-%d %H:%M:%S") if checkin else "未签到",
        METHOD_LABELS.get(checkin.method, checkin.method) if checkin else "",
        format_local(checkout.at, "%Y-%m-%d %H:%M:%S") if checkout else "",
        row.duration_minutes if row.duration_minutes is not None else "",
        checkout.credited_hours if checkout and checkout.credited_hours is not None else "",
        "；".join(notes),
    ]


def attendance_workbook(sheet: Attendance) -> bytes:
    event = sheet.event
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = "签到表"
    worksheet.append([f"{event.kind}：{event.title}"])
    worksheet.append([f"时间：{format_local(event.starts_at)} 至 {format_local(event.ends_at)}    地点：{event.location or '—'}"])
    worksheet.append(
        [f"签到 {len(sheet.present)} 人；报名未到 {len(sheet.absent)} 人；导出于 {format_local(utcnow())}"]
    )
    worksheet.append(HEADERS)
    worksheet["A1"].font = Font(bold=True, size=14)
    for cell in worksheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for number, row in enumerate([*sheet.present, *sheet.absent], start=1):
        worksheet.append(_row(number, row))
    for column, width in zip("ABCDEFGHIJK", (6, 10, 12, 16, 9, 20, 14, 20, 16, 16, 30), strict=True):
        worksheet.column_dimensions[column].width = width
    worksheet.freeze_panes = "A5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
