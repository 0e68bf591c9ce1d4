"""Demo push targets for ``flask seed-demo``: two group robots the sandbox accepts. Safe to run repeatedly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import PushTarget
from app.models.messaging import TARGET_ROBOT

DEMO_ROBOTS = [("机关一支部群（演示）", "demo-robot-key-0001"), ("机关二支部群（演示）", "demo-robot-key-0002")]


def seed_demo_push_targets(session: Session) -> int:
    existing = set(session.scalars(select(PushTarget.address).where(PushTarget.kind == TARGET_ROBOT)))
    created = [PushTarget(name=name, kind=TARGET_ROBOT, address=key) for name, key in DEMO_ROBOTS if key not in existing]
    session.add_all(created)
    return len(created)
