"""Signing in and out by QR code, manual sign-in by an admin, undo, hours, attendance.

Exactly one record per person, event and direction is the database's job: a unique constraint on
(event, staff, direction) and another on (staff, nonce). Two scans racing each other both try to
insert; one wins, the other reads the winner's record and answers "already signed in".
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Insert, Select, bindparam, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.errors import AppError, Conflict, Forbidden, NotFound
from app.models import Checkin, Department, Event, EventRegistration, Staff
from app.models.base import UTCDateTime, utcnow
from app.models.events import DIRECTION_IN, DIRECTION_OUT, EVENT_CANCELLED, EVENT_PUBLISHED, METHOD_MANUAL
from app.services import audit, auth, checkin_codes, sql
from app.services.events import EventCancelled, get_event, get_visible_event, is_registered
from app.timeutil import format_local, local_datetime

EARTH_RADIUS_M = 6_371_008.8
HALF_HOUR = 30


class CheckinNotOpen(Forbidden):
    code = "checkin_not_open"
    message = "签到尚未开始"


class CheckinClosed(Forbidden):
    code = "checkin_closed"
    message = "签到已截止"


class RegistrationRequired(Forbidden):
    code = "registration_required"
    message = "该活动需要先报名才能签到"


class LocationRequired(AppError):
    status_code = 400
    code = "location_required"
    message = "该活动需要定位签到，请允许小程序获取位置后重试"


class OutsideGeofence(Forbidden):
    code = "outside_geofence"
    message = "您不在活动地点附近，无法签到"


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    message = "您还没有签到，不能签退"


class NonceReused(Conflict):
    code = "nonce_reused"
    message = "请求编号已被使用，请重新扫码"


class CheckinNotFound(NotFound):
    code = "checkin_not_found"
    message = "签到记录不存在"


class CheckoutExists(Conflict):
    code = "checkout_exists"
    message = "此人已签退，请先撤销签退记录"


class InvalidHours(AppError):
    status_code = 422
    code = "invalid_hours"
    message = "志愿时长应为 0 到 24 小时之间 0.5 的整数倍（如 1、1.5、2）"


class NotACheckout(AppError):
    status_code = 400
    code = "not_a_checkout"
    message = "只能调整签退记录的志愿时长"


class StaffNotOnRoster(NotFound):
    code = "staff_not_found"
    message = "花名册中没有这个人"


@dataclass
class CheckinResult:
    record: Checkin
    event: Event
    created: bool

    @property
    def status(self) -> str:
        if self.record.direction == DIRECTION_OUT:
            return "checked_out" if self.created else "already_checked_out"
        return "checked_in" if self.created else "already_checked_in"


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def present_minutes(checked_in_at: datetime, checked_out_at: datetime) -> int:
    """Whole minutes between signing in and signing out (never negative)."""
    return max(0, int((checked_out_at - checked_in_at) / timedelta(minutes=1)))


def credited_minutes(event: Event, checked_in_at: datetime, checked_out_at: datetime) -> int:
    """Whole half-hours present, capped at the event's planned length (itself in whole half-hours)."""
    present = present_minutes(checked_in_at, checked_out_at)
    planned = event.planned_minutes // HALF_HOUR * HALF_HOUR
    return min(present // HALF_HOUR * HALF_HOUR, planned)


def _existing(session: Session, event_id: int, staff_id: int, direction: str) -> Checkin | None:
    return session.scalar(
        select(Checkin).where(Checkin.event_id == event_id, Checkin.staff_id == staff_id, Checkin.direction == direction)
    )


def _check_window(event: Event, direction: str, now: datetime) -> None:
    opens, closes = event.window(direction)
    action = "签退" if direction == DIRECTION_OUT else "签到"
    if now < opens:
        raise CheckinNotOpen(f"{action}尚未开始，{format_local(opens, '%m月%d日 %H:%M')} 起可{action}")
    if now > closes:
        raise CheckinClosed(f"{action}已于 {format_local(closes, '%m月%d日 %H:%M')} 截止")


def _check_geofence(event: Event, lat: float | None, lng: float | None) -> float | None:
    """Coordinates come from the phone and can be faked: this keeps honest people honest, no more."""
    if lat is None or lng is None:
        if event.has_geofence:
            raise LocationRequired()
        return None
    distance = haversine_m(lat, lng, event.latitude, event.longitude) if event.has_geofence else None
    if distance is not None and distance > event.radius_m:
        raise OutsideGeofence(f"您距离活动地点约 {distance:,.0f} 米，需在 {event.radius_m} 米内签到")
    return distance


def _insert(session: Session, record: Checkin) -> Checkin | None:
    """Insert, or return None when a concurrent scan (or a retry) got there first.

    One INSERT … RETURNING rather than a unit-of-work flush: this is the hot path of a crowded venue."""
    table = Checkin.__table__
    values = {column.key: getattr(record, column.key) for column in table.columns if column.key != "id"}
    try:
        # Values as parameters, not baked into the statement: the compiled INSERT is cached once.
        record.id = session.execute(insert(table).returning(table.c.id), values).scalar_one()
    except IntegrityError:
        session.rollback()
        return None
    # What was just written is current, and the answer is serialised from it: no reload of the
    # record and the event on the busiest endpoint.
    sql.commit_keeping_state(session)
    return record


def _winner(session: Session, event_id: int, staff_id: int, direction: str, nonce: str | None) -> Checkin:
    existing = _existing(session, event_id, staff_id, direction)
    if existing is not None:
        return existing
    if nonce is not None:
        raise NonceReused()
    raise Conflict()  # the unique constraints admit no other loser; kept as a guard


def check_in(
    session: Session,
    staff: Staff,
    qr: str,
    nonce: str,
    lat: float | None = None,
    lng: float | None = None,
    now: datetime | None = None,
) -> CheckinResult:
    """Sign in (or out, when the code says so) by a scanned code."""
    code = checkin_codes.parse_code(qr, None if now is None else now.timestamp())
    now = now or utcnow()
    event = get_visible_event(session, code.event_id)
    try:
        record = _admissible_record(session, staff, event, code, nonce, lat, lng, now)
    except AppError:
        # A later scan by someone already recorded is not an error, whatever else has changed since.
        existing = _existing(session, event.id, staff.id, code.direction)
        if existing is not None:
            return CheckinResult(existing, event, created=False)
        raise
    inserted = _insert(session, record)
    if inserted is None:
        return CheckinResult(_winner(session, event.id, staff.id, code.direction, nonce), event, created=False)
    return CheckinResult(inserted, event, created=True)


def _check_event(event: Event, code: checkin_codes.ScannedCode, now: datetime) -> None:
    """The refusals that depend on the code and the event alone, in the order they are answered."""
    if code.expired:
        raise checkin_codes.CodeExpired()
    if event.status == EVENT_CANCELLED:
        raise EventCancelled("活动已取消，无需签到")
    checkin_codes.ensure_direction(event, code.direction)
    _check_window(event, code.direction, now)


def _scan_record(
    event: Event,
    staff_id: int | None,
    code: checkin_codes.ScannedCode,
    nonce: str,
    lat: float | None,
    lng: float | None,
    distance: float | None,
    now: datetime,
) -> Checkin:
    return Checkin(
        event_id=event.id,
        staff_id=staff_id,
        direction=code.direction,
        at=now,
        method=code.method,
        nonce=nonce,
        latitude=lat,
        longitude=lng,
        distance_m=distance,
    )


def _admissible_record(
    session: Session,
    staff: Staff,
    event: Event,
    code: checkin_codes.ScannedCode,
    nonce: str,
    lat: float | None,
    lng: float | None,
    now: datetime,
) -> Checkin:
    """The record a scan would create, or the refusal that applies."""
    _check_event(event, code, now)
    if event.registration_required and not is_registered(session, event.id, staff.id):
        raise RegistrationRequired()
    record = _scan_record(event, staff.id, code, nonce, lat, lng, _check_geofence(event, lat, lng), now)
    if code.direction == DIRECTION_OUT:
        checkin = _existing(session, event.id, staff.id, DIRECTION_IN)
        if checkin is None:
            raise NotCheckedIn()
        record.credited_minutes = credited_minutes(event, checkin.at, now)
    return record


# ---- signing in with one statement ------------------------------------------------------------------
#
# When two hundred people scan within minutes, almost every scan is a first, valid sign-in. For those,
# one INSERT … SELECT authenticates the token, checks that the event is still the version this process
# checked the scan against, checks registration where required, and writes the record: one round trip
# to the database instead of five. Anything else (a bad token, a refusal, a repeat, a changed event, a
# sign-out) writes nothing and goes the full way, which gives the precise answer.


class EventSnapshots:
    """Per-process copies of the events being scanned, each as read at its ``updated_at``.

    A copy decides nothing alone: the INSERT that uses it also requires, in the same statement, that
    the event still has that ``updated_at`` (every change to an event sets it), so a stale copy writes
    nothing and the scan goes the full way."""

    def __init__(self, size: int = 64) -> None:
        self._events: OrderedDict[int, Event] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, event_id: int) -> Event | None:
        with self._lock:
            event = self._events.get(event_id)
            if event is not None:
                self._events.move_to_end(event_id)
            return event

    def put(self, event: Event) -> None:
        with self._lock:
            self._events[event.id] = event
            self._events.move_to_end(event.id)
            while len(self._events) > self._size:
                self._events.popitem(last=False)

    def discard(self, event_id: int) -> None:
        with self._lock:
            self._events.pop(event_id, None)


