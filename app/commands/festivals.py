"""``flask --app app festivals YEAR`` and ``festival-notices list|edit|add|remove``: the festivals and their notices."""

from __future__ import annotations


import click

from app import calendar_cn
from app.commands import params
from app.extensions import db
from app.models import FestivalSetting
from app.services import audit, festivals
from app.timeutil import local_today

festival_cli = params.Group("festival-notices", help="节日通知：提前天数、通知模板、是否创建草稿活动。")


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
