"""What the campaign commands read: thin functions over the events, sign-in and wish services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Checkin, Event, EventRegistration, Staff, Wish, WishClaim
from app.models.events import DIRECTION_IN, EVENT_PUBLISHED
from app.models.wish import CLAIM_COMPLETED, OPEN
from app.services.checkins import my_checkins_statement, volunteer_hours
from app.services.events import list_events_statement
from app.services.wishes import my_claims_query, wishes_query
from app.timeutil import local_days


@dataclass(frozen=True)
class UpcomingEvent:
    event: Event
    registration: str  # e.g. "报名中（12/30）", "您已报名", "名额已满", "无需报名"


def registration_state(event: Event, registered: bool, checked_in: bool, now: datetime) -> str:
    """What is true of registration for this person: 报名中 / 名额已满 / 您已报名 / 无需报名 / 报名已结束
    (registration closes when the event starts; whether it is under way is said with its time)."""
    if checked_in:
        return "您已签到"
    if registered:
        return "您已报名"
    if not event.registration_required:
        return "无需报名，直接到场签到"
    if now >= event.starts_at:
        return "报名已结束"
    if event.capacity is None:
        return f"报名中（已报 {event.registered_count} 人），请在小程序中报名"
    if event.registered_count >= event.capacity:
        return f"名额已满（{event.registered_count}/{event.capacity}）"
    return f"报名中（{event.registered_count}/{event.capacity}），请在小程序中报名"


def upcoming_events(session: Session, staff: Staff, now: datetime, limit: int) -> list[UpcomingEvent]:
    """Published events that have not ended, soonest first, with ``staff``'s registration state."""
    events = session.scalars(
        list_events_statement()
        .where(Event.status == EVENT_PUBLISHED, Event.ends_at > now)
        .order_by(None)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    ids = [event.id for event in events]
    registered = set(session.scalars(
        select(EventRegistration.event_id).where(EventRegistration.staff_id == staff.id, EventRegistration.event_id.in_(ids))
    ))
    checked_in = set(session.scalars(
        select(Checkin.event_id).where(
            Checkin.staff_id == staff.id, Checkin.direction == DIRECTION_IN, Checkin.event_id.in_(ids)
        )
    ))
    return [
        UpcomingEvent(event, registration_state(event, event.id in registered, event.id in checked_in, now))
        for event in events
    ]


def open_wishes(session: Session, limit: int) -> tuple[list[Wish], int]:
    """Wishes open for claiming, the nearest deadline first, and how many are open in all."""
    statement = wishes_query(status=OPEN)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    wishes = session.scalars(statement.order_by(None).order_by(Wish.claim_deadline, Wish.id).limit(limit)).unique().all()
    return list(wishes), int(total or 0)


@dataclass(frozen=True)
class MyRecord:
    year: int
    sign_ins: int  # this year's sign-ins (events starting this year)
    recent: list[Checkin]  # the latest sign-ins, any year
    hours: float  # this year's volunteer hours
    hours_all_time: float
    active_claims: list[WishClaim]  # claimed or proof submitted
    fulfilled_claims: int  # confirmed by an admin, all time


def my_record(session: Session, staff: Staff, year: int, recent: int = 3) -> MyRecord:
    """``staff``'s sign-ins, volunteer hours (``checkins.volunteer_hours``) and wish claims."""
    sign_ins = session.scalars(
        my_checkins_statement(staff.id).where(Checkin.direction == DIRECTION_IN).limit(recent)
    ).all()
    this_year = volunteer_hours(session, staff.id, year)
    all_time = volunteer_hours(session, staff.id)
    year_start, year_end = local_days(date(year, 1, 1), date(year, 12, 31))
    count_this_year = session.scalar(
        select(func.count(Checkin.id))
        .join(Event, Event.id == Checkin.event_id)
        .where(Checkin.staff_id == staff.id, Checkin.direction == DIRECTION_IN,
               Event.starts_at >= year_start, Event.starts_at < year_end)
    )
    claims = session.scalars(my_claims_query(staff.id)).unique().all()
    return MyRecord(
        year=year,
        sign_ins=int(count_this_year or 0),
        recent=list(sign_ins),
        hours=this_year.hours,
        hours_all_time=all_time.hours,
        active_claims=[claim for claim in claims if claim.end_reason is None],
        fulfilled_claims=sum(1 for claim in claims if claim.end_reason == CLAIM_COMPLETED),
    )
