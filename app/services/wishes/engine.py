"""The transition engine: every status change of a wish, and the tail every change shares.

A change is a conditional ``UPDATE wish SET status = <to> WHERE id = ? AND status = <from>`` whose
rowcount decides who won, plus a ``wish_transition`` row; ``finish`` then ends the active claim if
the change ends it, tells its holder, writes the audit entry and commits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Wish, WishClaim, WishTransition
from app.models.base import utcnow
from app.models.wish import CLAIMED, CONFIRMED, FULFILLED, STATUS_LABELS, TRANSITIONS
from app.services import audit, outbox, sql
from app.services.wishes.errors import (
    InvalidWishTransition,
    NotClaimer,
    WishAlreadyClaimed,
    WishAlreadyYours,
    WishNotFound,
)

# What the holder of a claim is told: (wish, claim) -> (outbox dedup key, text).
Notice = Callable[[Wish, WishClaim], tuple[str, str]]


def refusal(session: Session, wish_id: int, action: str, requester_id: int | None, must_be_claimer: bool) -> AppError:
    """Why a conditional update matched no row, as the error the caller should see (read in autocommit
    after the caller's rollback: no BEGIN, no ROLLBACK round trip)."""
    with sql.reads_in_autocommit(session):
        row = session.execute(select(Wish.status, Wish.claimer_id).where(Wish.id == wish_id)).one_or_none()
    if row is None:
        return WishNotFound()
    return refusal_for(row.status, row.claimer_id, action, requester_id, must_be_claimer)


def refusal_for(
    status: str, claimer_id: int | None, action: str, requester_id: int | None, must_be_claimer: bool
) -> AppError:
    transition = TRANSITIONS[action]
    if action == "claim" and status in (CLAIMED, FULFILLED, CONFIRMED):
        if claimer_id is not None and claimer_id == requester_id:
            return WishAlreadyYours()
        return WishAlreadyClaimed()
    if must_be_claimer and status in transition.sources and claimer_id != requester_id:
        return NotClaimer()
    return InvalidWishTransition(f"心愿当前状态为「{STATUS_LABELS[status]}」，不能{transition.label}")


def transition(
    session: Session,
    wish_id: int,
    action: str,
    actor: audit.Actor,
    reason: str | None = None,
    *,
    claimer_id: int | None = None,
    requester_id: int | None = None,
    values: dict[str, Any] | None = None,
) -> str:
    """Move a wish along the lifecycle if, and only if, it is in a legal source status right now.

    ``claimer_id`` additionally requires the wish to be held by that person; ``requester_id`` names
    who asks, for the error message. Returns the source status; on refusal rolls back and raises the
    matching 404/403/409.
    """
    step = TRANSITIONS[action]
    values = values or {}
    by_claimer = claimer_id is not None
    value_keys = tuple(sorted(values))
    parameters = {"wish_id": wish_id, "claimer": claimer_id, "now": utcnow()}
    parameters.update({f"set_{key}": value for key, value in values.items()})
    session.flush()  # as an ORM update would: what the caller added goes first
    for source in sorted(step.sources):
        if session.execute(_conditional_update(source, step.target, by_claimer, value_keys), parameters).rowcount == 1:
            session.execute(_RECORD_TRANSITION, {
                "wish_id": wish_id, "action": action, "from_status": source, "to_status": step.target,
                "actor_type": actor.type, "actor_id": actor.id, "reason": reason,
            })
            return source
    session.rollback()
    raise refusal(session, wish_id, action, claimer_id or requester_id, must_be_claimer=by_claimer)


@functools.cache
def _conditional_update(source: str, target: str, by_claimer: bool, value_keys: tuple[str, ...]) -> Update:
    """``UPDATE wish SET status = <target>, … WHERE id = :wish_id AND status = <source>`` (and the
    claimer), built once per shape: building it per call cost more CPU than its round trip."""
    table = Wish.__table__
    statement = update(table).where(table.c.id == bindparam("wish_id"), table.c.status == source)
    if by_claimer:
        statement = statement.where(table.c.claimer_id == bindparam("claimer"))
    return statement.values(
        status=target,
        updated_at=bindparam("now", type_=table.c.updated_at.type),
        **{key: bindparam(f"set_{key}", type_=table.c[key].type) for key in value_keys},
    )


# The transition's row, written at once (nothing reads it back in the request).
_RECORD_TRANSITION = insert(WishTransition.__table__)


def active_claim(session: Session, wish_id: int) -> WishClaim | None:
    return session.scalar(select(WishClaim).where(WishClaim.active_wish_id == wish_id))


def finish(
    session: Session,
    wish_id: int,
    actor: audit.Actor,
    action: str,
    *,
    end: str | None = None,
    notice: Notice | None = None,
    now: datetime | None = None,
    keep_state: bool = False,
    **details: Any,
) -> None:
    """The tail of every change: end the wish's active claim (``end`` says why; its slot is freed and
    its pending reminder withdrawn), tell the claim's holder (``notice``), audit as ``wish.<action>``
    and commit (``keep_state``: without expiring what the caller answers from)."""
    claim = active_claim(session, wish_id) if end or notice else None
    if claim is not None:
        wish = claim.wish  # loaded with the claim; the title and beneficiary did not change
        if end:
            claim.ended_at = now or utcnow()
            claim.end_reason = end
            claim.active_wish_id = None
            claim.active_staff_id = None
            claim.slot = None
            outbox.withdraw(session, f"wish:{claim.wish_id}:claim:{claim.id}:due-reminder")
        if notice:
            key, text = notice(wish, claim)
            outbox.enqueue_to_staff(session, key, [claim.staff], outbox.text(text))
    audit.record(session, actor, f"wish.{action}", "wish", wish_id, **details)
    if keep_state:
        sql.commit_keeping_state(session)
    else:
        session.commit()


def fresh(session: Session, wish_id: int) -> Wish:
    """The wish as the database has it now (the conditional updates bypass the identity map)."""
    wish = session.get(Wish, wish_id, populate_existing=True)
    assert wish is not None  # callers have just updated it
    return wish
