"""道德讲堂 records and 感悟 (reflections).

An activity's record (``ledger_event_record``) holds the host, the speaker and the 环节 (by default the
five of the common format) with what each contained. Anyone who signed in to an event may write one
reflection (≤ 1,000 characters, checked with WeChat's msg_sec_check v2 like wish notes) and edit it
until an admin locks the record; admins pick up to three for the 台账. Locking sets ``locked`` on the
event's reflections, and an edit is ``UPDATE … WHERE id = ? AND locked = false``, so an edit racing a
lock either lands before it or is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.ledger_plan import LECTURE_SEGMENTS
from app.models import Checkin, Event, EventRecord, Reflection, Staff
from app.models.base import utcnow
from app.models.events import DIRECTION_IN
from app.services import audit, content_check
from app.services.ledger.errors import (
    EventNotFound,
    NotCheckedIn,
    RecordInvalid,
    RecordLocked,
    ReflectionInvalid,
    ReflectionNotFound,
    ReflectionRejected,
    SelectionInvalid,
)

REFLECTION_MAX = 1000
SELECTION_MAX = 3
SEGMENTS_MAX = 10
LECTURE_KIND = "道德讲堂"


def _event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None or event.is_draft:
        raise EventNotFound()
    return event


def find_record(session: Session, event_id: int) -> EventRecord | None:
    return session.get(EventRecord, event_id)


def record_view(session: Session, event_id: int) -> dict:
    """The record as shown and edited; a 道德讲堂 without one offers the five default 环节."""
    event = _event(session, event_id)
    record = find_record(session, event.id)
    segments = record.segments if record and record.segments else (
        [{"name": name, "content": ""} for name in LECTURE_SEGMENTS] if event.kind == LECTURE_KIND else []
    )
    return {
        "event_id": event.id,
        "host": record.host if record else None,
        "speaker": record.speaker if record else None,
        "segments": segments,
        "locked": bool(record and record.locked_at),
        "locked_at": record.locked_at if record else None,
    }


def _check_segments(segments: Sequence[dict]) -> list[dict]:
    if len(segments) > SEGMENTS_MAX:
        raise RecordInvalid(f"环节最多 {SEGMENTS_MAX} 个")
    checked = []
    for number, segment in enumerate(segments, start=1):
        name = str(segment.get("name", "")).strip()
        content = str(segment.get("content", "")).strip()
        if not 1 <= len(name) <= 20 or len(content) > 1000:
            raise RecordInvalid(f"第 {number} 个环节有误：名称应为 1 到 20 个字，内容不超过 1000 字")
        checked.append({"name": name, "content": content})
    return checked


def save_record(
    session: Session, event_id: int, actor: audit.Actor, *, host: str | None, speaker: str | None,
    segments: Sequence[dict] | None,
) -> dict:
    """Set an activity's host, speaker and 环节 (a locked record is refused)."""
    event = _event(session, event_id)
    record = find_record(session, event.id)
    if record is not None and record.locked_at is not None:
        raise RecordLocked("活动台账已锁定，不能再修改")
    if record is None:
        record = EventRecord(event_id=event.id)
        session.add(record)
    record.host, record.speaker = host, speaker
    if segments is not None:
        record.segments = _check_segments(segments)
    elif not record.segments and event.kind == LECTURE_KIND:
        record.segments = [{"name": name, "content": ""} for name in LECTURE_SEGMENTS]
    audit.record(session, actor, "ledger.save_record", "event", event.id)
    session.commit()
    return record_view(session, event.id)


def lock_record(session: Session, event_id: int, admin: Staff) -> dict:
    """Freeze the record and the event's reflections (idempotent)."""
    event = _event(session, event_id)
    record = find_record(session, event.id)
    if record is None:
        record = EventRecord(event_id=event.id, segments=[])
        session.add(record)
    if record.locked_at is None:
        record.locked_at, record.locked_by_id = utcnow(), admin.id
        audit.record(session, audit.Actor.staff(admin.id), "ledger.lock_record", "event", event.id)
    session.execute(update(Reflection).where(Reflection.event_id == event.id).values(locked=True))
    session.commit()
    return record_view(session, event.id)



def write_reflection(session: Session, event_id: int, staff: Staff, openid: str, content: str) -> tuple[Reflection, bool]:
    """Create or replace the person's reflection on an event; returns it and whether it is new."""
    event = _event(session, event_id)
    content = content.strip()
    if not 1 <= len(content) <= REFLECTION_MAX:
        raise ReflectionInvalid(f"感悟应为 1 到 {REFLECTION_MAX} 个字，现在是 {len(content)} 个")
    signed_in = session.scalar(select(Checkin.id).where(
        Checkin.event_id == event.id, Checkin.staff_id == staff.id, Checkin.direction == DIRECTION_IN
    ))
    if signed_in is None:
        raise NotCheckedIn()
    record = find_record(session, event.id)
    if record is not None and record.locked_at is not None:
        raise RecordLocked()
    status = content_check.check_text(openid, content, ReflectionRejected)
    for _attempt in range(2):
        existing = session.scalar(select(Reflection).where(
            Reflection.event_id == event.id, Reflection.staff_id == staff.id
        ))
        if existing is not None:
            changed = session.execute(
                update(Reflection)
                .where(Reflection.id == existing.id, Reflection.locked.is_(False))
                .values(content=content, status=status, updated_at=utcnow())
            ).rowcount
            if not changed:
                session.rollback()
                raise RecordLocked()
            session.commit()
            session.refresh(existing)
            return existing, False
        reflection = Reflection(event_id=event.id, staff_id=staff.id, content=content, status=status)
        session.add(reflection)
        try:
            session.commit()
        except IntegrityError:  # the same person's concurrent first submission won; edit it instead
            session.rollback()
            continue
        return reflection, True
    raise RecordLocked()  # pragma: no cover - the second pass always finds the winner's row


def my_reflection(session: Session, event_id: int, staff: Staff) -> Reflection:
    event = _event(session, event_id)
    reflection = session.scalar(select(Reflection).where(
        Reflection.event_id == event.id, Reflection.staff_id == staff.id
    ))
    if reflection is None:
        raise ReflectionNotFound()
    return reflection


def event_reflections(session: Session, event_id: int) -> list[Reflection]:
    event = _event(session, event_id)
    return list(session.scalars(
        select(Reflection).where(Reflection.event_id == event.id)
        .options(joinedload(Reflection.staff).joinedload(Staff.department))
        .order_by(Reflection.created_at, Reflection.id)
    ))


def select_reflections(session: Session, event_id: int, reflection_ids: Sequence[int], admin: Staff) -> list[Reflection]:
    """The admin's pick (1-3) for the 台账; replaces the previous pick."""
    event = _event(session, event_id)
    ids = set(reflection_ids)
    if not 1 <= len(ids) <= SELECTION_MAX:
        raise SelectionInvalid()
    found = set(session.scalars(select(Reflection.id).where(Reflection.event_id == event.id, Reflection.id.in_(ids))))
    if found != ids:
        raise SelectionInvalid(f"感悟 {'、'.join(map(str, sorted(ids - found)))} 不属于本活动")
    session.execute(update(Reflection).where(Reflection.event_id == event.id).values(selected=Reflection.id.in_(ids)))
    audit.record(session, audit.Actor.staff(admin.id), "ledger.select_reflections", "event", event.id,
                 reflections=sorted(ids))
    session.commit()
    return [reflection for reflection in event_reflections(session, event.id) if reflection.selected]
