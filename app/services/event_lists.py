"""Lists of events: what staff see (upcoming first, then past) and what operators see (drafts too),
and the one line an operator reads about an event."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, case, select

from app.models import Event
from app.models.base import utcnow
from app.models.events import EVENT_CANCELLED, EVENT_DRAFT, EVENT_PUBLISHED, FIRST_DAY, LAST_DAY
from app.timeutil import format_span, local_days


def _starting_in(statement: Select, date_from: date | None, date_to: date | None) -> Select:
    """Events starting on local days ``date_from``..``date_to`` (inclusive; either may be open)."""
    start, end = local_days(date_from or FIRST_DAY, date_to or LAST_DAY)
    if date_from:
        statement = statement.where(Event.starts_at >= start)
    if date_to:
        statement = statement.where(Event.starts_at < end)
    return statement


def list_events_statement(
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    include_cancelled: bool = False,
    now: datetime | None = None,
) -> Select:
    """Events staff may see (never drafts): those not yet ended first, soonest first, then past ones,
    latest first; cancelled ones only when asked for. Dates are local calendar days, inclusive."""
    now = now or utcnow()
    upcoming = Event.ends_at >= now
    statement = select(Event).where(Event.status != EVENT_DRAFT)
    if not include_cancelled:
        statement = statement.where(Event.status != EVENT_CANCELLED)
    statement = statement.order_by(
        case((upcoming, 0), else_=1),
        case((upcoming, Event.starts_at)),
        Event.starts_at.desc(),
        Event.id.desc(),
    )
    if kind:
        statement = statement.where(Event.kind == kind)
    return _starting_in(statement, date_from, date_to)


def operator_events_statement(kind: str | None = None, status: str | None = None, month: date | None = None) -> Select:
    """Every event, drafts included (operators), by start time; ``month``: any day of the local month."""
    statement = select(Event).order_by(Event.starts_at, Event.id)
    if kind:
        statement = statement.where(Event.kind == kind)
    if status:
        statement = statement.where(Event.status == status)
    if month:
        first = month.replace(day=1)
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        statement = _starting_in(statement, first, last)
    return statement


def summary(event: Event) -> str:
    """One line an operator reads: number, kind, title, time, place, state and the options in force."""
    state = {EVENT_DRAFT: "草稿", EVENT_PUBLISHED: "已发布", EVENT_CANCELLED: "已取消"}[event.status]
    options = []
    if event.registration_required:
        places = f"{event.registered_count}/{event.capacity}" if event.capacity else str(event.registered_count)
        options.append(f"报名 {places}" + ("，可现场签到" if event.walk_ins_allowed else ""))
    if event.checkout_required:
        options.append("需签退")
    if event.live_code_only:
        options.append("仅大屏动态码")
    window = format_span(event.checkin_opens_at, event.checkin_closes_at)
    parts = [
        f"#{event.id}",
        f"[{event.kind}]",
        event.title,
        format_span(event.starts_at, event.ends_at),
        event.location or "地点待定",
        state,
        f"签到 {window}",
        *options,
    ]
    return " ".join(parts)
