"""Local time for a campaign that runs on China Standard Time. Storage is always UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


def local_zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_datetime(day: date, at: time) -> datetime:
    """A wall-clock time on a local day, as an aware datetime (convert with ``.astimezone(UTC)``)."""
    return datetime.combine(day, at, tzinfo=local_zone())


def local_days(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The instants of local days ``first_day``..``last_day`` inclusive, as ``[start, end)`` in UTC."""
    start = local_datetime(first_day, time.min).astimezone(UTC)
    end = local_datetime(last_day + timedelta(days=1), time.min).astimezone(UTC)
    return start, end


def local_today(now: datetime | None = None) -> date:
    return to_local(now or datetime.now(UTC)).date()


def format_local(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(moment).strftime(pattern)


def format_span(start: datetime, end: datetime, dash: str = "–") -> str:
    """``2026-03-05 14:30–16:00`` in local time; the end's date is written only when it differs."""
    same_day = to_local(start).date() == to_local(end).date()
    return f"{format_local(start)}{dash}{format_local(end, '%H:%M' if same_day else '%Y-%m-%d %H:%M')}"
