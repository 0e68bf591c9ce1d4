"""Signing in and out by a scanned code: ``sign_in(session, token, scan)`` is the one entry point.

When two hundred people scan within minutes, almost every scan is a first, valid sign-in. For those,
one INSERT … SELECT authenticates the token, checks that the event is still the version this process
checked the scan against, checks registration where required, and writes the record: one round trip
instead of five. Anything else (a bad token, a refusal, a repeat, a changed event, a sign-out) writes
nothing and goes the full way, which gives the precise answer. The code is parsed and the event read
once per request on either way.

Each rule the statement restates sits beside its Python twin, so both are read and changed together:
a bound, active person (``auth.bound_staff`` / ``auth.bound_staff_query``), registration where
required (``events.registered``, one expression for both), and an unchanged, published event
(``_check_event`` on the copy, ``updated_at`` and status in the statement).
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Insert, bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Checkin, Event, Staff
from app.models.base import UTCDateTime, utcnow
from app.models.events import DIRECTION_IN, DIRECTION_OUT, EVENT_PUBLISHED, METHOD_MANUAL
from app.services import audit, auth, checkin_codes, events, sql
from app.services.checkins.records import (
    CheckinClosed,
    CheckinNotOpen,
    CheckinResult,
    LiveCodeRequired,
    LocationRequired,
    NonceReused,
    NotCheckedIn,
    OutsideGeofence,
    RegistrationRequired,
    checkout_minutes,
    existing,
    present_minutes,
    winner,
)
from app.timeutil import format_local

EARTH_RADIUS_M = 6_371_008.8
# A sign-out scanned again at least this much later replaces the earlier one (an accidental early
# sign-out is not final); a quicker repeat is the same scan twice.
CHECKOUT_REPLACE_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Scan:
    """What the mini-program posted for one scan."""

    qr: str  # the scanned address, bare token or mini-program scene
    nonce: str  # the client's key for this scan; a retry sends the same one
    lat: float | None = None  # the phone's position: a hint, not proof
    lng: float | None = None
    at: datetime | None = None  # when; now unless a caller (a test) says otherwise


def sign_in(session: Session, token: str, scan: Scan) -> CheckinResult:
    """Sign the person behind ``token`` in (or out, when the code says so) by ``scan``; the result
    carries its ``answer`` (``describe``), so a caller needs nothing else.

    Called before anything else has used the session (as the view does), the one-statement attempt
    runs in autocommit, where its INSERT is its own transaction; the full way then starts afresh.
    A bad token is answered before anything about the code, as on every endpoint."""
    result = _sign_in(session, token, scan)
    result.answer = describe(session, result)
    return result


def _sign_in(session: Session, token: str, scan: Scan) -> CheckinResult:
    now = scan.at or utcnow()
    autocommitted = sql.autocommit(session) is not None
    try:
        code = checkin_codes.parse_code(scan.qr, now.timestamp())
        event, cached = _snapshot(session, code.event_id)
    except AppError:
        _leave_autocommit(session, autocommitted)
        auth.bound_staff(session, token)
        raise
    if code.direction == DIRECTION_IN:
        result = _quick_sign_in(session, token, scan, code, event, now)
        if result is not None:
            return result
    _leave_autocommit(session, autocommitted)
    staff = auth.bound_staff(session, token)
    return _record_scan(session, staff, _fresh(session, event, cached), code, scan, now)


def sign_in_member(session: Session, staff: Staff, scan: Scan) -> CheckinResult:
    """The same sign-in for someone WeCom has identified (a code scanned with the WeCom app, signed in
    through its silent OAuth): no mini-program token, so always the full way, with every rule and the
    same exactly-once guarantee."""
    if not staff.active:
        raise auth.NotBound()
    now = scan.at or utcnow()
    code = checkin_codes.parse_code(scan.qr, now.timestamp())
    event = _fresh(session, *_snapshot(session, code.event_id))
    result = _record_scan(session, staff, event, code, scan, now)
    result.answer = describe(session, result)
    return result


def _fresh(session: Session, event: Event, cached: bool) -> Event:
    """The full way's event: a process copy may be what refused (or may be stale), so it is dropped and
    read once afresh; an event this request already read is used as it is."""
    if not cached:
        return event
    event_snapshots().discard(event.id)
    return _snapshot(session, event.id)[0]


def _leave_autocommit(session: Session, autocommitted: bool) -> None:
    if autocommitted:
        session.rollback()


# ---- the rules, in the order they are answered -------------------------------------------------------


def _check_event(event: Event, code: checkin_codes.ScannedCode, now: datetime) -> None:
    """The refusals that depend on the code and the event alone. The statement's twin: a published
    event at the copy's ``updated_at``."""
    if code.expired:
        raise checkin_codes.CodeExpired()
    if event.is_cancelled:
        raise events.EventCancelled("活动已取消，无需签到")
    if not event.takes_direction(code.direction):
        raise checkin_codes.CheckoutNotNeeded()
    if not event.accepts_method(code.method):
        raise LiveCodeRequired()
    _check_window(event, code.direction, now)


