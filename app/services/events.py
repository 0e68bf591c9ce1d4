"""Events: creating, editing, publishing, cancelling, listing, and registration with a capacity that
holds. Publishing, registering, editing and cancelling queue or withdraw the event's reminders
(``app.services.event_reminders``) in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, NotFound
from app.models import Checkin, Event, EventRegistration, Staff
from app.models.base import utcnow
from app.models.events import (
    DIRECTION_IN,
    DIRECTION_OUT,
    EVENT_CANCELLED,
    EVENT_DRAFT,
    EVENT_KINDS,
    EVENT_PUBLISHED,
)
from app.services import audit, event_reminders, outbox
from app.timeutil import format_local, format_span, local_datetime, local_zone


class InvalidEvent(AppError):
    status_code = 422
    code = "invalid_event"
    message = "活动信息有误"


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "活动不存在或尚未发布"


class EventCancelled(Conflict):
    code = "event_cancelled"
    message = "活动已取消"


class EventFull(Conflict):
    code = "event_full"
    message = "活动名额已满"


class RegistrationClosed(Conflict):
    code = "registration_closed"
    message = "活动已开始，报名已截止"


class AlreadyRegistered(Conflict):
    code = "already_registered"
    message = "您已报名该活动"


class NotRegistered(Conflict):
    code = "not_registered"
    message = "您尚未报名该活动"


class AlreadyAttended(Conflict):
    code = "already_attended"
    message = "您已签到，不能取消报名"


class EventNotEditable(Conflict):
    code = "event_not_editable"
    message = "活动已取消，不能再修改"


@dataclass
class EventDraft:
    """What an organiser fills in. Naive datetimes are read as the campaign's local time."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None
    capacity: int | None = None
    registration_required: bool = False
    checkout_required: bool = False
    checkin_opens_at: datetime | None = None
    checkin_closes_at: datetime | None = None
    publish: bool = True
    # Reminder rules such as ["1d@09:00", "60m"]; None: the default, []: no reminders.
    reminders: list[str] | None = None


def as_aware(moment: datetime) -> datetime:
    """Aware datetimes stay as they are; naive ones are the campaign's wall clock."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=local_zone())
    return moment


# What the columns hold; the API schema reads the same limits.
TITLE_MAX = Event.__table__.c.title.type.length
LOCATION_MAX = Event.__table__.c.location.type.length
DESCRIPTION_MAX = 5000
CAPACITY_MAX = 100_000

# Event times Python, both databases and the calendar can all hold with room to spare (local days, inclusive).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def _ensure_supported_dates(*moments: datetime | None) -> None:
    """Refuse times outside ``FIRST_DAY``..``LAST_DAY`` before any arithmetic on them can overflow."""
    earliest = local_datetime(FIRST_DAY, time.min)
    latest = local_datetime(LAST_DAY + timedelta(days=1), time.min)
    if any(moment is not None and not earliest <= moment < latest for moment in moments):
        raise InvalidEvent(f"活动信息有误：活动时间应在 {FIRST_DAY} 到 {LAST_DAY} 之间")


def _effective_window(draft: EventDraft) -> tuple[datetime, datetime]:
    """The sign-in window: the organiser's own ends, or the configured minutes around the start."""
    config = current_app.config
    opens = draft.checkin_opens_at or draft.starts_at - timedelta(minutes=config["CHECKIN_OPENS_BEFORE_MINUTES"])
    closes = draft.checkin_closes_at or draft.starts_at + timedelta(minutes=config["CHECKIN_CLOSES_AFTER_MINUTES"])
    return opens, closes


