"""Helpers for the 创建台账 tests: a year's plan, held events with sign-ins, documents."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from app.extensions import db
from app.models import Checkin, LedgerItem
from app.models.events import DIRECTION_IN, DIRECTION_OUT, METHOD_MANUAL
from app.services import audit
from app.services.ledger import documents, plan
from app.timeutil import local_datetime
from tests import factories

# The ledger tests' "now": 2026-12-01 (the second half-year is a month from its end).
NOW = local_datetime(date(2026, 12, 1), time(10, 0))


def init_plan(year: int = 2026):
    return plan.init_plan(db.session, year, audit.Actor.system())


def item(year: int, number: int) -> LedgerItem:
    return plan.get_item(db.session, year, number)


def held_event(kind: str, day: date, title: str | None = None, hours: float = 2, **fields):
    starts_at = local_datetime(day, time(14, 30))
    return factories.make_event(kind=kind, title=title or f"{kind}活动", starts_at=starts_at,
                                ends_at=starts_at + timedelta(hours=hours), reminders=[], **fields)


def sign_in_people(event, people, checkout_minutes: int | None = None) -> None:
    for person in people:
        db.session.add(Checkin(event_id=event.id, staff_id=person.id, direction=DIRECTION_IN,
                               at=event.starts_at, method=METHOD_MANUAL))
        if checkout_minutes is not None:
            db.session.add(Checkin(event_id=event.id, staff_id=person.id, direction=DIRECTION_OUT,
                                   at=event.ends_at, method=METHOD_MANUAL, credited_minutes=checkout_minutes))
    db.session.commit()


def pdf_bytes(text: str = "test") -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n" + text.encode())


def add_document(year: int, number: int, kind: str, data: bytes, name: str = "doc.pdf", dated: date | None = None,
                 event_id: int | None = None):
    return documents.add_document(
        db.session, item_id=item(year, number).id, kind=kind, title=name.rsplit(".", 1)[0], stream=io.BytesIO(data),
        filename=name, actor=audit.Actor.system(), dated=dated, event_id=event_id,
    )


def at(day: date, hour: int = 10) -> datetime:
    return local_datetime(day, time(hour, 0))


def image_png(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(out, "PNG")
    return out.getvalue()
