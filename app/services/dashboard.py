"""The console's 首页: one read of everything the campaign's people watch, in a bounded number of queries.

A liaison's figures are narrowed to their own department(s); admins and leaders see every department."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import calendar_cn
from app.models import Checkin, CivilityTip, Department, Event, FestivalSetting, OutboxMessage, Staff
from app.models.events import DIRECTION_OUT, EVENT_PUBLISHED
from app.models.messaging import STATUS_DEAD, STATUS_PENDING
from app.models.wish import STATUS_LABELS
from app.services import stats, tips, wishes
from app.services.roles import Viewer, require
from app.timeutil import local_datetime, local_today

UPCOMING_LIMIT = 8
TOP_LIMIT = 10


@dataclass(frozen=True)
class FestivalNotice:
    name: str
    day: date
    notice_days: list[date]


@dataclass
class Dashboard:
    today: date
    upcoming: list[Event]
    month: list[stats.DepartmentParticipation]
    year: list[stats.DepartmentParticipation]
    top_people: list[tuple[str, str, float]]  # name, department, hours
    top_departments: list[tuple[str, float]]
    wishes_by_status: list[tuple[str, int]]
    outbox_pending: int
    outbox_dead: int
    outbox_oldest_pending: datetime | None
    festivals: list[FestivalNotice] = field(default_factory=list)
    tip: CivilityTip | None = None


def cached(key: tuple, compute):
    """A figure computed at most once per ``CONSOLE_DASHBOARD_CACHE_SECONDS`` in this process (0: never
    cached): the department statistics scan every sign-in of the year, and a few seconds' staleness is
    invisible on a dashboard. Kept per app, so each app (and each test) has its own."""
    seconds = current_app.config.get("CONSOLE_DASHBOARD_CACHE_SECONDS", 0)
    if not seconds:
        return compute()
    cache = current_app.extensions.setdefault("console_dashboard_cache", {})
    now = monotonic()
    hit = cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = compute()
    if len(cache) > 256:
        cache.clear()
    cache[key] = (now + seconds, value)
    return value


def _period(first: date, after_last: date) -> tuple[datetime, datetime]:
    return local_datetime(first, time.min), local_datetime(after_last, time.min)


def _scoped(rows: list[stats.DepartmentParticipation], names: set[str] | None) -> list[stats.DepartmentParticipation]:
    return rows if names is None else [row for row in rows if row.department in names]


def _top_people(session: Session, start: datetime, end: datetime, scope: frozenset[int] | None) -> list[tuple[str, str, float]]:
    minutes = func.sum(Checkin.credited_minutes)
    statement = (
        select(Staff.name, Department.name, minutes)
        .join(Staff, Staff.id == Checkin.staff_id)
        .join(Department, Department.id == Staff.department_id)
        .join(Event, Event.id == Checkin.event_id)
        .where(Checkin.direction == DIRECTION_OUT, Event.starts_at >= start, Event.starts_at < end)
        .group_by(Staff.id, Staff.name, Department.name)
        .having(minutes > 0)
        .order_by(minutes.desc(), Staff.name)
        .limit(TOP_LIMIT)
    )
    if scope is not None:
        statement = statement.where(Staff.department_id.in_(scope))
    return [(name, department, int(total) / 60) for name, department, total in session.execute(statement)]


def _festivals(session: Session, today: date, count: int = 3) -> list[FestivalNotice]:
    settings = {s.name: s for s in session.scalars(select(FestivalSetting).where(FestivalSetting.enabled.is_(True)))}
    upcoming = [
        occurrence
        for year in (today.year, today.year + 1)
        for occurrence in calendar_cn.festivals_in(year)
        if occurrence.day >= today and occurrence.name in settings
    ]
    notices = []
    for occurrence in sorted(upcoming)[:count]:
        leads = settings[occurrence.name].lead_days or []
        days = sorted(occurrence.day - timedelta(days=lead) for lead in leads)
        notices.append(FestivalNotice(occurrence.name, occurrence.day, [d for d in days if d >= today]))
    return notices


def build_dashboard(session: Session, viewer: Viewer, now: datetime) -> Dashboard:
    require(viewer, "dashboard.view")
    today = local_today(now)
    tip = tips.todays_tip(session, today)
    session.commit()  # the day's tip, if this is the first to ask (as the bot's 提示 does); before the reads below
    scope = viewer.department_scope()
    names = None
    if scope is not None:
        names = set(session.scalars(select(Department.name).where(Department.id.in_(scope))))
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    year_start, next_year = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    month_span, year_span = _period(month_start, next_month), _period(year_start, next_year)
    month = _scoped(cached(("participation", *month_span), lambda: stats.participation_by_department(session, *month_span)), names)
    year = _scoped(cached(("participation", *year_span), lambda: stats.participation_by_department(session, *year_span)), names)
    upcoming = list(
        session.scalars(
            select(Event)
            .where(Event.status == EVENT_PUBLISHED, Event.ends_at >= now)
            .order_by(Event.starts_at, Event.id)
            .limit(UPCOMING_LIMIT)
        )
    )
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.status.in_((STATUS_PENDING, STATUS_DEAD))).group_by(OutboxMessage.status)
        ).all()
    )
    oldest = session.scalar(select(func.min(OutboxMessage.due_at)).where(OutboxMessage.status == STATUS_PENDING))
    by_status = wishes.count_wishes_by_status(session)
    festivals = _festivals(session, today)
    return Dashboard(
        today=today,
        upcoming=upcoming,
        month=month,
        year=year,
        top_people=cached(("top-people", *year_span, scope), lambda: _top_people(session, *year_span, scope)),
        top_departments=sorted(((row.department, row.hours) for row in year if row.hours), key=lambda r: -r[1])[:TOP_LIMIT],
        wishes_by_status=[(STATUS_LABELS[status], count) for status, count in by_status.items()],
        outbox_pending=int(counts.get(STATUS_PENDING, 0)),
        outbox_dead=int(counts.get(STATUS_DEAD, 0)),
        outbox_oldest_pending=oldest,
        festivals=festivals,
        tip=tip,
    )
