"""Events: creating, editing, publishing, cancelling, listing, and registration with a capacity that
holds. Publishing, registering, editing and cancelling queue or withdraw the event's reminders
(``app.services.event_reminders``) in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.models import Checkin, Event, EventRegistration, Staff
from app.models.base import utcnow
from app.models.events import DIRECTION_IN, DIRECTION_OUT, EVENT_CANCELLED, EVENT_DRAFT, EVENT_PUBLISHED
from app.services import audit, event_drafts, event_reminders, outbox
# The drafts and the staff list are also found here, where callers have always found them.
from app.services.event_drafts import EventDraft, InvalidEvent, as_aware, unsupported_dates  # noqa: F401
from app.services.event_lists import list_events_statement  # noqa: F401
from app.timeutil import format_local, format_span


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


def _checkout_closes_at(ends_at: datetime) -> datetime:
    return ends_at + timedelta(minutes=current_app.config["CHECKOUT_CLOSES_AFTER_END_MINUTES"])


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
    draft = event_drafts.checked(draft)
    opens, closes = draft.checkin_window()
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
        checkin_opens_at=opens,
        checkin_closes_at=closes,
        checkout_required=draft.checkout_required,
        checkout_closes_at=_checkout_closes_at(draft.ends_at) if draft.checkout_required else None,
        registration_required=draft.registration_required,
        walk_ins_allowed=draft.walk_ins_allowed,
        live_code_only=draft.wants_live_code_only(),
        capacity=draft.capacity,
        registered_count=0,
        status=EVENT_PUBLISHED if draft.publish else EVENT_DRAFT,
        reminders=None if draft.reminders is None else event_reminders.validate_reminders(draft.reminders),
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
    if not event.is_visible:
        raise EventNotFound()
    return event


def publish_event(session: Session, event_id: int, actor: audit.Actor, now: datetime | None = None) -> Event:
    result = session.execute(
        update(Event).where(Event.id == event_id, Event.status == EVENT_DRAFT).values(status=EVENT_PUBLISHED)
    )
    event = get_event(session, event_id)
    if result.rowcount != 1 and not event.is_published:
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


EDITABLE_FIELDS = (
    "title",
    "description",
    "location",
    "starts_at",
    "ends_at",
    "reminders",
    "capacity",
    "checkin_opens_at",
    "checkin_closes_at",
    "walk_ins_allowed",
    "live_code_only",
)


class EventAlreadyStarted(Conflict):
    code = "event_already_started"
    message = "活动已开始，不能再修改时间"


class CapacityBelowRegistered(Conflict):
    code = "capacity_below_registered"
    message = "名额不能少于已报名人数"


def update_event(
    session: Session, event_id: int, changes: dict, actor: audit.Actor, now: datetime | None = None
) -> Event:
    """Change an event (keys of ``EDITABLE_FIELDS``; ``reminders: None`` restores the default,
    ``capacity: None`` lifts the limit). The sign-in window moves with the start unless it is given; a
    capacity is never below the number registered. A published event's pending reminders are withdrawn
    and queued again for the new details, and registered people are told when the time or place changed."""
    now = now or utcnow()
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidEvent(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    event = get_event(session, event_id)
    if event.is_cancelled:
        raise EventNotEditable()
    starts_at = as_aware(changes.get("starts_at", event.starts_at))
    ends_at = as_aware(changes.get("ends_at", event.ends_at))
    unsupported = unsupported_dates(starts_at, ends_at)
    if unsupported:
        raise InvalidEvent(f"活动信息有误：{unsupported}")
    moved = starts_at != event.starts_at or ends_at != event.ends_at
    if moved and event.is_published and now >= event.starts_at:
        raise EventAlreadyStarted()
    if starts_at != event.starts_at and event.is_published and starts_at <= now:
        raise InvalidEvent("活动信息有误：新的开始时间应晚于当前时间")
    _check_capacity(event, changes)
    shift = starts_at - event.starts_at  # sign-in windows move with the start
    draft = event_drafts.checked(
        EventDraft(
            kind=event.kind,
            title=changes.get("title", event.title),
            description=changes.get("description", event.description),
            starts_at=starts_at,
            ends_at=ends_at,
            location=changes.get("location", event.location),
            latitude=event.latitude,
            longitude=event.longitude,
            radius_m=event.radius_m,
            capacity=changes.get("capacity", event.capacity),
            checkin_opens_at=changes.get("checkin_opens_at") or event.checkin_opens_at + shift,
            checkin_closes_at=changes.get("checkin_closes_at") or event.checkin_closes_at + shift,
            reminders=changes.get("reminders", event.reminders),
        )
    )
    before = {name: getattr(event, name) for name in EDITABLE_FIELDS}
    event.title = draft.title.strip()
    event.description = draft.description.strip()
    event.location = (draft.location or "").strip() or None
    event.reminders = None if draft.reminders is None else event_reminders.validate_reminders(draft.reminders)
    event.capacity = draft.capacity
    event.walk_ins_allowed = changes.get("walk_ins_allowed", event.walk_ins_allowed)
    event.live_code_only = changes.get("live_code_only", event.live_code_only)
    event.starts_at, event.ends_at = starts_at, ends_at
    event.checkin_opens_at, event.checkin_closes_at = draft.checkin_opens_at, draft.checkin_closes_at
    if moved and event.checkout_required:
        event.checkout_closes_at = _checkout_closes_at(ends_at)
    changed = {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name in EDITABLE_FIELDS
        if (value := getattr(event, name)) != before[name]
    }
    if not changed:
        return event
    try:
        session.flush()
    except IntegrityError as exc:  # a registration raced the new capacity: the check constraint held
        session.rollback()
        raise CapacityBelowRegistered() from exc
    if event.is_published:
        if moved or "location" in changed:
            _notify_change(session, event, before, now)
        event_reminders.withdraw_event_reminders(session, event.id)
        event_reminders.queue_event_reminders(session, event, now)
    audit.record(session, actor, "event.update", "event", event.id, **changed)
    session.commit()
    return event


def _check_capacity(event: Event, changes: dict) -> None:
    if "capacity" not in changes or changes["capacity"] is None:
        return
    if not event.registration_required:
        raise InvalidEvent("活动信息有误：该活动无需报名，不能设置名额")
    if changes["capacity"] < event.registered_count:
        raise CapacityBelowRegistered(f"名额不能少于已报名人数（{event.registered_count} 人）")


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


# ---- registration ------------------------------------------------------------------------------------


def register(session: Session, event_id: int, staff: Staff, now: datetime | None = None) -> Event:
    """Take one place. The counter moves only by a conditional UPDATE, so capacity holds under any
    concurrency; the unique (event, staff) constraint stops a double registration. Returns the event
    (expired by the commit, so its counter reads fresh)."""
    now = now or utcnow()
    event = get_visible_event(session, event_id)
    if event.is_cancelled:
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
    if now >= event.starts_at and not event.is_cancelled:
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


def registered(event_id: Any, staff_id: Any) -> ColumnElement[bool]:
    """That the person is registered for the event, as SQL: what ``is_registered`` asks, and what the
    one-statement sign-in embeds (values or columns)."""
    return exists().where(EventRegistration.event_id == event_id, EventRegistration.staff_id == staff_id)


def is_registered(session: Session, event_id: int, staff_id: int) -> bool:
    return bool(session.scalar(select(registered(event_id, staff_id))))


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