def event_snapshots() -> EventSnapshots:
    """This app's snapshots (one per process and app)."""
    snapshots = current_app.extensions.get("checkin_event_snapshots")
    if snapshots is None:
        snapshots = current_app.extensions.setdefault("checkin_event_snapshots", EventSnapshots())
    return snapshots


_QUICK_COLUMNS = ("event_id", "staff_id", "direction", "at", "method", "nonce", "latitude", "longitude", "distance_m")


@functools.cache
def _quick_sign_in_statement(registration_required: bool) -> Insert:
    """INSERT a sign-in for the person behind a valid token, if the event is unchanged (and they are
    registered, where that is required); RETURNING the new id and the person, or no row."""
    table = Checkin.__table__
    event_id = bindparam("event_id", type_=table.c.event_id.type)
    person = auth.bound_staff_query(bindparam("token_hash"), bindparam("now", type_=UTCDateTime())).subquery("person")
    rows = select(
        event_id,
        person.c.staff_id,
        *(bindparam(name, type_=table.c[name].type) for name in _QUICK_COLUMNS[2:]),
    ).where(
        exists().where(
            Event.id == event_id,
            Event.updated_at == bindparam("event_version", type_=UTCDateTime()),
            Event.status == EVENT_PUBLISHED,  # also when a change bypassed updated_at (a hand-made UPDATE)
        )
    )
    if registration_required:
        rows = rows.where(
            exists().where(EventRegistration.event_id == event_id, EventRegistration.staff_id == person.c.staff_id)
        )
    return insert(table).from_select(list(_QUICK_COLUMNS), rows).returning(table.c.id, table.c.staff_id)


