"""An admin's corrections: manual records (补录) with the real times, undo, and hours. Each is audited
with its reason; the CLI records them as the operator, the API as the admin who asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Checkin, Event, Staff
from app.models.base import utcnow
from app.models.events import DIRECTION_IN, DIRECTION_OUT, METHOD_MANUAL
from app.services import audit, checkin_codes
from app.services.checkins.records import (
    HALF_HOUR,
    CheckinNotFound,
    CheckinResult,
    CheckoutExists,
    InvalidHours,
    InvalidManualTime,
    NotACheckout,
    NotCheckedIn,
    checkout_minutes,
    existing,
    winner,
)
from app.services.events import EventCancelled, as_aware, get_event
from app.timeutil import format_local, local_days, to_local


def _actor(admin: Staff | None) -> audit.Actor:
    return audit.Actor.staff(admin.id) if admin is not None else audit.Actor.cli()


def _ensure_on_event_days(event: Event, at: datetime, label: str) -> None:
    """Manual times fall on the event's local day(s)."""
    first, last = local_days(to_local(event.starts_at).date(), to_local(event.ends_at).date())
    if not first <= at < last:
        span = format_local(event.starts_at, "%Y-%m-%d")
        raise InvalidManualTime(f"{label}应在活动当天（{span}），请填写实际时间")


def manual_check_in(
    session: Session,
    event_id: int,
    staff: Staff,
    direction: str,
    reason: str,
    admin: Staff | None,
    at: datetime | None = None,
    out_at: datetime | None = None,
    now: datetime | None = None,
) -> CheckinResult:
    """An admin records someone who could not scan, or copies a paper sheet: the real time ``at`` on
    the event's day (now when not given: someone standing there), and for a sign-in optionally the
    sign-out ``out_at`` with it; hours follow from the two times. Windows, registration and geofence do
    not apply: the admin vouches for the person. ``admin`` None: the operator at the command line."""
    now = now or utcnow()
    at, out_at = (as_aware(moment) if moment is not None else None for moment in (at, out_at))
    event = get_event(session, event_id)
    if event.is_cancelled:
        raise EventCancelled()
    checkin_codes.ensure_direction(event, direction)
    if out_at is not None:
        checkin_codes.ensure_direction(event, DIRECTION_OUT)
        if direction != DIRECTION_IN:
            raise InvalidManualTime("只有补签到时才能同时填写签退时间")
    for moment, label in ((at, "签退时间" if direction == DIRECTION_OUT else "签到时间"), (out_at, "签退时间")):
        if moment is not None:
            _ensure_on_event_days(event, moment, label)
    at = at or now
    if out_at is not None and out_at < at:
        raise InvalidManualTime("签退时间不能早于签到时间")
    prior = existing(session, event.id, staff.id, direction)
    if prior is not None:
        return CheckinResult(prior, event, created=False)
    record = _add(session, event, staff, direction, at, reason, admin)
    if record is None:
        return CheckinResult(winner(session, event.id, staff.id, direction, None), event, created=False)
    checkout = None
    if out_at is not None:
        checkout = _add(session, event, staff, DIRECTION_OUT, out_at, reason, admin)
        if checkout is None:
            return CheckinResult(winner(session, event.id, staff.id, direction, None), event, created=False)
    session.commit()
    return CheckinResult(record, event, created=True, checkout=checkout)


def _add(
    session: Session, event: Event, staff: Staff, direction: str, at: datetime, reason: str, admin: Staff | None
) -> Checkin | None:
    """Add one manual record and its audit entry; None when a concurrent record got there first."""
    record = Checkin(
        event_id=event.id,
        staff_id=staff.id,
        direction=direction,
        at=at,
        method=METHOD_MANUAL,
        recorded_by_id=admin.id if admin is not None else None,
        note=reason,
    )
    if direction == DIRECTION_OUT:
        missing = NotCheckedIn("此人还没有签到，请先为其补签到")
        record.credited_minutes = checkout_minutes(session, event, staff.id, at, missing)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    audit.record(
        session,
        _actor(admin),
        "checkin.manual",
        "checkin",
        record.id,
        event_id=event.id,
        staff_id=staff.id,
        direction=direction,
        reason=reason,
    )
    return record


def get_checkin(session: Session, checkin_id: int) -> Checkin:
    record = session.get(Checkin, checkin_id)
    if record is None:
        raise CheckinNotFound()
    return record


def find_checkin(session: Session, event_id: int, staff: Staff, direction: str) -> Checkin:
    """A person's record for an event (for the command line, which names people by 工号)."""
    record = existing(session, event_id, staff.id, direction)
    if record is None:
        raise CheckinNotFound("此人在该活动没有" + ("签退" if direction == DIRECTION_OUT else "签到") + "记录")
    return record


def undo_checkin(session: Session, checkin_id: int, reason: str, admin: Staff | None) -> None:
    """Delete a wrong record; the audit log keeps what it was. A sign-in with a sign-out needs the
    sign-out undone first, so hours are never left without the sign-in they came from."""
    record = get_checkin(session, checkin_id)
    if record.direction == DIRECTION_IN and existing(session, record.event_id, record.staff_id, DIRECTION_OUT):
        raise CheckoutExists()
    audit.record(
        session,
        _actor(admin),
        "checkin.undo",
        "checkin",
        record.id,
        event_id=record.event_id,
        staff_id=record.staff_id,
        direction=record.direction,
        at=record.at.isoformat(),
        method=record.method,
        credited_minutes=record.credited_minutes,
        reason=reason,
    )
    session.delete(record)
    session.commit()


def adjust_hours(session: Session, checkin_id: int, hours: float, reason: str, admin: Staff | None) -> Checkin:
    """Set the hours credited for one sign-out, beyond the planned length if need be. An admin enters a
    figure in whole half-hours; anything else (0.75) is refused rather than rounded one way or the other."""
    record = get_checkin(session, checkin_id)
    if record.direction != DIRECTION_OUT:
        raise NotACheckout()
    if not (0 <= hours <= 24 and float(hours * 2).is_integer()):
        raise InvalidHours()
    minutes = int(hours * 2) * HALF_HOUR
    audit.record(
        session,
        _actor(admin),
        "checkin.adjust_hours",
        "checkin",
        record.id,
        before=record.credited_minutes,
        after=minutes,
        reason=reason,
    )
    record.credited_minutes = minutes
    session.commit()
    return record
