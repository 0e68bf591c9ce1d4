"""Claiming a wish exactly once, within the per-person cap; giving it back; an admin taking it back.

Claims are guarded by the wish's conditional update and by two unique constraints on ``wish_claim``:
one active claim per wish (``active_wish_id``) and one claim per numbered slot per person
(``active_staff_id, slot``), so the cap holds under concurrency on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Staff, Wish, WishClaim
from app.models.base import utcnow
from app.models.wish import CLAIM_RELEASED, CLAIM_REVOKED, OPEN, PUBLIC_STATUSES
from app.services import audit
from app.services.wishes.engine import finish, fresh, refusal_for, transition
from app.services.wishes.errors import ClaimLimitReached, WishClaimClosed, WishNotFound
from app.timeutil import local_datetime, local_today


def _deadline_end(day: date) -> datetime:
    """The end of a local calendar day, in UTC."""
    return local_datetime(day + timedelta(days=1), time(0)).astimezone(UTC)


def claim_wish(session: Session, wish_id: int, staff: Staff, now: datetime | None = None) -> WishClaim:
    """Claim an open wish for ``staff``. Exactly one of any number of concurrent claimers wins."""
    now = now or utcnow()
    limit = current_app.config["WISH_CLAIM_LIMIT"]
    row = session.execute(
        select(Wish.status, Wish.claim_deadline, Wish.claimer_id).where(Wish.id == wish_id)
    ).one_or_none()
    if row is None or row.status not in PUBLIC_STATUSES:
        raise WishNotFound()
    if row.status != OPEN:
        # Taken already: the crowd that lost the race is answered without queueing on the wish's lock.
        raise refusal_for(row.status, row.claimer_id, "claim", staff.id, must_be_claimer=False)
    if row.claim_deadline < local_today(now):
        raise WishClaimClosed()
    due_at = min(now + timedelta(days=current_app.config["WISH_FULFIL_DAYS"]), _deadline_end(row.claim_deadline))
    # A unique-constraint collision means a concurrent claim by the same person took the slot we
    # picked; the transaction is rolled back and tried again, which then sees that slot taken.
    for _ in range(limit + 2):
        try:
            return _try_claim(session, wish_id, staff, now, due_at, limit)
        except IntegrityError:
            session.rollback()
    raise ClaimLimitReached.for_limit(limit)


def _try_claim(session: Session, wish_id: int, staff: Staff, now: datetime, due_at: datetime, limit: int) -> WishClaim:
    actor = audit.Actor.staff(staff.id)
    # The wish row first: on PostgreSQL concurrent claimers queue on its row lock, on SQLite on the
    # database write lock, so what follows reads committed state.
    transition(session, wish_id, "claim", actor, requester_id=staff.id, values={"claimer_id": staff.id})
    used = set(session.scalars(select(WishClaim.slot).where(WishClaim.active_staff_id == staff.id)))
    free = [slot for slot in range(1, limit + 1) if slot not in used]
    if len(used) >= limit:  # also covers slots above a limit lowered since they were taken
        session.rollback()
        raise ClaimLimitReached.for_limit(limit)
    claim = WishClaim(
        wish_id=wish_id,
        staff_id=staff.id,
        claimed_at=now,
        due_at=due_at,
        active_wish_id=wish_id,
        active_staff_id=staff.id,
        slot=free[0],
    )
    session.add(claim)
    session.flush()
    finish(session, wish_id, actor, "claim", claim_id=claim.id)
    return claim


def release_claim(session: Session, wish_id: int, staff: Staff, reason: str | None = None) -> Wish:
    """The claimer gives the wish back; it is open again for others."""
    actor = audit.Actor.staff(staff.id)
    transition(session, wish_id, "release", actor, reason or "认领人主动放弃", claimer_id=staff.id,
               values={"claimer_id": None})
    finish(session, wish_id, actor, "release", end=CLAIM_RELEASED)
    return fresh(session, wish_id)


def revoke_claim(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    """An admin takes a claimed wish back and tells the claimer why."""
    transition(session, wish_id, "revoke", actor, reason, values={"claimer_id": None})
    finish(
        session, wish_id, actor, "revoke", end=CLAIM_REVOKED, reason=reason,
        notice=lambda wish, claim: (f"wish:{wish_id}:claim:{claim.id}:revoked",
                                    f"管理员收回了您认领的微心愿「{wish.title}」。原因：{reason}"),
    )
    return fresh(session, wish_id)