def _snapshot(session: Session, event_id: int) -> tuple[Event, bool]:
    """The event for a scan and whether it came from this process's copies."""
    snapshots = event_snapshots()
    event = snapshots.get(event_id)
    if event is not None:
        return event, True
    # Read on the request's connection by a session of its own, so the copy (shared by this process's
    # requests, never written) is never an object the request's session holds.
    with Session(bind=session.connection()) as reader:
        event = get_visible_event(reader, event_id)
        reader.expunge(event)
    snapshots.put(event)
    return event, False


def quick_check_in(
    session: Session, token: str, qr: str, nonce: str, lat: float | None = None, lng: float | None = None
) -> CheckinResult | None:
    """A first, valid sign-in in one statement; None when the scan needs the full way (``check_in``).

    Called before anything else has used the session (as the view does), it runs in autocommit, where
    the INSERT is its own transaction; when it gives up, the full way starts a transaction afresh."""
    try:
        code = checkin_codes.parse_code(qr)
    except AppError:
        return None
    if code.direction != DIRECTION_IN:
        return None
    autocommitted = sql.autocommit(session)
    result = _quick_sign_in(session, token, code, nonce, lat, lng)
    if result is None and autocommitted:
        session.rollback()
    return result


def _quick_sign_in(
    session: Session,
    token: str,
    code: checkin_codes.ScannedCode,
    nonce: str,
    lat: float | None,
    lng: float | None,
) -> CheckinResult | None:
    now = utcnow()
    try:
        event, cached = _snapshot(session, code.event_id)
    except AppError:
        return None
    try:
        _check_event(event, code, now)
        distance = _check_geofence(event, lat, lng)
    except AppError:
        if cached:
            event_snapshots().discard(event.id)  # the refusal may be the copy's: the full way reads afresh
        return None
    record = _scan_record(event, None, code, nonce, lat, lng, distance, now)  # the person: whoever the token is
    values = {name: getattr(record, name) for name in _QUICK_COLUMNS if name != "staff_id"}
    values.update(token_hash=auth.hash_token(token), now=now, event_version=event.updated_at)
    try:
        row = session.execute(_quick_sign_in_statement(event.registration_required), values).one_or_none()
    except IntegrityError:  # signed in already, or the nonce was used: the full way says which
        session.rollback()
        return None
    if row is None:
        # A token that is not a bound, active person's, someone unregistered, or a changed event.
        event_snapshots().discard(event.id)
        return None
    sql.commit_keeping_state(session)  # no round trip in autocommit
    record.id, record.staff_id = row.id, row.staff_id
    return CheckinResult(record, event, created=True)


