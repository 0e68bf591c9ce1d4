"""Commands over campaign data: 活动, 心愿, 提示, 我的, 统计 and 签到码 (reads through ``bot/queries.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.calendar_cn import WEEKDAYS
from app.converters import MAX_ID
from app.models import Event
from app.models.events import DIRECTION_IN, DIRECTION_OUT
from app.models.org import ROLE_ADMIN
from app.services import checkin_codes, events, outbox, stats, tips
from app.services.outbox_media import rendered_image
from app.timeutil import format_local, local_days, local_today, to_local
from bot import queries
from bot.commands import CommandContext, Reply, UsageError, registry

LIST_LIMIT = 10
PERIODS = ("本月", "本年")


def _when(event: Event) -> str:
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    day = f"{start:%m月%d日}（周{WEEKDAYS[start.weekday()]}）{start:%H:%M}"
    return f"{day}–{end:%H:%M}" if start.date() == end.date() else f"{day} 至 {end:%m月%d日 %H:%M}"


@registry.command("活动", alias="/events")
def upcoming_events(context: CommandContext, _: None) -> Reply:
    """近期活动：时间、地点、我的报名情况"""
    events = queries.upcoming_events(context.session, context.staff, context.now, LIST_LIMIT)
    if not events:
        return outbox.text("近期没有安排活动。")
    lines = [
        f"{index}. {item.event.title}（{item.event.kind}，编号 {item.event.id}）\n"
        f"   时间：{_when(item.event)}{'（进行中）' if item.event.starts_at <= context.now else ''}\n"
        f"   地点：{item.event.location or '另行通知'}\n   报名：{item.registration}"
        for index, item in enumerate(events, start=1)
    ]
    return outbox.text("近期活动：\n" + "\n".join(lines))


@registry.command("心愿", alias="/wishes")
def open_wishes(context: CommandContext, _: None) -> Reply:
    """可认领的微心愿（截止最近的在前）"""
    wishes, total = queries.open_wishes(context.session, LIST_LIMIT)
    if not wishes:
        return outbox.text("目前没有待认领的微心愿。")
    lines = [
        f"{index}. {wish.title}（{wish.claim_deadline:%m月%d日}截止）\n"
        f"   {wish.village} {wish.masked_beneficiary} · {wish.category_label}"
        for index, wish in enumerate(wishes, start=1)
    ]
    more = f"（共 {total} 个，显示截止最近的 {len(wishes)} 个）" if total > len(wishes) else ""
    return outbox.text(f"待认领的微心愿{more}：\n" + "\n".join(lines) + "\n请在小程序「微心愿」中认领。")


@registry.command("提示", alias="/tip")
def todays_tip(context: CommandContext, _: None) -> Reply:
    """今日文明提示"""
    tip = tips.todays_tip(context.session, local_today(context.now))
    return outbox.text(f"今日文明提示：【{tip.theme}】{tip.content}" if tip else "今天没有文明提示。")


@registry.command("我的", alias="/me")
def my_record(context: CommandContext, _: None) -> Reply:
    """我的签到、志愿时长和认领的心愿"""
    record = queries.my_record(context.session, context.staff, local_today(context.now).year)
    lines = [
        f"{context.staff.name}，您的参与情况：",
        f"{record.year}年签到 {record.sign_ins} 次，志愿服务 {record.hours:g} 小时（累计 {record.hours_all_time:g} 小时）",
    ]
    if record.recent:
        lines.append("最近签到：")
        lines += [f"· {format_local(c.at, '%m月%d日 %H:%M')} {c.event.title}" for c in record.recent]
    if record.active_claims:
        lines.append(f"进行中的微心愿 {len(record.active_claims)} 个：")
        lines += [
            f"· {claim.wish.title}（{claim.wish.status_label}，{format_local(claim.due_at, '%m月%d日')}前完成）"
            for claim in record.active_claims
        ]
    else:
        lines.append("没有进行中的微心愿。")
    lines.append(f"已完成的微心愿 {record.fulfilled_claims} 个。")
    return outbox.text("\n".join(lines))


def _period(text: str) -> str:
    if not text:
        return PERIODS[0]
    if text not in PERIODS:
        raise UsageError("统计周期只能是「本月」或「本年」。")
    return text


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` of this local month or year, as aware local datetimes."""
    today = local_today(now)
    if period == "本年":
        first, last = today.replace(month=1, day=1), today.replace(month=12, day=31)
    else:
        first = today.replace(day=1)
        following = first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
        last = following - timedelta(days=1)
    start, end = local_days(first, last)
    return to_local(start), to_local(end)


