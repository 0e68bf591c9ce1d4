"""The scheduled jobs around claims: release overdue claims, remind claimers before they fall due.

Both are idempotent: conditional updates, and outbox keys that name the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Wish, WishClaim
from app.models.wish import CLAIM_EXPIRED, CLAIMED
from app.services import audit, outbox
from app.services.wishes.engine import finish, transition
from app.timeutil import format_local


def release_overdue_claims(session: Session, now: datetime) -> int:
    """Give back every claimed (not yet fulfilled) wish whose claim is past due; tell the claimer.

    Each wish is its own transaction; a wish that changed meanwhile (proof submitted, released) is
    skipped by the conditional update. Safe to run twice. Returns how many were released.
    """
    overdue = session.execute(
        select(WishClaim.id, WishClaim.wish_id, WishClaim.staff_id)
        .join(Wish, Wish.id == WishClaim.active_wish_id)
        .where(WishClaim.due_at <= now, Wish.status == CLAIMED)
        .order_by(WishClaim.due_at)
    ).all()
    actor = audit.Actor.system()
    released = 0
    for claim_id, wish_id, staff_id in overdue:
        try:
            transition(session, wish_id, "expire", actor, "认领期限已过，系统自动释放", claimer_id=staff_id,
                       values={"claimer_id": None})
        except AppError:
            continue  # someone acted on it in the meantime
        finish(
            session, wish_id, actor, "expire", end=CLAIM_EXPIRED, now=now, claim_id=claim_id,
            notice=lambda wish, claim: (
                f"wish:{wish.id}:claim:{claim.id}:expired",
                f"您认领的微心愿「{wish.title}」已超过完成期限（{format_local(claim.due_at)}），"
                "系统已自动释放，其他同事可以继续认领。如已完成，请联系管理员。",
            ),
        )
        released += 1
    return released


def remind_claims_due(session: Session, now: datetime) -> int:
    """Queue one reminder per claim that falls due within ``WISH_REMIND_DAYS_BEFORE`` days.

    The dedup key names the claim, so a job that fires twice (or every hour) queues each reminder
    once. Returns how many were queued.
    """
    horizon = now + timedelta(days=current_app.config["WISH_REMIND_DAYS_BEFORE"])
    claims = session.scalars(
        select(WishClaim)
        .join(Wish, Wish.id == WishClaim.active_wish_id)
        .where(Wish.status == CLAIMED, WishClaim.due_at > now, WishClaim.due_at <= horizon)
        .order_by(WishClaim.due_at)
    ).all()
    queued = 0
    for claim in claims:
        queued += outbox.enqueue_to_staff(
            session,
            f"wish:{claim.wish_id}:claim:{claim.id}:due-reminder",
            [claim.staff],
            outbox.text(f"您认领的微心愿「{claim.wish.title}」将于 {format_local(claim.due_at)} 到期，"
                        "请在到期前在小程序中提交完成凭证（照片和说明）。"),
        )
    session.commit()
    return queued
