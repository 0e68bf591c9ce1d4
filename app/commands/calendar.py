"""``flask --app app calendar set|clear|list``: working-day overrides over chinese-calendar."""

from __future__ import annotations

from datetime import datetime

import click

from app import calendar_cn
from app.commands import params
from app.extensions import db
from app.services import audit
from app.timeutil import local_today

calendar_cli = params.Group(
    "calendar",
    help="工作日与节假日：在 chinese-calendar 之上按国务院安排（或本单位安排）设置某些日子放假或上班（调休）。",
)


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