def _check_window(event: Event, direction: str, now: datetime) -> None:
    opens, closes = event.window(direction)
    action = "签退" if direction == DIRECTION_OUT else "签到"
    if now < opens:
        raise CheckinNotOpen(f"{action}尚未开始，{format_local(opens, '%m月%d日 %H:%M')} 起可{action}")
    if now > closes:
        raise CheckinClosed(f"{action}已于 {format_local(closes, '%m月%d日 %H:%M')} 截止")


def _check_registration(session: Session, event: Event, staff: Staff) -> None:
    """The statement's twin: ``events.registered`` where ``event.registration_gates_checkin``."""
    if event.registration_gates_checkin and not events.is_registered(session, event.id, staff.id):
        raise RegistrationRequired()


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def distance_text(metres: float) -> str:
    """``850 米``; from 1,000 m on in kilometres (``2,044.7 公里``), as people say it."""
    if metres < 1000:
        return f"{metres:,.0f} 米"
    return f"{metres / 1000:,.1f}".removesuffix(".0") + " 公里"


def _check_geofence(event: Event, lat: float | None, lng: float | None) -> float | None:
    """Coordinates come from the phone and can be faked: this keeps honest people honest, no more."""
    if lat is None or lng is None:
        if event.has_geofence:
            raise LocationRequired()
        return None
    distance = haversine_m(lat, lng, event.latitude, event.longitude) if event.has_geofence else None
    if distance is not None and distance > event.radius_m:
        raise OutsideGeofence(f"您距离活动地点约 {distance_text(distance)}，需在 {distance_text(event.radius_m)}内签到")
    return distance


def _scan_record(
    event: Event, staff_id: int | None, code: checkin_codes.ScannedCode, scan: Scan, distance: float | None, now: datetime
) -> Checkin:
    return Checkin(
        event_id=event.id,
        staff_id=staff_id,
        direction=code.direction,
        at=now,
        method=code.method,
        nonce=scan.nonce,
        latitude=scan.lat,
        longitude=scan.lng,
        distance_m=distance,
    )


# ---- the full way ------------------------------------------------------------------------------------


def _record_scan(
    session: Session, staff: Staff, event: Event, code: checkin_codes.ScannedCode, scan: Scan, now: datetime
) -> CheckinResult:
    try:
        _check_event(event, code, now)
        _check_registration(session, event, staff)
        record = _scan_record(event, staff.id, code, scan, _check_geofence(event, scan.lat, scan.lng), now)
        if code.direction == DIRECTION_OUT:
            record.credited_minutes = checkout_minutes(session, event, staff.id, now, NotCheckedIn())
    except AppError:
        # A later scan by someone already recorded is not an error, whatever else has changed since.
        prior = existing(session, event.id, staff.id, code.direction)
        if prior is not None:
            return CheckinResult(prior, event, created=False)
        raise
    if code.direction == DIRECTION_OUT:
        prior = existing(session, event.id, staff.id, DIRECTION_OUT)
        if prior is not None:
            return _replace_checkout(session, staff, event, prior, record)
    inserted = _insert(session, record)
    if inserted is None:
        return CheckinResult(winner(session, event.id, staff.id, code.direction, scan.nonce), event, created=False)
    return CheckinResult(inserted, event, created=True)


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
    # What was just written is current, and the answer is serialised from it: no reload.
    sql.commit_keeping_state(session)
    return record


