"""Proof of fulfilment: the claimer submits photos and a note; an admin confirms it or returns it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Staff, Wish, WishProof
from app.models.base import utcnow
from app.models.wish import CLAIM_COMPLETED, CLAIMED, NOTE_APPROVED, NOTE_HELD, NOTE_PASSED
from app.services import audit, content_check, images, outbox
from app.services.staff import active_admins
from app.services.wishes.engine import active_claim, finish, fresh, refusal_for, transition
from app.services.wishes.errors import (
    MAX_PHOTOS,
    NoteRejected,
    NoteReviewRequired,
    PhotoCountInvalid,
    WishNotFound,
)
from app.services.wishes.photos import stored_photos
from app.timeutil import format_local

# A returned proof gives the claimer at least this long to submit again.
RETURN_GRACE = timedelta(days=3)



def check_proof_allowed(session: Session, wish_id: int, staff: Staff) -> None:
    """404/403/409 unless ``staff`` holds the claim on this wish and may submit proof now. Cheap: the
    upload view asks before it reads the request body."""
    wish = session.get(Wish, wish_id)
    if wish is None or not wish.is_public():
        raise WishNotFound()
    if wish.status != CLAIMED or wish.claimer_id != staff.id:
        raise refusal_for(wish.status, wish.claimer_id, "submit_proof", staff.id, must_be_claimer=True)


def submit_proof(
    session: Session, wish_id: int, staff: Staff, openid: str, note: str, photos: Sequence[BinaryIO]
) -> WishProof:
    """The claimer submits 1-9 photos and an optional note; the wish waits for an admin to confirm.

    Everything is checked before anything is stored (every photo's header before any is decoded; the
    note, when there is one, by WeChat); if anything fails afterwards the written files are removed, so a
    refused upload leaves neither rows nor files behind.
    """
    check_proof_allowed(session, wish_id, staff)
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise PhotoCountInvalid()
    cleaned = images.clean_uploads(photos)
    note = note.strip()
    note_status = content_check.check_text(openid, note, NoteRejected) if note else NOTE_PASSED
    return store_proof(session, wish_id, staff, note, note_status, cleaned)


def store_proof(
    session: Session, wish_id: int, staff: Staff, note: str, note_status: str, cleaned: list[images.CleanImage]
) -> WishProof:
    """Store already-checked photos and note and move the wish to ``fulfilled`` (or store nothing)."""
    actor = audit.Actor.staff(staff.id)
    with stored_photos(session, cleaned) as record_photos:
        transition(session, wish_id, "submit_proof", actor, claimer_id=staff.id)
        claim = active_claim(session, wish_id)
        assert claim is not None  # a claimed wish always has its active claim row
        proof = WishProof(wish_id=wish_id, claim_id=claim.id, staff_id=staff.id, note=note, note_status=note_status)
        session.add(proof)
        session.flush()
        record_photos(wish_id, proof.id)
        held = "（说明文字需人工审核）" if note_status == NOTE_HELD else ""
        outbox.enqueue_to_staff(
            session, f"wish:{wish_id}:proof:{proof.id}:submitted", active_admins(session),
            outbox.text(f"{staff.name}（{staff.department.name}）提交了微心愿「{claim.wish.title}」的完成凭证"
                        f"{held}，请及时审核确认。"),
        )
        finish(session, wish_id, actor, "submit_proof", proof_id=proof.id, photos=len(cleaned), note_status=note_status)
    return proof


def _latest_proof(session: Session, wish_id: int) -> WishProof | None:
    return session.scalar(
        select(WishProof).where(WishProof.wish_id == wish_id).order_by(WishProof.id.desc()).limit(1)
    )


def confirm_wish(
    session: Session, wish_id: int, actor: audit.Actor, reason: str | None = None, approve_note: bool = False
) -> Wish:
    """An admin confirms the fulfilment; the claimer is thanked through the outbox.

    A proof whose note WeChat flagged for review is held: confirming it needs ``approve_note``.
    """
    transition(session, wish_id, "confirm", actor, reason)
    proof = _latest_proof(session, wish_id)
    if proof is not None and proof.note_status == NOTE_HELD:
        if not approve_note:
            session.rollback()
            raise NoteReviewRequired()
        proof.note_status = NOTE_APPROVED
    finish(
        session, wish_id, actor, "confirm", end=CLAIM_COMPLETED,
        notice=lambda wish, claim: (
            f"wish:{wish_id}:claim:{claim.id}:thanks",
            f"感谢您完成微心愿「{wish.title}」！{wish.masked_beneficiary}的心愿已经实现，您的爱心已记入文明创建台账。",
        ),
    )
    return fresh(session, wish_id)


def return_proof(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    """An admin sends the proof back with a reason; the wish is the claimer's again to complete."""
    now = utcnow()
    transition(session, wish_id, "return", actor, reason)
    proof = _latest_proof(session, wish_id)
    if proof is not None:
        proof.returned_at = now
        proof.return_reason = reason
    claim = active_claim(session, wish_id)
    if claim is not None:
        claim.due_at = max(claim.due_at, now + RETURN_GRACE)
    finish(
        session, wish_id, actor, "return", reason=reason,
        notice=lambda wish, claim: (
            f"wish:{wish_id}:proof:{proof.id if proof else 0}:returned",
            f"您提交的微心愿「{wish.title}」完成凭证被退回。原因：{reason}。请在 {format_local(claim.due_at)} 前补充后重新提交。",
        ),
    )
    return fresh(session, wish_id)
