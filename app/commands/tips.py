"""``flask --app app tips list|today|pin``: the civility tip library and the tip of a day."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import func, select

from app.commands import params
from app.extensions import db
from app.models import CivilityTip, TipOfDay
from app.services import audit, tips
from app.timeutil import local_today

tips_cli = params.Group("tips", help="文明提示库。")


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
