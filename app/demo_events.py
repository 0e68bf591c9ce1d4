"""Demo events for ``flask seed-demo``: one of each kind that behaves differently. Safe to run repeatedly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Event
from app.models.base import utcnow
from app.services import audit, events


def seed_demo_events(session: Session) -> int:
    """Create the demo events that do not exist yet (matched by title); returns how many were created."""
    soon = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    drafts = [
        # Sign-in is open now: try the printed code, the venue screen and a second scan.
        events.EventDraft(
            kind="道德讲堂", title="道德讲堂：孝老爱亲 向上向善", starts_at=soon, ends_at=soon + timedelta(hours=1, minutes=30),
            location="机关三楼多功能厅", description="身边好人讲述、诵读经典、发出善心善行倡议。",
            live_code_only=False,  # the demo takes the printed code too (a real 道德讲堂 takes the screen's only)
        ),
        # Registration with a capacity, and sign-out that credits volunteer hours.
        events.EventDraft(
            kind="志愿服务", title="学雷锋志愿服务：幸福社区环境整治", starts_at=soon + timedelta(days=1),
            ends_at=soon + timedelta(days=1, hours=3), location="幸福社区党群服务中心",
            latitude=39.9087, longitude=116.3975, radius_m=500, capacity=20, registration_required=True,
            checkout_required=True, description="清理楼道小广告、绿化带垃圾，劝导文明停车。",
        ),
        events.EventDraft(
            kind="传统节日", title="我们的节日·端午：包粽子 话传统", starts_at=soon + timedelta(days=7),
            ends_at=soon + timedelta(days=7, hours=2), location="机关食堂",
        ),
    ]
    existing = set(session.scalars(select(Event.title).where(Event.title.in_([d.title for d in drafts]))))
    created = 0
    for draft in drafts:
        if draft.title not in existing:
            events.create_event(session, draft, audit.Actor.system())
            created += 1
    return created
