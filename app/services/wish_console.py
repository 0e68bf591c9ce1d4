"""微心愿 for the console: the wishes service's public functions behind the console's roles (admins
change, leaders read) with the full beneficiary details only for admins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Staff, Wish, WishPhoto, WishTransition
from app.models.wish import STATUS_LABELS
from app.services import wishes
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require


class InvalidWishFilter(AppError):
    code = "invalid_filter"
    message = "没有这种心愿状态"


@dataclass
class WishPage:
    wish: Wish
    details: dict[str, Any] | None  # full beneficiary, claim, proofs: admins only
    history: list[WishTransition]


def _staff(session: Session, viewer: Viewer) -> Staff:
    return session.get(Staff, viewer.staff_id)


def list_wishes(session: Session, viewer: Viewer, status: str = "", page: int = 1) -> Page:
    require(viewer, "wishes.view")
    if status and status not in STATUS_LABELS:
        raise InvalidWishFilter()
    return paginate(session, wishes.wishes_query(status or None, admin=True), page)


def wish_page(session: Session, viewer: Viewer, wish_id: int) -> WishPage:
    require(viewer, "wishes.view")
    staff = _staff(session, viewer)
    wish = wishes.get_wish(session, wish_id, staff)
    details = wishes.wish_details(session, wish, staff) if viewer.can("wishes.manage") else None
    return WishPage(wish, details, wishes.wish_history(session, wish_id))


def photo(session: Session, viewer: Viewer, wish_id: int, photo_id: int) -> WishPhoto:
    """A wish photo for anyone who may read wishes; proof photos for admins (as the service decides)."""
    require(viewer, "wishes.view")
    return wishes.photo_for_viewer(session, wish_id, photo_id, _staff(session, viewer))


def create(session: Session, viewer: Viewer, draft: wishes.WishDraft, photos: list[BinaryIO], publish: bool) -> Wish:
    require(viewer, "wishes.manage")
    return wishes.create_wish(session, draft, viewer.actor, photos=photos, publish=publish)


def act(session: Session, viewer: Viewer, wish_id: int, action: str, reason: str = "", approve_note: bool = False) -> Wish:
    """publish, withdraw (reason), revoke a claim (reason), confirm the proof, return it (reason)."""
    require(viewer, "wishes.manage")
    actor = viewer.actor
    if action == "publish":
        return wishes.publish_wish(session, wish_id, actor)
    if action == "confirm":
        return wishes.confirm_wish(session, wish_id, actor, approve_note=approve_note)
    if not reason.strip():
        raise AppError("请填写原因", code="reason_required")
    if action == "withdraw":
        return wishes.withdraw_wish(session, wish_id, actor, reason.strip())
    if action == "revoke":
        return wishes.revoke_claim(session, wish_id, actor, reason.strip())
    if action == "return":
        return wishes.return_proof(session, wish_id, actor, reason.strip())
    raise AppError("没有这个操作", code="unknown_action")
