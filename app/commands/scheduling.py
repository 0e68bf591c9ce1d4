"""Scheduler, festival and civility-tip commands: ``flask --app app scheduler run``, ``jobs``,
``festivals YEAR``, ``festival-notices list|edit``, ``tips list|today``."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime

import click
from flask import current_app
from sqlalchemy import func, select

from app import calendar_cn
from app.commands import params
from app.extensions import db
from app.models import CivilityTip, FestivalSetting, SchedulerJob, TipOfDay
from app.services import audit, festivals, tips
from app.timeutil import format_local, local_today

scheduler_cli = params.Group("scheduler", help="定时任务进程（全系统只运行一个）。")
festival_cli = params.Group("festival-notices", help="节日通知：提前天数、通知模板、是否创建草稿活动。")
tips_cli = params.Group("tips", help="文明提示库。")
calendar_cli = params.Group(
    "calendar",
    help="工作日与节假日：在 chinese-calendar 之上按国务院安排（或本单位安排）设置某些日子放假或上班（调休）。",
)


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """启动定时任务进程；已有进程在运行时，本进程等待接替，不会重复执行任务。"""
    from scheduler.process import SchedulerProcess

    process = SchedulerProcess(current_app._get_current_object())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: process.stop())
    click.echo("定时任务进程启动中（Ctrl-C 停止）……")
    sys.exit(process.run())


@click.command("jobs", cls=params.Command)
def jobs_command() -> None:
    """列出定时任务及下次运行时间。"""
    from scheduler.jobs import JOBS
    from scheduler.lock import lock_holder

    stored = dict(db.session.execute(select(SchedulerJob.id, SchedulerJob.next_run_time)).tuples().all())
    holder = lock_holder(db.engine)
    click.echo(f"调度进程：{'运行中（' + holder + '）' if holder else '未运行'}")
    for spec in JOBS:
        when = spec.when(current_app.config)
        if spec.id not in stored:
            next_run = "尚未登记（调度进程启动后生成）"
        elif stored[spec.id] is None:
            next_run = "已暂停"
        else:
            next_run = format_local(datetime.fromtimestamp(stored[spec.id], UTC))
        click.echo(f"{spec.id}\t{spec.description}\t{when}\t下次运行：{next_run}")
    for job_id in sorted(set(stored) - {spec.id for spec in JOBS}):
        click.echo(f"{job_id}\t（已不在任务清单中，调度进程下次启动时删除）")


@click.command("seed-reference", cls=params.Command)
def seed_reference_command() -> None:
    """安装随项目提供的参考数据（文明提示库、各节日的通知设置、本年度默认创建计划）；可重复执行，只补缺少的。"""
    from app.services import scheduling
    from app.services.ledger import plan

    settings, added_tips = scheduling.install_defaults(db.session)
    click.echo(f"参考数据已就绪：新增节日设置 {settings} 个，新增文明提示 {added_tips} 条。")
    year = local_today().year
    if plan.find_plan(db.session, year) is None:
        created = plan.init_plan(db.session, year, audit.Actor.cli())
        click.echo(f"已按实施意见安装 {year} 年默认创建计划：{len(created.areas)} 个方面，{len(created.items)} 项工作。")


@click.command("festivals", cls=params.Command)
@click.argument("year", type=params.IntRange(calendar_cn.FIRST_YEAR, calendar_cn.LAST_YEAR))
def festivals_command(year: int) -> None:
    """按日期列出某年的节日（含管理员添加的）：每行“YYYY-MM-DD 名称”。"""
    for day, name in festivals.festival_days_in(db.session, year):
        click.echo(f"{day.isoformat()} {name}")


@festival_cli.command("list")
def festival_list() -> None:
    """列出各节日的通知设置。"""
    festivals.ensure_festival_settings(db.session)
    for setting in festivals.list_festival_settings(db.session):
        state = "启用" if setting.enabled else "停用"
        leads = "、".join(f"提前{lead}天" if lead else "当天" for lead in setting.lead_days)
        draft = "，创建草稿活动" if setting.create_draft_event else ""
        rule = f"，{setting.rule_text}" if setting.is_custom else ""
        click.echo(f"{setting.name}（{state}{rule}）：{leads}{draft}\n  {setting.template}")


def _parse_leads(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(part) for part in value.replace("，", ",").split(",") if part.strip()]
    except ValueError as exc:
        raise params.InvalidParameter("请填写以逗号分隔的整数天数，例如 7,1") from exc


@festival_cli.command("edit")
@click.argument("name")
@click.option("--lead-days", help="提前天数，逗号分隔，例如 7,1（0 表示当天）。")
@click.option("--template", help="通知模板，可用占位符：{节日}{日期}{星期}{倒计时}。")
@click.option("--enable/--disable", "enabled", default=None, help="启用或停用该节日的通知。")
@click.option("--draft-event/--no-draft-event", "draft_event", default=None, help="是否为管理员创建草稿活动。")
def festival_edit(
    name: str, lead_days: str | None, template: str | None, enabled: bool | None, draft_event: bool | None
) -> None:
    """修改某个节日的通知设置，并预览今年（或明年）的通知。"""
    leads = _parse_leads(lead_days)
    festivals.ensure_festival_settings(db.session)
    setting = festivals.update_festival_setting(
        db.session, name, audit.Actor.cli(),
        lead_days=leads, template=template, enabled=enabled, create_draft_event=draft_event,
    )
    _echo_preview("已保存。", setting)


def _echo_preview(prefix: str, setting: FestivalSetting) -> None:
    day, lead, preview = festivals.preview_notice(setting, local_today())
    click.echo(f"{prefix}{setting.name}（{day.isoformat()}）提前 {lead} 天的通知将是：\n{preview}")


def _month_day(value: str, label: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in value.replace("月", "-").replace("日", "").split("-"))
    except ValueError:
        raise params.InvalidParameter(f"{label}应写成 月-日，例如 7-7", param_hint=label) from None
    return month, day


@festival_cli.command("add")
@click.argument("name")
@click.option("--solar", help="公历日期 月-日，例如国庆节 10-1、建党节 7-1。")
@click.option("--lunar", help="农历日期 月-日（非闰月），例如七夕 7-7、腊八 12-8。")
@click.option("--template", required=True, help="通知模板，可用占位符：{节日}{日期}{星期}{倒计时}。")
@click.option("--lead-days", help="提前天数，逗号分隔，默认 7,1（0 表示当天）。")
@click.option("--draft-event/--no-draft-event", "draft_event", default=False, help="是否为管理员创建草稿活动。")
def festival_add(
    name: str, solar: str | None, lunar: str | None, template: str, lead_days: str | None, draft_event: bool
) -> None:
    """添加本单位要过的节日（七夕、建党节、国庆节等），按公历或农历日期每年通知。"""
    if (solar is None) == (lunar is None):
        raise params.UsageProblem("请用 --solar 或 --lunar 之一给出日期")
    calendar, text = ("solar", solar) if solar is not None else ("lunar", lunar)
    month, day = _month_day(text, "--solar" if solar is not None else "--lunar")
    setting = festivals.add_festival(
        db.session, name, calendar, month, day, audit.Actor.cli(),
        template=template, lead_days=_parse_leads(lead_days), create_draft_event=draft_event,
    )
    _echo_preview(f"已添加节日（{setting.rule_text}）。", setting)


@festival_cli.command("remove")
@click.argument("name")
def festival_remove(name: str) -> None:
    """删除管理员添加的节日（内置节日只能停用）。"""
    festivals.remove_festival(db.session, name, audit.Actor.cli())
    click.echo(f"已删除节日“{name}”。")


@tips_cli.command("list")
def tips_list() -> None:
    """按主题统计文明提示，并显示本轮已推送的条数。"""
    rows = db.session.execute(
        select(CivilityTip.theme, func.count()).where(CivilityTip.enabled.is_(True)).group_by(CivilityTip.theme)
    ).tuples()
    counts = dict(rows.all())
    for theme in sorted(counts, key=lambda t: (t not in tips_theme_order(), tips_theme_order().get(t, 0), t)):
        click.echo(f"{theme}\t{counts[theme]} 条")
    cycle = db.session.scalar(select(func.max(TipOfDay.cycle)))
    used = db.session.scalar(select(func.count()).select_from(TipOfDay).where(TipOfDay.cycle == cycle)) if cycle else 0
    click.echo(f"共 {sum(counts.values())} 条；第 {cycle or 1} 轮已推送 {used} 条。")


def tips_theme_order() -> dict[str, int]:
    from app.civility_tips import THEMES

    return {theme: index for index, theme in enumerate(THEMES)}


@tips_cli.command("today")
@click.option("--date", "day", type=params.DateTime(["%Y-%m-%d"]), help="查看某天的提示（默认今天）。")
def tips_today(day: datetime | None) -> None:
    """查看今天（或指定日期）的文明提示；只查看，不占用轮换（固定某天的提示用 tips pin）。"""
    tip, decided = tips.look_up_tip(db.session, day.date() if day else local_today())
    if tip is None:
        raise params.CommandError(tips.EMPTY_LIBRARY)
    click.echo(tips.tip_message(tip))
    if not decided:
        click.echo(f"（这一天的提示尚未确定：这是按轮换的下一条，编号 {tip.id}；用 tips pin 可固定）")


@tips_cli.command("pin")
@click.argument("day", type=params.DateTime(["%Y-%m-%d"]))
@click.option("--tip", "tip_id", type=params.database_id(), help="指定提示编号（默认按轮换取下一条）。")
def tips_pin(day: datetime, tip_id: int | None) -> None:
    """固定某天推送的文明提示（已推送的日子不能更改）。"""
    tip = tips.pin_tip(db.session, day.date(), audit.Actor.cli(), tip_id)
    click.echo(f"{day:%Y-%m-%d} 的文明提示已固定为（编号 {tip.id}）：\n{tips.tip_message(tip)}")


def _day_text(working: bool) -> str:
    return "上班" if working else "放假"


@calendar_cli.command("set")
@click.argument("first", type=params.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", type=params.DateTime(["%Y-%m-%d"]), help="到这一天为止（含），默认只设置一天。")
@click.option("--holiday/--workday", "holiday", required=True, help="放假，或上班（调休）。")
@click.option("--note", default="", type=params.Text(0, 50), help="说明，如“2027 年春节”，最多 50 字。")
def calendar_set(first: datetime, last: datetime | None, holiday: bool, note: str) -> None:
    """把一天（或一段日子）设为放假或上班，覆盖 chinese-calendar 的判断。"""
    from app.services import working_days

    count = working_days.set_days(db.session, first.date(), (last or first).date(), not holiday, note, audit.Actor.cli())
    click.echo(f"已将 {count} 天设为{_day_text(not holiday)}。")


@calendar_cli.command("clear")
@click.argument("first", type=params.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", type=params.DateTime(["%Y-%m-%d"]), help="到这一天为止（含），默认只清除一天。")
def calendar_clear(first: datetime, last: datetime | None) -> None:
    """清除设置，恢复 chinese-calendar 的判断。"""
    from app.services import working_days

    removed = working_days.clear_days(db.session, first.date(), (last or first).date(), audit.Actor.cli())
    click.echo(f"已清除 {removed} 天的设置。")


@calendar_cli.command("list")
@click.option("--year", type=params.IntRange(calendar_cn.FIRST_YEAR, calendar_cn.LAST_YEAR), help="默认今年。")
def calendar_list(year: int | None) -> None:
    """列出某年的设置，并对照 chinese-calendar 的判断。"""
    from app.services import working_days

    year = year or local_today().year
    views = working_days.overrides_in(db.session, year)
    if not views:
        click.echo(f"{year} 年没有设置，完全按 chinese-calendar 判断工作日。")
        return
    for view in views:
        library = _day_text(view.library_working)
        click.echo(f"{view.day.isoformat()}\t{calendar_cn.weekday_name(view.day)}\t{_day_text(view.working)}"
                   f"\t{view.note or '-'}\t（chinese-calendar：{library}）")