def describe(session: Session, result: CheckinResult) -> dict:
    """The answer to a scan: the sign-in time, or for a sign-out the duration and hours credited."""
    record = result.record
    answer = {"status": result.status, "event": result.event}
    if record.direction == DIRECTION_IN:
        answer["checked_in_at"] = record.at
        return answer
    checkin = _existing(session, record.event_id, record.staff_id, DIRECTION_IN)
    answer["checked_in_at"] = checkin.at if checkin else None
    answer["checked_out_at"] = record.at
    if checkin is not None:
        answer["duration_minutes"] = present_minutes(checkin.at, record.at)
    answer["hours"] = record.credited_hours
    return answer


def find_staff(session: Session, employee_no: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.employee_no == employee_no.strip()))
    if staff is None:
        raise StaffNotOnRoster()
    return staff


def manual_check_in(
    session: Session,
    event_id: int,
    staff: Staff,
    direction: str,
    reason: str,
    admin: Staff,
    at: datetime | None = None,
) -> CheckinResult:
    """An admin records someone who could not scan (flat battery, no WeChat); the reason is audited.
    Windows, registration and geofence do not apply: the admin vouches for the person."""
    event = get_event(session, event_id)
    if event.status == EVENT_CANCELLED:
        raise EventCancelled()
    checkin_codes.ensure_direction(event, direction)
    existing = _existing(session, event.id, staff.id, direction)
    if existing is not None:
        return CheckinResult(existing, event, created=False)
    at = at or utcnow()
    record = Checkin(
        event_id=event.id,
        staff_id=staff.id,
        direction=direction,
        at=at,
        method=METHOD_MANUAL,
        recorded_by_id=admin.id,
        note=reason,
    )
    if direction == DIRECTION_OUT:
        checkin = _existing(session, event.id, staff.id, DIRECTION_IN)
        if checkin is None:
            raise NotCheckedIn("此人还没有签到，请先为其补签到")
        record.credited_minutes = credited_minutes(event, checkin.at, at)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return CheckinResult(_winner(session, event.id, staff.id, direction, None), event, created=False)
    audit.record(
        session,
        audit.Actor.staff(admin.id),
        "checkin.manual",
        "checkin",
        record.id,
        event_id=event.id,
        staff_id=staff.id,
        direction=direction,
        reason=reason,
    )
    session.commit()
    return CheckinResult(record, event, created=True)


