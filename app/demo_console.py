"""A large data set for the console's benchmark (``flask console seed-large``): by default 2,000 staff
in 20 departments, 500 events over the past year, 50,000 sign-ins (half with a sign-out), 200 wishes and this year's
plan (台账).
Bulk inserts; meant for an empty scratch database."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models import Checkin, Department, Event, Staff, Wish
from app.models.base import utcnow
from app.models.events import EVENT_KINDS
from app.timeutil import local_today


def seed_large(session: Session, staff: int = 2000, departments: int = 20, events: int = 500, checkins: int = 50_000, wishes: int = 200) -> dict[str, int]:
    rng = random.Random(13)
    now = utcnow()
    session.execute(insert(Department), [{"name": f"压测部门{d:02d}", "created_at": now} for d in range(departments)])
    department_ids = list(session.scalars(select(Department.id).where(Department.name.like("压测部门%"))))
    session.execute(insert(Staff), [
        {"name": f"员工{i:04d}", "employee_no": f"L{i:05d}", "department_id": department_ids[i % len(department_ids)],
         "active": True, "created_at": now, "updated_at": now}
        for i in range(staff)
    ])
    staff_ids = list(session.scalars(select(Staff.id).where(Staff.employee_no.like("L%"))))
    rows = []
    for number in range(events):
        starts = now - timedelta(days=rng.randint(0, 360), hours=rng.randint(0, 8)) + timedelta(days=30 if number < 10 else 0)
        rows.append({
            "kind": EVENT_KINDS[number % len(EVENT_KINDS)], "title": f"压测活动{number}", "description": "",
            "starts_at": starts, "ends_at": starts + timedelta(hours=2), "checkin_opens_at": starts - timedelta(minutes=30),
            "checkin_closes_at": starts + timedelta(minutes=30), "checkout_required": number % 2 == 0,
            "checkout_closes_at": starts + timedelta(hours=3) if number % 2 == 0 else None,
            "registration_required": False, "registered_count": 0, "status": "published",
            "created_at": now, "updated_at": now,
        })
    session.execute(insert(Event), rows)
    event_rows = session.execute(select(Event.id, Event.starts_at, Event.checkout_required).where(Event.title.like("压测活动%"))).all()
    per_event = max(1, checkins // len(event_rows))
    records = []
    for event_id, starts, checkout in event_rows:
        for staff_id in rng.sample(staff_ids, min(per_event, len(staff_ids))):
            records.append({"event_id": event_id, "staff_id": staff_id, "direction": "in", "at": starts, "method": "printed"})
            if checkout and len(records) % 2 == 0:
                records.append({"event_id": event_id, "staff_id": staff_id, "direction": "out", "at": starts + timedelta(hours=2),
                                "method": "printed", "credited_minutes": 120})
    for start in range(0, len(records), 5000):
        session.execute(insert(Checkin), records[start:start + 5000])
    statuses = ["open", "claimed", "confirmed", "draft"]
    session.execute(insert(Wish), [
        {"title": f"压测心愿{w}", "story": "压测", "category": "goods", "beneficiary_name": "王小明", "village": "红旗村",
         "claim_deadline": local_today() + timedelta(days=30), "status": statuses[w % len(statuses)],
         "claimer_id": staff_ids[w] if statuses[w % len(statuses)] in ("claimed", "confirmed") else None,
         "created_at": now, "updated_at": now}
        for w in range(wishes)
    ])
    session.commit()
    from app.services import audit
    from app.services.ledger import plan

    if plan.find_plan(session, local_today().year) is None:  # the 首页's 台账 panel reads this year's plan
        plan.init_plan(session, local_today().year, audit.Actor.system())
    return {"staff": len(staff_ids), "events": len(event_rows), "checkins": len(records), "wishes": wishes}
