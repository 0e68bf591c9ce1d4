"""The half-yearly reminder to admins when no 道德讲堂 has been held in the current half year.

The plan asks for a moral lecture every half year. A daily job asks this service; the service acts
only on the check dates (``CHECK_DATES``: 10 May and 10 June, 10 November and 10 December, after the
May Day and National Day holidays, leaving seven and three weeks to organise one). A check date
missed while the scheduler was down is still checked on a later day within ``CHECK_GRACE_DAYS``.

A lecture counts as held when a published (not cancelled) 道德讲堂 event of the half year has started.
Each check is claimed once in ``scheduled_notice`` as ``moral-lecture:2027-H1:06-10``; when a lecture
was held it is recorded as skipped, so nothing is sent and the decision is logged once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Event
from app.models.events import EVENT_PUBLISHED
from app.services import notices, outbox, staff
from app.timeutil import format_local, local_days, local_today

LECTURE_KIND = "道德讲堂"
CHECK_DATES = ((5, 10), (6, 10), (11, 10), (12, 10))
CHECK_GRACE_DAYS = 7


@dataclass(frozen=True)
class HalfYear:
    year: int
    half: int  # 1 or 2

    @classmethod
    def of(cls, day: date) -> HalfYear:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @property
    def label(self) -> str:
        return f"{self.year}年{'上' if self.half == 1 else '下'}半年"

    @property
    def first_day(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)


def check_date_for(today: date) -> date | None:
    """The check date being handled today: the latest one on or before today, within the grace."""
    candidates = [date(today.year, month, day) for month, day in CHECK_DATES]
    due = [day for day in candidates if day <= today and (today - day).days < CHECK_GRACE_DAYS]
    return due[-1] if due else None


def check_key(check_day: date) -> str:
    half = HalfYear.of(check_day)
    return f"moral-lecture:{half.year}-H{half.half}:{check_day:%m-%d}"


def remind_if_no_moral_lecture(session: Session, now: datetime) -> str | None:
    """Run today's check, if today handles one; returns the key when a reminder was queued."""
    today = local_today(now)
    check_day = check_date_for(today)
    if check_day is None:
        return None
    half = HalfYear.of(check_day)
    key = check_key(check_day)
    half_start, half_end = local_days(half.first_day, half.last_day)
    lectures = session.scalars(
        select(Event)
        .where(
            Event.kind == LECTURE_KIND,
            Event.status == EVENT_PUBLISHED,
            Event.starts_at >= half_start,
            Event.starts_at < half_end,
        )
        .order_by(Event.starts_at)
    ).all()
    held = [event for event in lectures if event.starts_at <= now]
    if held:
        notices.skip(session, key, f"{half.label}已举办道德讲堂“{held[0].title}”，无需提醒")
        session.commit()
        return None
    if not notices.claim(session, key):
        session.rollback()
        return None
    lines = [f"【道德讲堂提醒】{half.label}尚未举办道德讲堂。按创建计划，每半年至少举办一次，"
             f"请在 {half.last_day.month}月{half.last_day.day}日前安排。"]
    if lectures:
        planned = "；".join(f"“{event.title}”（{format_local(event.starts_at)}）" for event in lectures[:3])
        lines.append(f"已安排：{planned}，请确保按时举办。")
    else:
        lines.append("请在小程序“活动管理”中创建道德讲堂活动。")
    outbox.enqueue_to_staff(session, key, staff.active_admins(session), outbox.text("\n".join(lines)))
    session.commit()
    return key