def get_checkin(session: Session, checkin_id: int) -> Checkin:
    record = session.get(Checkin, checkin_id)
    if record is None:
        raise CheckinNotFound()
    return record


def undo_checkin(session: Session, checkin_id: int, reason: str, admin: Staff) -> None:
    """Delete a wrong record; the audit log keeps what it was. A sign-in with a sign-out needs the
    sign-out undone first, so hours are never left without the sign-in they came from."""
    record = get_checkin(session, checkin_id)
    if record.direction == DIRECTION_IN and _existing(session, record.event_id, record.staff_id, DIRECTION_OUT):
        raise CheckoutExists()
    audit.record(
        session,
        audit.Actor.staff(admin.id),
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


def adjust_hours(session: Session, checkin_id: int, hours: float, reason: str, admin: Staff) -> Checkin:
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
        audit.Actor.staff(admin.id),
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


# ---- reading -----------------------------------------------------------------------------------------


@dataclass
class AttendanceRow:
    staff: Staff
    department: str
    registered: bool
    checkin: Checkin | None
    checkout: Checkin | None

    @property
    def duration_minutes(self) -> int | None:
        if self.checkin is None or self.checkout is None:
            return None
        return present_minutes(self.checkin.at, self.checkout.at)


@dataclass
class Attendance:
    event: Event
    present: list[AttendanceRow]
    absent: list[AttendanceRow]  # registered, not signed in


def attendance(session: Session, event_id: int) -> Attendance:
    event = get_event(session, event_id)
    records = session.scalars(select(Checkin).where(Checkin.event_id == event.id)).all()
    registered = set(
        session.scalars(select(EventRegistration.staff_id).where(EventRegistration.event_id == event.id)).all()
    )
    people = {record.staff_id for record in records} | registered
    staff_rows = session.execute(
        select(Staff, Department.name)
        .join(Department, Department.id == Staff.department_id)
        .where(Staff.id.in_(people))
        .order_by(Department.name, Staff.employee_no)
    ).all()
    by_person: dict[int, dict[str, Checkin]] = {}
    for record in records:
        by_person.setdefault(record.staff_id, {})[record.direction] = record
    present, absent = [], []
    for staff, department in staff_rows:
        mine = by_person.get(staff.id, {})
        row = AttendanceRow(staff, department, staff.id in registered, mine.get(DIRECTION_IN), mine.get(DIRECTION_OUT))
        (present if row.checkin else absent).append(row)
    present.sort(key=lambda row: row.checkin.at)
    return Attendance(event, present, absent)


def my_checkins_statement(staff_id: int) -> Select:
    return (
        select(Checkin)
        .where(Checkin.staff_id == staff_id)
        .order_by(Checkin.at.desc(), Checkin.id.desc())
        .options(selectinload(Checkin.event))
    )


@dataclass
class VolunteerHours:
    year: int | None
    hours: float
    events: int


def volunteer_hours(session: Session, staff_id: int, year: int | None = None) -> VolunteerHours:
    """Credited hours from sign-outs, in a local calendar year or all time."""
    statement = select(func.coalesce(func.sum(Checkin.credited_minutes), 0), func.count(Checkin.id)).where(
        Checkin.staff_id == staff_id, Checkin.direction == DIRECTION_OUT
    )
    if year is not None:
        start = local_datetime(date(year, 1, 1), time.min)
        end = local_datetime(date(year + 1, 1, 1), time.min)
        statement = statement.join(Event, Event.id == Checkin.event_id).where(
            Event.starts_at >= start, Event.starts_at < end
        )
    minutes, count = session.execute(statement).one()
    return VolunteerHours(year, int(minutes) / 60, int(count))
