"""Working days: chinese-calendar's State Council arrangement, with operators' overrides on top.

chinese-calendar knows a year only once its holiday arrangement is published and the pinned library is
upgraded; until then ``calendar_cn.is_working_day`` falls back to Monday to Friday. An admin can enter
the arrangement (or a local day off) as overrides with ``flask --app app calendar``, and every job that
asks whether a day is a working day (the civility tip, festival draft events) follows them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import calendar_cn
from app.errors import AppError
from app.models import CalendarOverride
from app.services import audit

MAX_RANGE_DAYS = 60  # the longest arrangement entered at once; a holiday is at most 8 or 9 days
MAX_HOLIDAY_DAYS = 14  # how far back ``last_working_day`` looks (the longest holiday is 8 or 9 days)


class InvalidRange(AppError):
    status_code = 400
    code = "invalid_date_range"
    message = "日期范围无效"


def is_working_day(session: Session, day: date) -> bool:
    override = session.get(CalendarOverride, day)
    return override.working if override is not None else calendar_cn.is_working_day(day)


def last_working_day(session: Session, day: date) -> date:
    """``day`` if it is a working day, else the last one before it within two weeks (else ``day``)."""
    for back in range(MAX_HOLIDAY_DAYS + 1):
        candidate = day - timedelta(days=back)
        if is_working_day(session, candidate):
            return candidate
    return day


def _days(first: date, last: date) -> list[date]:
    if last < first:
        raise InvalidRange(f"结束日期 {last} 早于开始日期 {first}")
    count = (last - first).days + 1
    if count > MAX_RANGE_DAYS:
        raise InvalidRange(f"一次最多设置 {MAX_RANGE_DAYS} 天，这次是 {count} 天")
    return [first + timedelta(days=offset) for offset in range(count)]


def set_days(session: Session, first: date, last: date, working: bool, note: str, actor: audit.Actor) -> int:
    """Make every day from ``first`` to ``last`` a working day or a holiday (replacing earlier overrides
    of those days); returns how many days were set."""
    days = _days(first, last)
    note = note.strip()[:50]
    session.execute(delete(CalendarOverride).where(CalendarOverride.day.in_(days)))
    session.add_all(CalendarOverride(day=day, working=working, note=note) for day in days)
    audit.record(session, actor, "calendar.set", "calendar", first.isoformat(), last=last.isoformat(), working=working, note=note)
    session.commit()
    return len(days)


def clear_days(session: Session, first: date, last: date, actor: audit.Actor) -> int:
    """Drop the overrides from ``first`` to ``last``, back to chinese-calendar; returns how many there were."""
    days = _days(first, last)
    removed = session.execute(delete(CalendarOverride).where(CalendarOverride.day.in_(days))).rowcount
    audit.record(session, actor, "calendar.clear", "calendar", first.isoformat(), last=last.isoformat(), removed=removed)
    session.commit()
    return removed


@dataclass(frozen=True)
class DayView:
    day: date
    working: bool
    note: str
    library_working: bool  # what chinese-calendar (or its Monday-to-Friday fallback) says


def overrides_in(session: Session, year: int) -> list[DayView]:
    """The year's overrides, each next to what chinese-calendar (or its fallback) says of that day."""
    rows = session.scalars(
        select(CalendarOverride)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)
    )
    return [DayView(row.day, row.working, row.note, calendar_cn.is_working_day(row.day)) for row in rows]