def _replace_checkout(session: Session, staff: Staff, event: Event, prior: Checkin, scan: Checkin) -> CheckinResult:
    """A later sign-out scan within the sign-out window replaces the earlier one: the latest counts.

    A repeat within ``CHECKOUT_REPLACE_AFTER``, a retry (same nonce) and an admin's manual record stay
    as they are. The conditional UPDATE (``at`` still earlier) lets concurrent scans settle on the latest."""
    if prior.method == METHOD_MANUAL or prior.nonce == scan.nonce or scan.at - prior.at < CHECKOUT_REPLACE_AFTER:
        return CheckinResult(prior, event, created=False)
    before_at, before_minutes = prior.at, prior.credited_minutes
    changes = {
        name: getattr(scan, name)
        for name in ("at", "method", "nonce", "latitude", "longitude", "distance_m", "credited_minutes")
    }
    try:
        moved = session.execute(
            update(Checkin)
            .where(Checkin.id == prior.id, Checkin.at < scan.at, Checkin.method != METHOD_MANUAL)
            .values(**changes)
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError as exc:  # the nonce was used on another record
        session.rollback()
        raise NonceReused() from exc
    if moved != 1:
        session.rollback()
        return CheckinResult(existing(session, event.id, staff.id, DIRECTION_OUT), event, created=False)
    audit.record(
        session,
        audit.Actor.staff(staff.id),
        "checkin.checkout_replaced",
        "checkin",
        prior.id,
        before=before_at.isoformat(),
        after=scan.at.isoformat(),
        before_minutes=before_minutes,
        after_minutes=scan.credited_minutes,
    )
    session.commit()
    return CheckinResult(session.get(Checkin, prior.id, populate_existing=True), event, False, before_at)


# ---- the one statement -------------------------------------------------------------------------------


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


def _snapshot(session: Session, event_id: int) -> tuple[Event, bool]:
    """The event for a scan and whether it came from this process's copies (not read now)."""
    snapshots = event_snapshots()
    event = snapshots.get(event_id)
    if event is not None:
        return event, True
    # Read on the request's connection by a session of its own, so the copy (shared by this process's
    # requests, never written) is never an object the request's session holds.
    with Session(bind=session.connection()) as reader:
        event = events.get_visible_event(reader, event_id)
        reader.expunge(event)
    snapshots.put(event)
    return event, False


_QUICK_COLUMNS = ("event_id", "staff_id", "direction", "at", "method", "nonce", "latitude", "longitude", "distance_m")


@functools.cache
def _quick_sign_in_statement(registration_gates_checkin: bool) -> Insert:
    """INSERT a sign-in for the person behind a valid token, if the event is unchanged (and they are
    registered, where that is required); RETURNING the new id and the person, or no row."""
    table = Checkin.__table__
    event_id = bindparam("event_id", type_=table.c.event_id.type)
    # Twin of auth.bound_staff: a valid token of an account bound to an active roster entry.
    person = auth.bound_staff_query(bindparam("token_hash"), bindparam("now", type_=UTCDateTime())).subquery("person")
    rows = select(
        event_id,
        person.c.staff_id,
        *(bindparam(name, type_=table.c[name].type) for name in _QUICK_COLUMNS[2:]),
    ).where(
        # Twin of _check_event on the copy: the event is still that version, and published.
        exists().where(
            Event.id == event_id,
            Event.updated_at == bindparam("event_version", type_=UTCDateTime()),
            Event.status == EVENT_PUBLISHED,  # also when a change bypassed updated_at (a hand-made UPDATE)
        )
    )
    if registration_gates_checkin:  # twin of _check_registration
        rows = rows.where(events.registered(event_id, person.c.staff_id))
    return insert(table).from_select(list(_QUICK_COLUMNS), rows).returning(table.c.id, table.c.staff_id)


def _quick_sign_in(
    session: Session, token: str, scan: Scan, code: checkin_codes.ScannedCode, event: Event, now: datetime
) -> CheckinResult | None:
    """A first, valid sign-in in one statement; None when the scan needs the full way."""
    try:
        _check_event(event, code, now)
        distance = _check_geofence(event, scan.lat, scan.lng)
    except AppError:
        return None
    record = _scan_record(event, None, code, scan, distance, now)  # the person: whoever the token is
    values = {name: getattr(record, name) for name in _QUICK_COLUMNS if name != "staff_id"}
    values.update(token_hash=auth.hash_token(token), now=now, event_version=event.updated_at)
    try:
        row = session.execute(_quick_sign_in_statement(event.registration_gates_checkin), values).one_or_none()
    except IntegrityError:  # signed in already, or the nonce was used: the full way says which
        session.rollback()
        return None
    if row is None:  # a token that is not a bound, active person's, someone unregistered, or a changed event
        return None
    session.commit()  # no round trip in autocommit; the record and the copy are not the session's
    record.id, record.staff_id = row.id, row.staff_id
    return CheckinResult(record, event, created=True)


# ---- the answer --------------------------------------------------------------------------------------


def describe(session: Session, result: CheckinResult) -> dict:
    """The answer to a scan: the sign-in time, or for a sign-out the duration and hours credited (and,
    when a later sign-out replaced an earlier one, when that one was)."""
    record = result.record
    answer = {"status": result.status, "event": result.event}
    if record.direction == DIRECTION_IN:
        answer["checked_in_at"] = record.at
        return answer
    checkin = existing(session, record.event_id, record.staff_id, DIRECTION_IN)
    answer["checked_in_at"] = checkin.at if checkin else None
    answer["checked_out_at"] = record.at
    if result.replaced_at is not None:
        answer["previous_checked_out_at"] = result.replaced_at
    if checkin is not None:
        answer["duration_minutes"] = present_minutes(checkin.at, record.at)
    answer["hours"] = record.credited_hours
    return answer
