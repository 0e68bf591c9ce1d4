"""Claiming a wish exactly once, within the per-person cap; giving it back; an admin taking it back.

Claims are guarded by the wish's conditional update and by two unique constraints on ``wish_claim``:
one active claim per wish (``active_wish_id``) and one claim per numbered slot per person
(``active_staff_id, slot``), so the cap holds under concurrency on SQLite and PostgreSQL alike.

A claim shows the claimer the beneficiary's full name, address and contact, so claiming is also what
could be abused to collect them: after a release the same person may not claim again for
``WISH_RECLAIM_COOLDOWN_HOURS``, and admins are told (once a day per person) when someone has released
``WISH_CHURN_ALERT_RELEASES`` claims within ``CHURN_WINDOW``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Staff, Wish, WishClaim
from app.models.base import utcnow
from app.models.wish import CLAIM_RELEASED, CLAIM_REVOKED, OPEN, PUBLIC_STATUSES
from app.services import audit, outbox, sql
from app.services.staff import active_admins
from app.services.wishes.engine import finish, fresh, refusal_for, transition
from app.services.wishes.errors import ClaimCoolingOff, ClaimLimitReached, WishClaimClosed, WishNotFound
from app.timeutil import format_local, local_days, local_today

# Releases within this window count towards the admins' churn notice.
CHURN_WINDOW = timedelta(days=7)


def _deadline_end(day: date) -> datetime:
    """The end of a local calendar day, in UTC."""
    return local_days(day, day)[1]


def claim_wish(session: Session, wish_id: int, staff: Staff, now: datetime | None = None) -> WishClaim:
    """Claim an open wish for ``staff``. Exactly one of any number of concurrent claimers wins.

    The checks before the claim only read; most of a crowd is refused by them (the wish is taken), so
    they run in autocommit when nothing else has begun a transaction, or in the caller's autocommit
    (the mini-program view's authentication, ``bound_required_reads_first``): no BEGIN and no ROLLBACK
    round trip for a refusal. They decide nothing alone: the claim itself is the conditional update
    below, in one transaction after leaving autocommit."""
    now = now or utcnow()
    limit = current_app.config["WISH_CLAIM_LIMIT"]
    with sql.reads_in_autocommit(session, stay=True):
        due_at = _claimable(session, wish_id, staff, now)
    sql.leave_autocommit(session)  # the claim below is one transaction
    # A unique-constraint collision means a concurrent claim by the same person took the slot we
    # picked; the transaction is rolled back and tried again, which then sees that slot taken.
    for _ in range(limit + 2):
        try:
            return _try_claim(session, wish_id, staff, now, due_at, limit)
        except IntegrityError:
            session.rollback()
    raise ClaimLimitReached.for_limit(limit)


# Built once (the crowd refused by it runs nothing else): see ``claim_wish``. One read for the wish and
# the person's latest release (for the cooling-off).
_LAST_RELEASE = (
    select(WishClaim.ended_at)
    .where(WishClaim.staff_id == bindparam("staff_id"), WishClaim.end_reason == CLAIM_RELEASED)
    .order_by(WishClaim.ended_at.desc())
    .limit(1)
)
_CLAIMABLE = select(
    Wish.status, Wish.claim_deadline, Wish.claimer_id, _LAST_RELEASE.scalar_subquery().label("released_at")
).where(Wish.id == bindparam("wish_id"))


def _claimable(session: Session, wish_id: int, staff: Staff, now: datetime) -> datetime:
    """Refuse a claim that cannot succeed (no such wish, taken, closed, cooling off); else when the
    claim will be due."""
    row = session.execute(_CLAIMABLE, {"wish_id": wish_id, "staff_id": staff.id}).one_or_none()
    if row is None or row.status not in PUBLIC_STATUSES:
        raise WishNotFound()
    if row.status != OPEN:
        # Taken already: the crowd that lost the race is answered without queueing on the wish's lock.
        raise refusal_for(row.status, row.claimer_id, "claim", staff.id, must_be_claimer=False)
    if row.claim_deadline < local_today(now):
        raise WishClaimClosed()
    _check_cooling_off(row.released_at, now)
    return min(now + timedelta(days=current_app.config["WISH_FULFIL_DAYS"]), _deadline_end(row.claim_deadline))


def _check_cooling_off(released_at: datetime | None, now: datetime) -> None:
    """Refuse a claim within ``WISH_RECLAIM_COOLDOWN_HOURS`` of the person's latest release."""
    hours = current_app.config["WISH_RECLAIM_COOLDOWN_HOURS"]
    if hours <= 0:
        return
    if released_at is None or released_at <= now - timedelta(hours=hours):
        return
    until = released_at + timedelta(hours=hours)
    raise ClaimCoolingOff(
        f"您于 {format_local(released_at, '%m月%d日 %H:%M')} 放弃了一个心愿。为保护受助人的个人信息，"
        f"放弃后 {hours:g} 小时内不能再认领，请于 {format_local(until, '%m月%d日 %H:%M')} 之后再来认领。"
    )


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


def release_claim(
    session: Session, wish_id: int, staff: Staff, reason: str | None = None, now: datetime | None = None
) -> Wish:
    """The claimer gives the wish back; it is open again for others (and the claimer cools off)."""
    now = now or utcnow()
    actor = audit.Actor.staff(staff.id)
    transition(session, wish_id, "release", actor, reason or "认领人主动放弃", claimer_id=staff.id,
               values={"claimer_id": None})
    _tell_admins_of_churn(session, wish_id, staff, now)
    finish(session, wish_id, actor, "release", end=CLAIM_RELEASED, now=now)
    return fresh(session, wish_id)


def _tell_admins_of_churn(session: Session, wish_id: int, staff: Staff, now: datetime) -> None:
    """Queue a notice to the admins when this release is the person's ``WISH_CHURN_ALERT_RELEASES``-th
    or later within ``CHURN_WINDOW``; keyed by person and local day, so at most one a day each."""
    threshold = current_app.config["WISH_CHURN_ALERT_RELEASES"]
    if threshold <= 0:
        return
    earlier = session.scalar(
        select(func.count())
        .select_from(WishClaim)
        .where(
            WishClaim.staff_id == staff.id,
            WishClaim.end_reason == CLAIM_RELEASED,
            WishClaim.ended_at > now - CHURN_WINDOW,
        )
    )
    releases = (earlier or 0) + 1  # this release's claim is ended by ``finish``, in this transaction
    if releases < threshold:
        return
    title = session.scalar(select(Wish.title).where(Wish.id == wish_id))
    outbox.enqueue_to_staff(
        session,
        f"wish-churn:{staff.id}:{local_today(now):%Y%m%d}",
        active_admins(session),
        outbox.text(
            f"请留意：{staff.name}（{staff.department.name}，工号 {staff.employee_no}）近 {CHURN_WINDOW.days} 天"
            f"已放弃 {releases} 次微心愿认领（最近一次：「{title}」）。每次认领都能看到受助人的姓名、住址和联系方式，"
            "反复认领又放弃可能是在收集这些信息，请核实。"
        ),
    )


def revoke_claim(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    """An admin takes a claimed wish back and tells the claimer why."""
    transition(session, wish_id, "revoke", actor, reason, values={"claimer_id": None})
    finish(
        session, wish_id, actor, "revoke", end=CLAIM_REVOKED, reason=reason,
        notice=lambda wish, claim: (f"wish:{wish_id}:claim:{claim.id}:revoked",
                                    f"管理员收回了您认领的微心愿「{wish.title}」。原因：{reason}"),
    )
    return fresh(session, wish_id)
