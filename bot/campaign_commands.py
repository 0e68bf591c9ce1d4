"""Commands over campaign data that other parts of the system own (see ``bot/sources.py``).

Each declares the source it reads; none exists for senders until that source is connected.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from app.models.org import ROLE_ADMIN
from app.services import outbox
from app.timeutil import format_local, local_datetime, local_today
from bot import sources
from bot.commands import CommandContext, UsageError, registry

LIST_LIMIT = 10
PERIODS = ("本月", "本年")


@registry.command("活动", alias="/events", requires=(sources.EVENTS,))
def upcoming_events(context: CommandContext, _: None) -> dict[str, Any]:
    """近期活动：时间、地点、报名情况"""
    events = context.sources[sources.EVENTS].upcoming_for(context.session, context.staff, context.now, LIST_LIMIT)
    if not events:
        return outbox.text("近期没有安排活动。")
    lines = [
        f"{index}. {e.title}\n   时间：{format_local(e.starts_at)}\n   地点：{e.place}\n   报名：{e.registration}"
        for index, e in enumerate(events, start=1)
    ]
    return outbox.text("近期活动：\n" + "\n".join(lines))


@registry.command("心愿", alias="/wishes", requires=(sources.WISHES,))
def open_wishes(context: CommandContext, _: None) -> dict[str, Any]:
    """可认领的微心愿"""
    wishes = context.sources[sources.WISHES].open_wishes(context.session, context.now, LIST_LIMIT)
    if not wishes:
        return outbox.text("目前没有待认领的微心愿。")
    lines = []
    for index, wish in enumerate(wishes, start=1):
        deadline = f"（{wish.deadline:%m月%d日}前）" if wish.deadline else ""
        lines.append(f"{index}. {wish.title}{deadline}\n   {wish.detail}")
    return outbox.text("待认领的微心愿：\n" + "\n".join(lines) + "\n请在小程序中认领。")


@registry.command("提示", alias="/tip", requires=(sources.TIPS,))
def todays_tip(context: CommandContext, _: None) -> dict[str, Any]:
    """今日文明提示"""
    tip = context.sources[sources.TIPS].tip_for(context.session, local_today(context.now))
    return outbox.text(f"今日文明提示：{tip}" if tip else "今天没有文明提示。")


@registry.command("我的", alias="/me", requires=(sources.RECORDS,))
def my_record(context: CommandContext, _: None) -> dict[str, Any]:
    """我今年的签到、志愿时长和认领的心愿"""
    since = local_today(context.now).replace(month=1, day=1)
    record = context.sources[sources.RECORDS].record_of(context.session, context.staff, since)
    return outbox.text(
        f"{context.staff.name}，您今年：\n签到 {record.sign_ins} 次\n志愿服务 {record.hours:g} 小时\n"
        f"认领微心愿 {record.claims} 个（已完成 {record.claims_done} 个）"
    )


def _period(text: str) -> str:
    if not text:
        return PERIODS[0]
    if text not in PERIODS:
        raise UsageError("统计周期只能是「本月」或「本年」。")
    return text


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` of this local month or year, as aware datetimes."""
    today = local_today(now)
    if period == "本年":
        start, end = today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
    else:
        start = today.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return local_datetime(start, time()), local_datetime(end, time())


@registry.command("统计", alias="/stats", usage="统计 [本月|本年]", role=ROLE_ADMIN, parse=_period,
                  requires=(sources.EVENTS,))
def participation(context: CommandContext, period: str) -> dict[str, Any]:
    """各部门参与情况"""
    start, end = period_bounds(period, context.now)
    rows = context.sources[sources.EVENTS].participation_by_department(context.session, start, end)
    if not rows:
        return outbox.text(f"{period}还没有参与记录。")
    lines = [
        f"{r.department}：{r.participants}/{r.staff_count} 人参与，签到 {r.sign_ins} 次，志愿 {r.hours:g} 小时"
        for r in rows
    ]
    return outbox.text(f"{period}各部门参与情况：\n" + "\n".join(lines))
