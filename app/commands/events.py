"""``flask --app app events …``: create, edit and list events, print posters and code addresses, export
attendance, and an operator's sign-in corrections (补录, undo, hours)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import click

from app.commands import params
from app.errors import AppError
from app.extensions import db
from app.models.events import CAPACITY_RANGE, DIRECTIONS, EVENT_KINDS, EVENT_STATUSES, LATITUDE_RANGE, LONGITUDE_RANGE, RADIUS_RANGE_M
from app.services import attendance_export, audit, checkin_codes, checkins, event_lists, events, posters, staff
from app.timeutil import format_local, to_local

events_cli = params.Group("events", help="活动：创建、修改、列表、签到海报、签到码地址、签到表、补录。")

_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


def _event_or_fail(event_id: int):
    try:
        return events.get_event(db.session, event_id)
    except AppError as exc:
        raise params.CommandError(f"活动 {event_id} 不存在") from exc


def _parse_time(value: str, label: str, day: date | None = None) -> datetime:
    """ISO 8601 (no zone: Beijing time), or with ``day`` a bare ``HH:MM`` on that local day."""
    if day is not None and _CLOCK.match(value.strip()):
        value = f"{day.isoformat()}T{value.strip():0>5}"
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        shapes = "2026-03-05T14:30" + ("，或活动当天的 14:30" if day is not None else "")
        raise params.InvalidParameter(f"{label}应为 ISO 8601 时间，例如 {shapes}") from exc


def _output_file(value: str, what: str, suffixes: tuple[str, ...]) -> Path:
    """``-o FILE``: its extension names the format written; its folder must already exist."""
    path = Path(value)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        allowed = " 或 ".join(suffixes)
        got = f"“{path.suffix}”" if path.suffix else "没有扩展名"
        raise params.CommandError(f"{what}只能保存为 {allowed} 文件，{path.name} {got}")
    if path.is_dir():
        raise params.CommandError(f"{path} 是文件夹，请给出文件名，例如 {path / ('文件' + suffixes[0])}")
    folder = path.parent
    if not folder.is_dir():
        raise params.CommandError(f"文件夹 {folder} 不存在，请先创建它或换一个位置")
    return path


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise params.CommandError(f"无法写入 {path}：{exc.strerror}") from exc


def _warn_unless_published(event, *, cancelled: str, draft: str) -> None:
    """A warning on stderr (the file is still written) for a cancelled or draft event."""
    if event.is_cancelled:
        click.echo(f"警告：活动 {event.id} 已取消，{cancelled}", err=True)
    elif event.is_draft:
        click.echo(f"警告：活动 {event.id} 还是草稿，{draft}", err=True)


REMIND_HELP = "提醒规则，可重复：1d@09:00（提前 1 天 09:00）、60m、2h；不写则为默认（提前 1 天 09:00 和开始前 60 分钟）"
WINDOW_HELP = "（ISO 8601，或活动当天的 HH:MM；不写为开始前后各 30 分钟）"


def _reminder_rules(reminders: tuple[str, ...], none: bool) -> list[str] | None:
    if none and reminders:
        raise params.UsageProblem("--remind 与 --no-reminders 不能同时使用")
    return [] if none else (list(reminders) or None)


@events_cli.command("create")
@click.option("--kind", required=True, type=params.Choice(EVENT_KINDS), help="活动类型")
@click.option("--title", required=True, help="活动名称")
@click.option("--start", "start", required=True, help="开始时间（ISO 8601；不带时区按本地时间）")
@click.option("--end", "end", required=True, help="结束时间")
@click.option("--location", default=None, help="地点")
@click.option("--description", default="", help="简介")
@click.option("--capacity", type=params.IntRange(*CAPACITY_RANGE), default=None, help="名额（需报名）")
@click.option("--registration/--no-registration", default=None, help="是否需要报名；设置名额时默认需要")
@click.option("--walk-ins", is_flag=True, help="需报名的活动也允许未报名的人现场签到")
@click.option("--checkout", is_flag=True, help="需要签退（志愿服务，计志愿时长）")
@click.option("--checkin-opens", default=None, help="签到开始时间" + WINDOW_HELP)
@click.option("--checkin-closes", default=None, help="签到截止时间" + WINDOW_HELP)
@click.option("--live-code-only/--printed-code-ok", default=None, help="只接受现场大屏的动态签到码；道德讲堂默认只接受动态码")
@click.option("--lat", type=params.FloatRange(*LATITUDE_RANGE), default=None, help="签到范围中心纬度")
@click.option("--lng", type=params.FloatRange(*LONGITUDE_RANGE), default=None, help="签到范围中心经度")
@click.option("--radius", type=params.IntRange(*RADIUS_RANGE_M), default=None, help="签到范围半径（米）")
@click.option("--draft", is_flag=True, help="保存为草稿，不发布")
@click.option("--remind", "reminders", multiple=True, help=REMIND_HELP)
@click.option("--no-reminders", is_flag=True, help="不发送活动提醒")
def create(
    kind, title, start, end, location, description, capacity, registration, walk_ins, checkout, checkin_opens,
    checkin_closes, live_code_only, lat, lng, radius, draft, reminders, no_reminders,
):
    """创建活动，第一行输出活动编号，第二行是一行摘要。"""
    starts_at = _parse_time(start, "--start ")
    draft_event = events.EventDraft(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=_parse_time(end, "--end "),
        description=description,
        location=location,
        latitude=lat,
        longitude=lng,
        radius_m=radius,
        capacity=capacity,
        registration_required=registration if registration is not None else capacity is not None,
        walk_ins_allowed=walk_ins,
        checkout_required=checkout,
        checkin_opens_at=_parse_time(checkin_opens, "--checkin-opens ", starts_at.date()) if checkin_opens else None,
        checkin_closes_at=_parse_time(checkin_closes, "--checkin-closes ", starts_at.date()) if checkin_closes else None,
        live_code_only=live_code_only,
        publish=not draft,
        reminders=_reminder_rules(reminders, no_reminders),
    )
    event = events.create_event(db.session, draft_event, audit.Actor.cli())
    click.echo(event.id)
    click.echo(event_lists.summary(event))


@events_cli.command("edit")
@click.argument("event_id", type=params.database_id())
@click.option("--title", default=None, help="活动名称")
@click.option("--start", "start", default=None, help="开始时间（ISO 8601；不带时区按本地时间）")
@click.option("--end", "end", default=None, help="结束时间")
@click.option("--location", default=None, help="地点")
@click.option("--description", default=None, help="简介")
@click.option("--capacity", type=params.IntRange(*CAPACITY_RANGE), default=None, help="名额（不能少于已报名人数）")
@click.option("--checkin-opens", default=None, help="签到开始时间" + WINDOW_HELP)
@click.option("--checkin-closes", default=None, help="签到截止时间" + WINDOW_HELP)
@click.option("--walk-ins/--no-walk-ins", default=None, help="需报名的活动是否允许未报名的人现场签到")
@click.option("--live-code-only/--printed-code-ok", default=None, help="是否只接受现场大屏的动态签到码")
@click.option("--remind", "reminders", multiple=True, help=REMIND_HELP)
@click.option("--no-reminders", is_flag=True, help="不发送活动提醒")
@click.option("--default-reminders", is_flag=True, help="恢复默认提醒")
def edit(
    event_id, title, start, end, location, description, capacity, checkin_opens, checkin_closes, walk_ins,
    live_code_only, reminders, no_reminders, default_reminders,
):
    """修改活动；已发布活动的待发提醒随之调整，时间或地点变动会通知已报名的人。"""
    event = _event_or_fail(event_id)
    changes: dict = {}
    named = (("title", title), ("location", location), ("description", description), ("capacity", capacity),
             ("walk_ins_allowed", walk_ins), ("live_code_only", live_code_only))
    changes.update({name: value for name, value in named if value is not None})
    if start is not None:
        changes["starts_at"] = _parse_time(start, "--start ")
    if end is not None:
        changes["ends_at"] = _parse_time(end, "--end ")
    day = changes["starts_at"].date() if "starts_at" in changes else to_local(event.starts_at).date()
    if checkin_opens is not None:
        changes["checkin_opens_at"] = _parse_time(checkin_opens, "--checkin-opens ", day)
    if checkin_closes is not None:
        changes["checkin_closes_at"] = _parse_time(checkin_closes, "--checkin-closes ", day)
    if default_reminders and (reminders or no_reminders):
        raise params.UsageProblem("--default-reminders 不能与 --remind、--no-reminders 同时使用")
    if default_reminders:
        changes["reminders"] = None
    elif reminders or no_reminders:
        changes["reminders"] = _reminder_rules(reminders, no_reminders)
    if not changes:
        raise params.UsageProblem("请至少指定一项要修改的内容")
    event = events.update_event(db.session, event_id, changes, audit.Actor.cli())
    click.echo(f"活动 {event_id} 已修改。")
    click.echo(event_lists.summary(event))


def _month(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise params.InvalidParameter(f"“{value}”应为 YYYY-MM 格式的月份") from exc


@events_cli.command("list")
@click.option("--kind", type=params.Choice(EVENT_KINDS), default=None, help="活动类型")
@click.option("--status", type=params.Choice(EVENT_STATUSES), default=None, help="draft 草稿、published 已发布、cancelled 已取消")
@click.option("--month", default=None, help="开始时间所在月份（本地时间），如 2026-03")
def list_events(kind, status, month):
    """列出活动（含草稿），按开始时间排序，每行一个。"""
    found = db.session.scalars(event_lists.operator_events_statement(kind, status, _month(month))).all()
    if not found:
        click.echo("没有符合条件的活动。")
    for event in found:
        click.echo(event_lists.summary(event))


@events_cli.command("poster")
@click.argument("event_id", type=params.database_id())
@click.option("-o", "--output", required=True, metavar="FILE", help="输出文件：.png（300 dpi 图片）或 .pdf（A4，文字可检索）")
@click.option("--direction", type=params.Choice(DIRECTIONS), default="in", show_default=True, help="in 签到，out 签退")
def poster(event_id: int, output: str, direction: str):
    """生成可打印的签到海报（A4）：PNG 或 PDF，由文件扩展名决定。"""
    path = _output_file(output, "海报", tuple(f".{fmt}" for fmt in posters.POSTER_FORMATS))
    event = _event_or_fail(event_id)
    try:
        checkin_codes.ensure_direction(event, direction)
        rendered = posters.render_poster(event, direction, path.suffix.lower().lstrip("."))
    except posters.FontUnavailable as exc:
        raise params.CommandError(str(exc)) from exc
    _warn_unless_published(event, cancelled="海报上的签到码不会被接受", draft="发布前海报上的签到码不会被接受")
    if rendered.title_shortened:
        click.echo("警告：标题太长，最小字号也放不下，海报上的标题以“…”结尾；请考虑缩短标题", err=True)
    _write(path, rendered.data)
    click.echo(f"海报已保存：{path}")


@events_cli.command("checkin-url")
@click.argument("event_id", type=params.database_id())
@click.option("--direction", type=params.Choice(DIRECTIONS), default="in", show_default=True)
def checkin_url(event_id: int, direction: str):
    """输出印刷签到码中的地址。"""
    event = _event_or_fail(event_id)
    checkin_codes.ensure_printable(event, direction)
    click.echo(checkin_codes.code_url(checkin_codes.printed_token(event.id, direction)))


@events_cli.command("screen-url")
@click.argument("event_id", type=params.database_id())
@click.option("--direction", type=params.Choice(DIRECTIONS), default="in", show_default=True)
def screen_url(event_id: int, direction: str):
    """输出现场大屏（滚动签到码）的签名链接。"""
    event = _event_or_fail(event_id)
    url, _expires_at = checkin_codes.screen_link_for(event, direction)
    click.echo(url)


@events_cli.command("attendance")
@click.argument("event_id", type=params.database_id())
@click.option("-o", "--output", required=True, metavar="FILE", help="输出 .xlsx 文件")
def attendance(event_id: int, output: str):
    """导出签到表（部门、签到签退时间、志愿时长；含报名未到的人）。"""
    path = _output_file(output, "签到表", (".xlsx",))
    event = _event_or_fail(event_id)
    sheet = checkins.attendance(db.session, event_id)
    _warn_unless_published(event, cancelled="签到表仅供存档", draft="发布前不会有人签到")
    _write(path, attendance_export.attendance_workbook(sheet))
    click.echo(f"签到表已保存：{path}（签到 {len(sheet.present)} 人，报名未到 {len(sheet.absent)} 人）")


@events_cli.command("cancel")
@click.argument("event_id", type=params.database_id())
@click.option("--reason", required=True, type=params.Text(2, 200), help="取消原因（会通知已报名的人）")
def cancel(event_id: int, reason: str):
    """取消活动并通知已报名的人。"""
    _event_or_fail(event_id)
    events.cancel_event(db.session, event_id, audit.Actor.cli(), reason)
    click.echo(f"活动 {event_id} 已取消。")


# ---- an operator's corrections ------------------------------------------------------------------------


def _person(employee_no: str):
    return staff.get_staff(db.session, employee_no)


@events_cli.command("checkin-manual")
@click.argument("event_id", type=params.database_id())
@click.argument("employee_no")
@click.option("--at", "at", default=None, help="实际签到时间：活动当天的 HH:MM 或 ISO 8601（北京时间）；不写为现在")
@click.option("--out", "out", default=None, help="同时补录的签退时间（需签退的活动）；只写 --out 则只补签退")
@click.option("--reason", required=True, type=params.Text(2, 200), help="原因（记入审计日志）")
def checkin_manual(event_id: int, employee_no: str, at: str | None, out: str | None, reason: str):
    """补录签到（和签退）：照纸质签到表录入实际时间，志愿时长按时间计算。"""
    event = _event_or_fail(event_id)
    day = to_local(event.starts_at).date()
    person = _person(employee_no)
    at_time = _parse_time(at, "--at ", day) if at else None
    out_time = _parse_time(out, "--out ", day) if out else None
    if at_time is None and out_time is not None:
        result = checkins.manual_check_in(db.session, event_id, person, "out", reason, None, out_time)
    else:
        result = checkins.manual_check_in(db.session, event_id, person, "in", reason, None, at_time, out_time)
    for record in filter(None, (result.record, result.checkout)):
        action = "签退" if record.direction == "out" else "签到"
        hours = f"，志愿时长 {record.credited_hours:g} 小时" if record.credited_hours is not None else ""
        state = "已补录" if result.created else "已有记录，未改动"
        click.echo(f"{person.name}（{person.employee_no}）{action} {format_local(record.at)} {state}{hours}（记录 {record.id}）")


@events_cli.command("checkin-undo")
@click.argument("event_id", type=params.database_id())
@click.argument("employee_no")
@click.option("--direction", type=params.Choice(DIRECTIONS), default="in", show_default=True, help="in 签到，out 签退")
@click.option("--reason", required=True, type=params.Text(2, 200), help="原因（记入审计日志）")
def checkin_undo(event_id: int, employee_no: str, direction: str, reason: str):
    """撤销一条签到或签退记录（有签退时先撤销签退）。"""
    _event_or_fail(event_id)
    record = checkins.find_checkin(db.session, event_id, _person(employee_no), direction)
    checkins.undo_checkin(db.session, record.id, reason, None)
    click.echo(f"已撤销 {employee_no} 的{'签退' if direction == 'out' else '签到'}记录（{format_local(record.at)}）。")


@events_cli.command("adjust-hours")
@click.argument("event_id", type=params.database_id())
@click.argument("employee_no")
@click.argument("hours", type=params.FloatRange(0, 24))
@click.option("--reason", required=True, type=params.Text(2, 200), help="原因（记入审计日志）")
def adjust_hours(event_id: int, employee_no: str, hours: float, reason: str):
    """调整某人在某活动的志愿时长（小时，0.5 的整数倍）。"""
    _event_or_fail(event_id)
    record = checkins.find_checkin(db.session, event_id, _person(employee_no), "out")
    before = record.credited_hours
    record = checkins.adjust_hours(db.session, record.id, hours, reason, None)
    click.echo(f"{employee_no} 的志愿时长：{before:g} → {record.credited_hours:g} 小时。")
