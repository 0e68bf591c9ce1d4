"""``flask --app app events …``: create events, print posters and code addresses, export attendance."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from app.commands import params
from app.errors import AppError
from app.extensions import db
from app.models.events import DIRECTIONS, EVENT_KINDS
from app.services import attendance_export, audit, checkin_codes, checkins, events, posters

events_cli = AppGroup("events", help="活动：创建、签到海报、签到码地址、签到表。")


def _event_or_fail(event_id: int):
    try:
        return events.get_event(db.session, event_id)
    except AppError as exc:
        raise params.CommandError(f"活动 {event_id} 不存在") from exc


def _parse_time(value: str, label: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise params.InvalidParameter(f"{label}应为 ISO 8601 时间，例如 2026-03-05T14:30") from exc


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
    from app.models.events import EVENT_CANCELLED, EVENT_DRAFT  # here: the module's imports are shared

    if event.status == EVENT_CANCELLED:
        click.echo(f"警告：活动 {event.id} 已取消，{cancelled}", err=True)
    elif event.status == EVENT_DRAFT:
        click.echo(f"警告：活动 {event.id} 还是草稿，{draft}", err=True)


REMIND_HELP = "提醒规则，可重复：1d@09:00（提前 1 天 09:00）、60m、2h；不写则为默认（提前 1 天 09:00 和开始前 60 分钟）"


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
@click.option("--capacity", type=params.IntRange(1, events.CAPACITY_MAX), default=None, help="名额（需报名）")
@click.option("--registration/--no-registration", default=None, help="是否需要报名；设置名额时默认需要")
@click.option("--checkout", is_flag=True, help="需要签退（志愿服务，计志愿时长）")
@click.option("--lat", type=params.FloatRange(-90, 90), default=None, help="签到范围中心纬度")
@click.option("--lng", type=params.FloatRange(-180, 180), default=None, help="签到范围中心经度")
@click.option("--radius", type=params.IntRange(10, 50_000), default=None, help="签到范围半径（米）")
@click.option("--draft", is_flag=True, help="保存为草稿，不发布")
@click.option("--remind", "reminders", multiple=True, help=REMIND_HELP)
@click.option("--no-reminders", is_flag=True, help="不发送活动提醒")
def create(
    kind, title, start, end, location, description, capacity, registration, checkout, lat, lng, radius, draft,
    reminders, no_reminders,
):
    """创建活动，输出活动编号。"""
    draft_event = events.EventDraft(
        kind=kind,
        title=title,
        starts_at=_parse_time(start, "--start "),
        ends_at=_parse_time(end, "--end "),
        description=description,
        location=location,
        latitude=lat,
        longitude=lng,
        radius_m=radius,
        capacity=capacity,
        registration_required=registration if registration is not None else capacity is not None,
        checkout_required=checkout,
        publish=not draft,
        reminders=_reminder_rules(reminders, no_reminders),
    )
    try:
        event = events.create_event(db.session, draft_event, audit.Actor.cli())
    except AppError as exc:
        raise params.CommandError(exc.message) from exc
    click.echo(event.id)


@events_cli.command("edit")
@click.argument("event_id", type=params.database_id())
@click.option("--title", default=None, help="活动名称")
@click.option("--start", "start", default=None, help="开始时间（ISO 8601；不带时区按本地时间）")
@click.option("--end", "end", default=None, help="结束时间")
@click.option("--location", default=None, help="地点")
@click.option("--description", default=None, help="简介")
@click.option("--remind", "reminders", multiple=True, help=REMIND_HELP)
@click.option("--no-reminders", is_flag=True, help="不发送活动提醒")
@click.option("--default-reminders", is_flag=True, help="恢复默认提醒")
def edit(event_id, title, start, end, location, description, reminders, no_reminders, default_reminders):
    """修改活动；已发布活动的待发提醒随之调整，时间或地点变动会通知已报名的人。"""
    _event_or_fail(event_id)
    changes: dict = {}
    for name, value in (("title", title), ("location", location), ("description", description)):
        if value is not None:
            changes[name] = value
    if start is not None:
        changes["starts_at"] = _parse_time(start, "--start ")
    if end is not None:
        changes["ends_at"] = _parse_time(end, "--end ")
    if default_reminders and (reminders or no_reminders):
        raise params.UsageProblem("--default-reminders 不能与 --remind、--no-reminders 同时使用")
    if default_reminders:
        changes["reminders"] = None
    elif reminders or no_reminders:
        changes["reminders"] = _reminder_rules(reminders, no_reminders)
    if not changes:
        raise params.UsageProblem("请至少指定一项要修改的内容")
    try:
        events.update_event(db.session, event_id, changes, audit.Actor.cli())
    except AppError as exc:
        db.session.rollback()
        raise params.CommandError(exc.message) from exc
    click.echo(f"活动 {event_id} 已修改。")


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
    except AppError as exc:
        raise params.CommandError(exc.message) from exc
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
    try:
        checkin_codes.ensure_direction(event, direction)
    except AppError as exc:
        raise params.CommandError(exc.message) from exc
    click.echo(checkin_codes.code_url(checkin_codes.printed_token(event.id, direction)))


@events_cli.command("screen-url")
@click.argument("event_id", type=params.database_id())
@click.option("--direction", type=params.Choice(DIRECTIONS), default="in", show_default=True)
def screen_url(event_id: int, direction: str):
    """输出现场大屏（滚动签到码）的签名链接。"""
    event = _event_or_fail(event_id)
    try:
        url, _expires_at = checkin_codes.screen_link_for(event, direction)
    except AppError as exc:
        raise params.CommandError(exc.message) from exc
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
    try:
        events.cancel_event(db.session, event_id, audit.Actor.cli(), reason)
    except AppError as exc:
        raise params.CommandError(exc.message) from exc
    click.echo(f"活动 {event_id} 已取消。")