def _validate(draft: EventDraft) -> None:
    """Refuse an inconsistent draft with ``InvalidEvent``; settle its effective sign-in window, so one
    end given alone is checked against the default for the other."""
    _ensure_supported_dates(draft.starts_at, draft.ends_at, draft.checkin_opens_at, draft.checkin_closes_at)
    problems = []
    if draft.kind not in EVENT_KINDS:
        problems.append(f"活动类型应为以下之一：{'、'.join(EVENT_KINDS)}")
    if not draft.title.strip() or len(draft.title.strip()) > TITLE_MAX:
        problems.append(f"活动名称不能为空，且不超过 {TITLE_MAX} 字")
    if len(draft.description.strip()) > DESCRIPTION_MAX:
        problems.append(f"简介不能超过 {DESCRIPTION_MAX} 字")
    if draft.location is not None and len(draft.location.strip()) > LOCATION_MAX:
        problems.append(f"地点不能超过 {LOCATION_MAX} 字")
    if draft.ends_at <= draft.starts_at:
        problems.append("结束时间应晚于开始时间")
    if draft.ends_at - draft.starts_at > timedelta(days=7):
        problems.append("单次活动不能超过 7 天")
    if draft.capacity is not None and not 1 <= draft.capacity <= CAPACITY_MAX:
        problems.append(f"名额应在 1 到 {CAPACITY_MAX} 之间")
    coordinates = (draft.latitude, draft.longitude, draft.radius_m)
    if any(value is not None for value in coordinates) and not all(value is not None for value in coordinates):
        problems.append("设置签到范围需同时提供纬度、经度和半径")
    if draft.latitude is not None and not -90 <= draft.latitude <= 90:
        problems.append("纬度应在 -90 到 90 之间")
    if draft.longitude is not None and not -180 <= draft.longitude <= 180:
        problems.append("经度应在 -180 到 180 之间")
    if draft.radius_m is not None and not 10 <= draft.radius_m <= 50_000:
        problems.append("签到半径应在 10 到 50000 米之间")
    draft.checkin_opens_at, draft.checkin_closes_at = _effective_window(draft)
    if draft.checkin_closes_at <= draft.checkin_opens_at:
        problems.append("签到截止时间应晚于签到开始时间")
    if draft.reminders is not None:
        try:
            draft.reminders = event_reminders.validate_reminders(draft.reminders)
        except event_reminders.InvalidReminders as exc:
            problems.append(exc.message)
    if problems:
        raise InvalidEvent("活动信息有误：" + "；".join(problems))


def create_event(
    session: Session,
    draft: EventDraft,
    actor: audit.Actor,
    created_by: Staff | None = None,
    now: datetime | None = None,
) -> Event:
    """Create (and by default publish) an event; a published one has its reminders queued at once."""
    event = add_event(session, draft, actor, created_by, now)
    session.commit()
    return event


