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

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import BigInteger, Row, bindparam, cast, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.models import MiniProgramAccount, Staff, Wish, WishClaim
from app.models.base import UTCDateTime, utcnow
from app.models.wish import CLAIM_RELEASED, CLAIM_REVOKED, OPEN, PUBLIC_STATUSES
from app.services import audit, auth, outbox, sql
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

    The checks before the claim only read (in autocommit when nothing else has begun a transaction: no
    BEGIN and no ROLLBACK round trip for a refusal). They decide nothing alone: the claim itself is the
    conditional update in ``_claim``, in one transaction. The mini-program claims by token instead
    (``look_before_claim``, then ``claim_as_looked``)."""
    now = now or utcnow()
    with sql.reads_in_autocommit(session):
        row = session.execute(_CLAIMABLE, {"wish_id": wish_id, "staff_id": staff.id}).one_or_none()
    return _claim(session, wish_id, staff.id, now, row)


@dataclass(frozen=True)
class ClaimLook:
    """What one read before a claim found: who asks, and the wish as it stands (``row``)."""

    wish_id: int
    staff_id: int
    account_id: int
    now: datetime
    row: Row


def look_before_claim(session: Session, token: str, wish_id: int, now: datetime | None = None) -> ClaimLook | None:
    """The person behind ``token`` and the wish they want to claim, in one statement.

    The statement authenticates as ``auth.bound_staff`` does (through ``auth.bound_staff_query``, its
    SQL twin: a valid token of an account bound to an active roster entry), read afresh on every
    request, so a revoked token or a deactivated person is refused at once. None when the token is not
    such a person's: the caller then authenticates the full way, which answers why (401 or 403)
    exactly as on every endpoint.

    Most of a crowd of claimers finds the wish taken: for them this read is the whole request's
    database work, in autocommit when the session has no transaction (no BEGIN, no ROLLBACK), through
    the connection (no ORM objects are built). ``claim_as_looked`` answers the refusal or claims; the
    session stays in autocommit until it leaves it before the claim's writes (a refusal ends the
    request)."""
    now = now or utcnow()
    connection = sql.autocommit(session) or session.connection()
    row = connection.execute(_LOOK, {"token_hash": auth.hash_token(token), "now": now, "wish_id": wish_id}).one_or_none()
    if row is None:
        sql.leave_autocommit(session)
        return None
    return ClaimLook(wish_id, row.staff_id, row.account_id, now, row)


def claim_as_looked(session: Session, look: ClaimLook) -> WishClaim:
    """Refuse the claim ``look`` found impossible (no such wish, taken, closed, cooling off, the person
    at the cap), or claim it as ``claim_wish`` does."""
    return _claim(session, look.wish_id, look.staff_id, look.now, look.row)


def _claim(session: Session, wish_id: int, staff_id: int, now: datetime, row: Row | None) -> WishClaim:
    """Refuse what the read ``row`` rules out; else the claim itself, in one transaction after leaving
    any autocommit of the read."""
    due_at = _due_at(row, staff_id, now)
    limit = current_app.config["WISH_CLAIM_LIMIT"]
    used = _slots(row.used_slots)
    _free_slot(used, limit)  # someone at the cap is refused before any write
    sql.leave_autocommit(session)
    # A unique-constraint collision means a concurrent claim by the same person took the slot we
    # picked; the transaction is rolled back and tried again, reading the slots afresh inside it.
    for _ in range(limit + 2):
        try:
            return _try_claim(session, wish_id, staff_id, now, due_at, limit, used)
        except IntegrityError:
            session.rollback()
            used = None
    raise ClaimLimitReached.for_limit(limit)


def _slots(mask: int | None) -> set[int]:
    """The slot numbers in ``used_slots`` (bit n set: slot n is taken)."""
    mask = int(mask or 0)  # PostgreSQL's sum of bigints is a numeric
    return {slot for slot in range(mask.bit_length()) if mask >> slot & 1}


def _free_slot(used: set[int], limit: int) -> int:
    """The lowest free slot within the cap; ``ClaimLimitReached`` when there is none (also when slots
    above a limit lowered since they were taken fill it)."""
    if len(used) >= limit:
        raise ClaimLimitReached.for_limit(limit)
    return min(slot for slot in range(1, limit + 1) if slot not in used)


# Built once (the crowd refused by them runs nothing else). The wish, the person's latest release (for
# the cooling-off) and the slots of their active claims (for the cap) in one read; ``_LOOK`` also
# authenticates the token (``look_before_claim``).
def _used_slots(staff_id):
    """The person's taken slots as one 64-bit integer, bit n for slot n (``_slots`` reads it back;
    ``WISH_CLAIM_LIMIT`` is at most ``config.MAX_CLAIM_LIMIT``)."""
    return (
        select(cast(func.coalesce(func.sum(cast(literal_column("1"), BigInteger).op("<<")(WishClaim.slot)), 0), BigInteger))
        .where(WishClaim.active_staff_id == staff_id)
        .scalar_subquery()
        .label("used_slots")
    )


def _latest_release(staff_id):
    return (
        select(WishClaim.ended_at)
        .where(WishClaim.staff_id == staff_id, WishClaim.end_reason == CLAIM_RELEASED)
        .order_by(WishClaim.ended_at.desc())
        .limit(1)
        .scalar_subquery()
        .label("released_at")
    )


_CLAIMABLE = select(
    Wish.status, Wish.claim_deadline, Wish.claimer_id, _latest_release(bindparam("staff_id")),
    _used_slots(bindparam("staff_id")),
).where(Wish.id == bindparam("wish_id"))
_PERSON = (
    auth.bound_staff_query(bindparam("token_hash"), bindparam("now", type_=UTCDateTime()))
    .add_columns(MiniProgramAccount.id.label("account_id"))
    .subquery("person")
)
_LOOK = (
    select(
        _PERSON.c.staff_id, _PERSON.c.account_id, Wish.status, Wish.claim_deadline, Wish.claimer_id,
        _latest_release(_PERSON.c.staff_id), _used_slots(_PERSON.c.staff_id),
    )
    .select_from(_PERSON)
    .outerjoin(Wish, Wish.id == bindparam("wish_id"))
)


def _due_at(row: Row | None, staff_id: int, now: datetime) -> datetime:
    """Refuse a claim that cannot succeed (no such wish, taken, closed, cooling off); else when the
    claim will be due. ``row``: the wish's status, deadline and claimer, and the person's latest release."""
    if row is None or row.status not in PUBLIC_STATUSES:  # also no such wish: the outer join's NULL
        raise WishNotFound()
    if row.status != OPEN:
        # Taken already: the crowd that lost the race is answered without queueing on the wish's lock.
        raise refusal_for(row.status, row.claimer_id, "claim", staff_id, must_be_claimer=False)
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


def _try_claim(
    session: Session, wish_id: int, staff_id: int, now: datetime, due_at: datetime, limit: int, used: set[int] | None
) -> WishClaim:
    """One attempt; ``used``: the person's taken slots as read before, or None to read them here."""
    actor = audit.Actor.staff(staff_id)
    # The wish row first: on PostgreSQL concurrent claimers queue on its row lock, on SQLite on the
    # database write lock, so what follows reads committed state.
    transition(session, wish_id, "claim", actor, requester_id=staff_id, values={"claimer_id": staff_id})
    if used is None:
        used = set(session.scalars(select(WishClaim.slot).where(WishClaim.active_staff_id == staff_id)))
    try:
        slot = _free_slot(used, limit)
    except ClaimLimitReached:
        session.rollback()
        raise
    claim = WishClaim(
        wish_id=wish_id,
        staff_id=staff_id,
        claimed_at=now,
        due_at=due_at,
        active_wish_id=wish_id,
        active_staff_id=staff_id,
        slot=slot,
    )
    session.add(claim)
    session.flush()
    finish(session, wish_id, actor, "claim", claim_id=claim.id, keep_state=True)
    # The answer shows the wish as claimed, with its photos, its proofs (the person's own from an earlier
    # claim) and the claimer (whose roles decide what they see): one read after the commit, in
    # autocommit (no BEGIN, no ROLLBACK round trip), set on the claim as loaded (no history, nothing to
    # flush). The viewer is the person who claimed, also should the wish have changed hands since.
    sql.autocommit(session)
    wish = session.execute(_FOR_ANSWER, {"wish_id": wish_id}).unique().scalar_one()
    sql.leave_autocommit(session)  # no round trip; a caller's next write is a transaction again
    set_committed_value(claim, "wish", wish)
    set_committed_value(claim, "staff", wish.claimer if wish.claimer_id == staff_id else session.get(Staff, staff_id))
    return claim


_FOR_ANSWER = (
    select(Wish)
    .where(Wish.id == bindparam("wish_id"))
    .options(
        joinedload(Wish.claimer).options(joinedload(Staff.department), joinedload(Staff.roles)),
        joinedload(Wish.photos),
        joinedload(Wish.proofs),
    )
    .execution_options(populate_existing=True)  # as the database has it now, also if read before
)


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
