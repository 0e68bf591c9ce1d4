"""The weekly digest to the groups (Monday morning): last week's activities and participation by
department, wishes published and fulfilled last week, and this week's events.

The digest of ISO week ``2027-W05`` is claimed under ``digest:2027-W05`` in ``scheduled_notice``
and queued to every group robot with the same key prefix, so a double firing or a late run after
downtime sends it once. It is a WeCom markdown message, kept concise: the lists are capped, and the
outbox splits anything that still passes 4096 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from app import calendar_cn
from app.models import Checkin, Event, WishTransition
from app.models.events import DIRECTION_IN, EVENT_PUBLISHED
from app.services import notices, outbox, stats
from app.services.stats import DepartmentParticipation
from app.timeutil import local_days, local_today, to_local

MAX_LISTED = 8  # events per section; the rest are counted


@dataclass(frozen=True)
class PastEvent:
    title: str
    starts_at: datetime
    signins: int


@dataclass
class WeeklyDigest:
    week_start: date  # the Monday of the week the digest is sent in
    past_events: list[PastEvent]
    participation: list[DepartmentParticipation]
    wishes_published: int
    wishes_fulfilled: int
    upcoming: list[Event]

    @property
    def key(self) -> str:
        return digest_key(self.week_start)


def digest_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"digest:{year}-W{week:02d}"


def _bounds(monday: date) -> tuple[datetime, datetime]:
    return local_days(monday, monday + timedelta(days=6))


def build_digest(session: Session, today: date) -> WeeklyDigest:
    monday = today - timedelta(days=today.weekday())
    last_from, last_to = _bounds(monday - timedelta(days=7))
    this_from, this_to = _bounds(monday)
    held = and_(Event.status == EVENT_PUBLISHED, Event.starts_at >= last_from, Event.starts_at < last_to)

    signins = func.count(Checkin.id)
    past = session.execute(
        select(Event.title, Event.starts_at, signins)
        .outerjoin(Checkin, and_(Checkin.event_id == Event.id, Checkin.direction == DIRECTION_IN))
        .where(held)
        .group_by(Event.id, Event.title, Event.starts_at)
        .order_by(Event.starts_at, Event.id)
    ).all()

    participation = sorted(
        (row for row in stats.participation_by_department(session, last_from, last_to) if row.sign_ins or row.hours),
        key=lambda row: (-row.sign_ins, -row.hours, row.department),
    )

    def transitions(action: str) -> int:
        return session.scalar(
            select(func.count(distinct(WishTransition.wish_id))).where(
                WishTransition.action == action, WishTransition.at >= last_from, WishTransition.at < last_to
            )
        ) or 0

    upcoming = session.scalars(
        select(Event)
        .where(Event.status == EVENT_PUBLISHED, Event.starts_at >= this_from, Event.starts_at < this_to)
        .order_by(Event.starts_at, Event.id)
    ).all()
    return WeeklyDigest(
        week_start=monday,
        past_events=[PastEvent(title, starts_at, int(count)) for title, starts_at, count in past],
        participation=participation,
        wishes_published=transitions("publish"),
        wishes_fulfilled=transitions("confirm"),
        upcoming=list(upcoming),
    )


def _day(moment: datetime) -> str:
    local = to_local(moment)
    return f"{local.month}月{local.day}日（{calendar_cn.weekday_name(local.date())[-1]}）"


def _hours(value: float) -> str:
    return f"{value:g}"


def render_digest(digest: WeeklyDigest) -> str:
    last_monday = digest.week_start - timedelta(days=7)
    last_sunday = digest.week_start - timedelta(days=1)
    lines = [
        f"## 文明创建周报（{last_monday.month}月{last_monday.day}日—{last_sunday.month}月{last_sunday.day}日）",
        "",
        f"**上周活动**：{len(digest.past_events)} 项",
    ]
    for event in digest.past_events[:MAX_LISTED]:
        lines.append(f"> {_day(event.starts_at)} {event.title}，签到 {event.signins} 人次")
    if len(digest.past_events) > MAX_LISTED:
        lines.append(f"> 等 {len(digest.past_events)} 项")
    if digest.participation:
        total_signins = sum(row.sign_ins for row in digest.participation)
        total_hours = sum(row.hours for row in digest.participation)
        lines += ["", f"**各部门参与**（合计签到 {total_signins} 人次，志愿服务 {_hours(total_hours)} 小时）"]
        for row in digest.participation:
            hours = f"，志愿 {_hours(row.hours)} 小时" if row.hours else ""
            lines.append(f"> {row.department}：签到 {row.sign_ins} 人次，{row.participants} 人{hours}")
    elif digest.past_events:
        lines += ["", "**各部门参与**：上周活动暂无签到记录"]
    lines += [
        "",
        f"**微心愿**：上周新发布 <font color=\"info\">{digest.wishes_published}</font> 个，"
        f"完成 <font color=\"info\">{digest.wishes_fulfilled}</font> 个",
        "",
        f"**本周活动**：{len(digest.upcoming) or '暂无安排'}" + (" 项" if digest.upcoming else ""),
    ]
    for event in digest.upcoming[:MAX_LISTED]:
        place = f"，{event.location}" if event.location else ""
        lines.append(f"> {_day(event.starts_at)} {to_local(event.starts_at):%H:%M} {event.title}{place}")
    if len(digest.upcoming) > MAX_LISTED:
        lines.append(f"> 等 {len(digest.upcoming)} 项，详见小程序“活动”")
    return "\n".join(lines)


def send_weekly_digest(session: Session, now: datetime) -> str | None:
    """Queue this week's digest to the groups unless it was already queued; returns its key if queued."""
    today = local_today(now)
    # Claim first: a repeated firing then costs one INSERT, not the digest's queries.
    if not notices.claim(session, digest_key(today)):
        session.rollback()
        return None
    digest = build_digest(session, today)
    text = "\n".join([render_digest(digest), *ledger_lines(session, today), *rectification_lines(session, today)])
    outbox.enqueue_to_groups(session, digest.key, outbox.markdown(text))
    session.commit()
    return digest.key


def ledger_lines(session: Session, today: date) -> list[str]:
    """The 创建台账 section (items behind this half-year), after a blank line; none without a plan."""
    from app.services.ledger import reminders

    lines = reminders.digest_lines(session, today)
    return ["", *lines] if lines else []


def rectification_lines(session: Session, today: date) -> list[str]:
    """The overdue rectifications (检查考评), after a blank line; none when nothing is overdue."""
    from app.services.inspections import rectifications

    lines = rectifications.digest_lines(session, today)
    return ["", *lines] if lines else []