def add_event(
    session: Session,
    draft: EventDraft,
    actor: audit.Actor,
    created_by: Staff | None = None,
    now: datetime | None = None,
) -> Event:
    """``create_event`` without the commit, for callers that add an event to a larger transaction."""
    draft.starts_at, draft.ends_at = as_aware(draft.starts_at), as_aware(draft.ends_at)
    draft.checkin_opens_at = as_aware(draft.checkin_opens_at) if draft.checkin_opens_at else None
    draft.checkin_closes_at = as_aware(draft.checkin_closes_at) if draft.checkin_closes_at else None
    _validate(draft)
    config = current_app.config
    event = Event(
        kind=draft.kind,
        title=draft.title.strip(),
        description=draft.description.strip(),
        location=(draft.location or "").strip() or None,
        latitude=draft.latitude,
        longitude=draft.longitude,
        radius_m=draft.radius_m,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        checkin_opens_at=draft.checkin_opens_at,
        checkin_closes_at=draft.checkin_closes_at,
        checkout_required=draft.checkout_required,
        checkout_closes_at=(
            draft.ends_at + timedelta(minutes=config["CHECKOUT_CLOSES_AFTER_END_MINUTES"])
            if draft.checkout_required
            else None
        ),
        registration_required=draft.registration_required,
        capacity=draft.capacity,
        registered_count=0,
        status=EVENT_PUBLISHED if draft.publish else EVENT_DRAFT,
        reminders=draft.reminders,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(event)
    session.flush()
    audit.record(session, actor, "event.create", "event", event.id, title=event.title, status=event.status)
    event_reminders.queue_event_reminders(session, event, now or utcnow())
    return event


def get_event(session: Session, event_id: int) -> Event:
    """Any event, drafts included (admins and operators)."""
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound()
    return event


def get_visible_event(session: Session, event_id: int) -> Event:
    """An event staff may see: published or cancelled, never a draft."""
    event = get_event(session, event_id)
    if event.status == EVENT_DRAFT:
        raise EventNotFound()
    return event


def publish_event(session: Session, event_id: int, actor: audit.Actor, now: datetime | None = None) -> Event:
    result = session.execute(
        update(Event).where(Event.id == event_id, Event.status == EVENT_DRAFT).values(status=EVENT_PUBLISHED)
    )
    event = get_event(session, event_id)
    if result.rowcount != 1 and event.status != EVENT_PUBLISHED:
        session.rollback()
        raise EventNotEditable()
    if result.rowcount == 1:
        audit.record(session, actor, "event.publish", "event", event_id)
        event_reminders.queue_event_reminders(session, event, now or utcnow())
    session.commit()
    return event


def cancel_event(session: Session, event_id: int, actor: audit.Actor, reason: str) -> Event:
    """Cancel once; registered people hear about it through the outbox in the same transaction."""
    result = session.execute(
        update(Event).where(Event.id == event_id, Event.status != EVENT_CANCELLED).values(status=EVENT_CANCELLED)
    )
    event = get_event(session, event_id)
    if result.rowcount != 1:
        session.rollback()
        raise EventCancelled()
    people = event_reminders.registered_people(session, event_id)
    notice = outbox.text(
        f"【活动取消】您报名的“{event.title}”（{format_local(event.starts_at)}）已取消。原因：{reason}"
    )
    outbox.enqueue_to_staff(session, f"event:{event_id}:cancelled", people, notice)
    event_reminders.withdraw_event_reminders(session, event_id)
    audit.record(session, actor, "event.cancel", "event", event_id, reason=reason, notified=len(people))
    session.commit()
    return event


EDITABLE_FIELDS = ("title", "description", "location", "starts_at", "ends_at", "reminders")


class EventAlreadyStarted(Conflict):
    code = "event_already_started"
    message = "活动已开始，不能再修改时间"


def update_event(
    session: Session, event_id: int, changes: dict, actor: audit.Actor, now: datetime | None = None
) -> Event:
    """Change an event's title, description, place, time or reminder rules (keys of ``EDITABLE_FIELDS``;
    ``reminders: None`` restores the default). Sign-in windows move with the start; a published event's
    pending reminders are withdrawn and queued again for the new details, and registered people are told
    when the time or place changed."""
    now = now or utcnow()
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidEvent(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    event = get_event(session, event_id)
    if event.status == EVENT_CANCELLED:
        raise EventNotEditable()
    starts_at = as_aware(changes.get("starts_at", event.starts_at))
    ends_at = as_aware(changes.get("ends_at", event.ends_at))
    _ensure_supported_dates(starts_at, ends_at)
    moved = starts_at != event.starts_at or ends_at != event.ends_at
    if moved and event.status == EVENT_PUBLISHED and now >= event.starts_at:
        raise EventAlreadyStarted()
    if starts_at != event.starts_at and event.status == EVENT_PUBLISHED and starts_at <= now:
        raise InvalidEvent("活动信息有误：新的开始时间应晚于当前时间")
    shift = starts_at - event.starts_at  # sign-in windows move with the start
    draft = EventDraft(
        kind=event.kind,
        title=changes.get("title", event.title),
        description=changes.get("description", event.description),
        starts_at=starts_at,
        ends_at=ends_at,
        location=changes.get("location", event.location),
        latitude=event.latitude,
        longitude=event.longitude,
        radius_m=event.radius_m,
        capacity=event.capacity,
        checkin_opens_at=event.checkin_opens_at + shift,
        checkin_closes_at=event.checkin_closes_at + shift,
        reminders=changes.get("reminders", event.reminders),
    )
    _validate(draft)
    before = {name: getattr(event, name) for name in EDITABLE_FIELDS}
    event.title = draft.title.strip()
    event.description = draft.description.strip()
    event.location = (draft.location or "").strip() or None
    event.reminders = draft.reminders
    if moved:
        event.starts_at, event.ends_at = starts_at, ends_at
        event.checkin_opens_at, event.checkin_closes_at = draft.checkin_opens_at, draft.checkin_closes_at
        if event.checkout_required:
            minutes = current_app.config["CHECKOUT_CLOSES_AFTER_END_MINUTES"]
            event.checkout_closes_at = ends_at + timedelta(minutes=minutes)
    changed = {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name in EDITABLE_FIELDS
        if (value := getattr(event, name)) != before[name]
    }
    if not changed:
        return event
    session.flush()
    if event.status == EVENT_PUBLISHED:
        if moved or "location" in changed:
            _notify_change(session, event, before, now)
        event_reminders.withdraw_event_reminders(session, event.id)
        event_reminders.queue_event_reminders(session, event, now)
    audit.record(session, actor, "event.update", "event", event.id, **changed)
    session.commit()
    return event


def _notify_change(session: Session, event: Event, before: dict, now: datetime) -> None:
    people = event_reminders.registered_people(session, event.id)
    lines = [f"【活动变更】您报名的“{event.title}”有变动："]
    if event.starts_at != before["starts_at"] or event.ends_at != before["ends_at"]:
        span = format_span(event.starts_at, event.ends_at, dash="—")
        lines.append(f"时间改为 {span}（原 {format_local(before['starts_at'])}）")
    if event.location != before["location"]:
        lines.append(f"地点改为 {event.location or '待定'}（原 {before['location'] or '待定'}）")
    lines.append("如不能参加，请在小程序中取消报名。")
    key = f"event:{event.id}:changed:{now.strftime('%Y%m%d%H%M%S%f')}"
    outbox.enqueue_to_staff(session, key, people, outbox.text("\n".join(lines)))


def list_events_statement(kind: str | None = None, date_from: date | None = None, date_to: date | None = None) -> Select:
    """Events staff may see (never drafts) by start time; dates are local calendar days, inclusive."""
    statement = select(Event).where(Event.status != EVENT_DRAFT).order_by(Event.starts_at.desc(), Event.id.desc())
    if kind:
        statement = statement.where(Event.kind == kind)
    if date_from:
        statement = statement.where(Event.starts_at >= local_datetime(date_from, time.min))
    if date_to:
        statement = statement.where(Event.starts_at < local_datetime(date_to + timedelta(days=1), time.min))
    return statement


# ---- registration ------------------------------------------------------------------------------------


def register(session: Session, event_id: int, staff: Staff, now: datetime | None = None) -> Event:
    """Take one place. The counter moves only by a conditional UPDATE, so capacity holds under any
    concurrency; the unique (event, staff) constraint stops a double registration. Returns the event
    (expired by the commit, so its counter reads fresh)."""
    now = now or utcnow()
    event = get_visible_event(session, event_id)
    if event.status == EVENT_CANCELLED:
        raise EventCancelled()
    if now >= event.starts_at:
        raise RegistrationClosed()
    registration = EventRegistration(event_id=event.id, staff_id=staff.id, created_at=now)
    session.add(registration)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise AlreadyRegistered() from exc
    taken = session.execute(
        update(Event)
        .where(
            Event.id == event.id,
            Event.status == EVENT_PUBLISHED,
            (Event.capacity.is_(None)) | (Event.registered_count < Event.capacity),
        )
        .values(registered_count=Event.registered_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        session.rollback()
        raise EventFull()
    audit.record(session, audit.Actor.staff(staff.id), "event.register", "event", event.id)
    event_reminders.queue_person_reminders(session, event, staff, now)
    session.commit()
    return event


def cancel_registration(session: Session, event_id: int, staff: Staff, now: datetime | None = None) -> Event:
    now = now or utcnow()
    event = get_visible_event(session, event_id)
    if now >= event.starts_at and event.status != EVENT_CANCELLED:
        raise RegistrationClosed("活动已开始，不能再取消报名")
    attended = session.scalar(
        select(Checkin.id).where(Checkin.event_id == event.id, Checkin.staff_id == staff.id).limit(1)
    )
    if attended is not None:
        raise AlreadyAttended()
    removed = session.execute(
        delete(EventRegistration).where(EventRegistration.event_id == event.id, EventRegistration.staff_id == staff.id)
    ).rowcount
    if removed != 1:
        session.rollback()
        raise NotRegistered()
    session.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(registered_count=Event.registered_count - 1)
        .execution_options(synchronize_session=False)
    )
    event_reminders.withdraw_person_reminders(session, event.id, staff.id)
    audit.record(session, audit.Actor.staff(staff.id), "event.unregister", "event", event.id)
    session.commit()
    return event


def is_registered(session: Session, event_id: int, staff_id: int) -> bool:
    return (
        session.scalar(
            select(EventRegistration.id).where(
                EventRegistration.event_id == event_id, EventRegistration.staff_id == staff_id
            )
        )
        is not None
    )


@dataclass
class MyEventState:
    registered: bool
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    credited_hours: float | None


def my_state(session: Session, event: Event, staff: Staff) -> MyEventState:
    records = {
        record.direction: record
        for record in session.scalars(
            select(Checkin).where(Checkin.event_id == event.id, Checkin.staff_id == staff.id)
        )
    }
    checkin, checkout = records.get(DIRECTION_IN), records.get(DIRECTION_OUT)
    return MyEventState(
        registered=is_registered(session, event.id, staff.id),
        checked_in_at=checkin.at if checkin else None,
        checked_out_at=checkout.at if checkout else None,
        credited_hours=checkout.credited_hours if checkout else None,
    )