@registry.command("统计", alias="/stats", usage="统计 [本月|本年]", role=ROLE_ADMIN, parse=_period)
def participation(context: CommandContext, period: str) -> Reply:
    """各部门参与情况：签到、参与人数、志愿时长"""
    start, end = period_bounds(period, context.now)
    rows = stats.participation_by_department(context.session, start, end)
    label = f"{to_local(start):%Y年%m月}" if period == "本月" else f"{to_local(start):%Y年}"
    if not any(row.sign_ins or row.hours for row in rows):
        return outbox.text(f"{label}还没有签到记录。")
    lines = [
        f"· {r.department}：{r.participants}/{r.roster} 人参与（{r.rate:.0%}），签到 {r.sign_ins} 次，志愿 {r.hours:g} 小时"
        for r in rows
    ]
    people, roster = sum(r.participants for r in rows), sum(r.roster for r in rows)
    total = (
        f"合计：{people}/{roster} 人参与，签到 {sum(r.sign_ins for r in rows)} 次，"
        f"志愿 {sum(r.hours for r in rows):g} 小时"
    )
    return outbox.text(f"{label}各部门参与情况（按活动开始时间统计）：\n" + "\n".join(lines) + "\n" + total)


@dataclass(frozen=True)
class CodeRequest:
    event_id: int
    direction: str


_DIRECTION_WORDS = {"签到": DIRECTION_IN, "签退": DIRECTION_OUT}


def _code_request(text: str) -> CodeRequest:
    words = text.split()
    if not 1 <= len(words) <= 2 or not (words[0].isascii() and words[0].isdigit()):
        raise UsageError()
    event_id = int(words[0])
    if not 1 <= event_id <= MAX_ID:
        raise UsageError("活动编号应为正整数。")
    direction = words[1] if len(words) == 2 else "签到"
    if direction not in _DIRECTION_WORDS:
        raise UsageError("第二项只能是「签到」或「签退」。")
    return CodeRequest(event_id, _DIRECTION_WORDS[direction])


@registry.command("签到码", alias="/code", usage="签到码 <活动编号> [签到|签退]", role=ROLE_ADMIN, parse=_code_request)
def checkin_code(context: CommandContext, request: CodeRequest) -> Reply:
    """发送活动的打印版签到码图片"""
    try:
        event = events.get_event(context.session, request.event_id)
    except events.EventNotFound:
        return outbox.text(f"没有编号为 {request.event_id} 的活动。发送「活动」可查看近期活动及其编号。")
    if event.is_cancelled:
        return outbox.text(f"活动「{event.title}」已取消，不再提供签到码。")
    action = "签退" if request.direction == DIRECTION_OUT else "签到"
    if request.direction == DIRECTION_OUT and not event.checkout_required:
        return outbox.text(f"活动「{event.title}」不需要签退，没有签退码。")
    try:
        checkin_codes.ensure_printable(event, request.direction)
    except checkin_codes.PrintedCodeNotAccepted:
        return outbox.text(f"活动「{event.title}」只接受现场大屏上的动态码，没有可打印的{action}码。"
                           "请在管理后台或用 events screen-url 打开现场大屏。")
    opens, closes = event.window(request.direction)
    caption = [
        f"活动「{event.title}」的{action}码（编号 {event.id}）",
        f"时间：{_when(event)}",
        f"地点：{event.location or '另行通知'}",
        f"{action}时间：{format_local(opens, '%m月%d日 %H:%M')} 至 {format_local(closes, '%m月%d日 %H:%M')}",
        "可打印张贴，参加者用微信扫码" + action + "。",
    ]
    if event.is_draft:
        caption.append("注意：活动尚未发布，发布后此码才能使用。")
    image = rendered_image("checkin-code", event_id=event.id, direction=request.direction)
    return [outbox.text("\n".join(caption)), image]
