"""Reading wishes: lists, one wish, the private details, photos, history and statistics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, joinedload

from app.models import Department, Staff, Wish, WishClaim, WishPhoto, WishProof, WishTransition
from app.models.wish import CONFIRMED, PUBLIC_STATUSES, STATUS_LABELS
from app.services.wishes.engine import active_claim
from app.services.wishes.errors import PhotoForbidden, PhotoNotFound, WishNotFound


def wishes_query(status: str | None = None, category: str | None = None, admin: bool = False) -> Select:
    """Wishes newest first; drafts and withdrawn wishes only for admins."""
    statement = (
        select(Wish).options(joinedload(Wish.claimer).joinedload(Staff.department)).order_by(Wish.id.desc())
    )
    if status:
        statement = statement.where(Wish.status == status)
    elif not admin:
        statement = statement.where(Wish.status.in_(PUBLIC_STATUSES))
    if category:
        statement = statement.where(Wish.category == category)
    return statement


def my_claims_query(staff_id: int) -> Select:
    return select(WishClaim).where(WishClaim.staff_id == staff_id).order_by(WishClaim.id.desc())


def get_wish(session: Session, wish_id: int, viewer: Staff | None) -> Wish:
    """A wish the viewer may see: drafts and withdrawn wishes are hidden from non-admins."""
    wish = session.get(Wish, wish_id)
    if wish is None or (not wish.is_public() and not (viewer is not None and viewer.is_admin)):
        raise WishNotFound()
    return wish


def wish_details(
    session: Session, wish: Wish, viewer: Staff | None, active: WishClaim | None = None
) -> dict[str, Any] | None:
    """What only the claimer and admins see: full beneficiary details, the claim and the proofs.

    Admins see every proof; a claimer only their own, not an earlier claimer's (as ``photo_for_viewer``).
    The beneficiary's details are there for the claimer only while the claim runs: once confirmed, the
    former claimer keeps their proofs but not the name, address and contact. ``active``: the wish's
    active claim when the caller holds it (a claim just made); read otherwise. The proofs are
    ``wish.proofs``, read here unless the caller loaded them with the wish.
    """
    if viewer is None or not wish.can_see_private(viewer):
        return None
    admin = viewer.is_admin
    beneficiary = wish.can_see_beneficiary(viewer)
    return {
        "beneficiary_name": wish.beneficiary_name if beneficiary else None,
        "household": wish.household if beneficiary else None,
        "contact": wish.contact if beneficiary else None,
        "claim": active if active is not None else active_claim(session, wish.id),
        "proofs": [proof for proof in wish.proofs if admin or proof.staff_id == viewer.id],
    }


def wish_history(session: Session, wish_id: int) -> list[WishTransition]:
    return list(
        session.scalars(select(WishTransition).where(WishTransition.wish_id == wish_id).order_by(WishTransition.id))
    )


def photo_for_viewer(session: Session, wish_id: int, photo_id: int, viewer: Staff | None) -> WishPhoto:
    """Wish photos for anyone who may see the wish; proof photos only for their author and admins."""
    photo = session.get(WishPhoto, photo_id)
    if photo is None or photo.wish_id != wish_id:
        raise PhotoNotFound()
    get_wish(session, wish_id, viewer)
    if photo.proof_id is not None:
        author = session.scalar(select(WishProof.staff_id).where(WishProof.id == photo.proof_id))
        if not (viewer is not None and (viewer.is_admin or author == viewer.id)):
            raise PhotoForbidden()
    return photo


def count_wishes_by_status(session: Session) -> dict[str, int]:
    """Every status with its count, zeros included (for statistics)."""
    counts = dict(session.execute(select(Wish.status, func.count()).group_by(Wish.status)).all())
    return {status: counts.get(status, 0) for status in STATUS_LABELS}


def fulfilled_wishes_by_department(session: Session) -> list[tuple[str, int]]:
    """Confirmed wishes per department of the claimer, every department listed, most first."""
    fulfilled = func.count(Wish.id)
    rows = session.execute(
        select(Department.name, fulfilled)
        .select_from(Department)
        .outerjoin(Staff, Staff.department_id == Department.id)
        .outerjoin(Wish, and_(Wish.claimer_id == Staff.id, Wish.status == CONFIRMED))
        .group_by(Department.id, Department.name)
        .order_by(fulfilled.desc(), Department.name)
    ).all()
    return [(name, count) for name, count in rows]
