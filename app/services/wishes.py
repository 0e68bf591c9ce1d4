"""微心愿: publishing, claiming exactly once, proof of fulfilment, confirmation, and the jobs around them.

Every status change goes through ``_transition``: a conditional ``UPDATE wish SET status = <to>
WHERE id = ? AND status = <from>`` whose rowcount decides who won, plus a ``wish_transition`` row.
Claims are guarded twice more by unique constraints on ``wish_claim``: one active claim per wish
(``active_wish_id``) and one claim per numbered slot per person (``active_staff_id, slot``), so
the per-person cap holds under concurrency on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.errors import AppError, Conflict, Forbidden, NotFound, UpstreamUnavailable
from app.models import Department, Staff, Wish, WishClaim, WishPhoto, WishProof, WishTransition
from app.models.base import utcnow
from app.models.wish import (
    CATEGORY_LABELS,
    CLAIM_COMPLETED,
    CLAIM_EXPIRED,
    CLAIM_RELEASED,
    CLAIM_REVOKED,
    CLAIMED,
    CONFIRMED,
    DRAFT,
    FULFILLED,
    NOTE_APPROVED,
    NOTE_HELD,
    NOTE_PASSED,
    OPEN,
    PUBLIC_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
)
from app.services import audit, images, outbox
from app.services.staff import active_admins
from app.timeutil import format_local, local_datetime, local_today
from app.wechat import WeChatError, get_miniprogram

MAX_PHOTOS = 9
# A returned proof gives the claimer at least this long to submit again.
RETURN_GRACE = timedelta(days=3)


class WishNotFound(NotFound):
    code = "wish_not_found"
    message = "心愿不存在或已撤回"


class WishAlreadyClaimed(Conflict):
    code = "wish_already_claimed"
    message = "手慢了，这个心愿已被其他同事认领"


class WishAlreadyYours(Conflict):
    code = "wish_already_yours"
    message = "您已经认领了这个心愿"


class ClaimLimitReached(Conflict):
    code = "claim_limit_reached"
    message = "您进行中的认领已达上限，请先完成或放弃已认领的心愿"

    @classmethod
    def for_limit(cls, limit: int) -> ClaimLimitReached:
        return cls(f"每人最多同时认领 {limit} 个心愿，请先完成或放弃已认领的心愿")


class WishClaimClosed(Conflict):
    code = "wish_claim_closed"
    message = "这个心愿已过截止日期，不能再认领"


class InvalidWishTransition(Conflict):
    code = "invalid_wish_transition"
    message = "心愿当前状态不允许此操作"


class NotClaimer(Forbidden):
    code = "not_claimer"
    message = "只有认领人本人可以执行此操作"


class NoteRejected(AppError):
    status_code = 422
    code = "note_rejected"
    message = "说明文字未通过内容安全检测，请修改后重新提交"


class NoteReviewRequired(Conflict):
    code = "note_review_required"
    message = "凭证说明需人工审核：请查看说明文字后，以 approve_note=true 确认"


class PhotoCountInvalid(AppError):
    status_code = 400
    code = "photo_count_invalid"
    message = f"请上传 1 至 {MAX_PHOTOS} 张照片"


class InvalidWish(AppError):
    status_code = 422
    code = "invalid_wish"
    message = "心愿信息有误"


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = "照片不存在"


# ---- helpers -----------------------------------------------------------------------------------


def clean_photos(photos: list) -> list[images.CleanImage]:
    """Check and re-encode uploaded photos under the configured limits (numbered for error messages)."""
    limits = {"max_bytes": current_app.config["PHOTO_MAX_BYTES"], "max_pixels": current_app.config["PHOTO_MAX_PIXELS"]}
    return [images.clean_image(p, index=i, **limits) for i, p in enumerate(photos, start=1)]


def photo_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "wishes"


def photo_path(photo: WishPhoto) -> Path:
    return photo_folder() / photo.stored_name


def _refusal(
    session: Session, wish_id: int, action: str, requester_id: int | None, must_be_claimer: bool
) -> AppError:
    """Why a conditional update matched no row, as the error the caller should see."""
    row = session.execute(select(Wish.status, Wish.claimer_id).where(Wish.id == wish_id)).one_or_none()
    if row is None:
        return WishNotFound()
    return _refusal_for(row.status, row.claimer_id, action, requester_id, must_be_claimer)


def _refusal_for(
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


def _transition(
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
    transition = TRANSITIONS[action]
    conditions = [Wish.id == wish_id]
    if claimer_id is not None:
        conditions.append(Wish.claimer_id == claimer_id)
    for source in sorted(transition.sources):
        result = session.execute(
            update(Wish)
            .where(*conditions, Wish.status == source)
            .values(status=transition.target, updated_at=utcnow(), **(values or {}))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.add(
                WishTransition(
                    wish_id=wish_id,
                    action=action,
                    from_status=source,
                    to_status=transition.target,
                    actor_type=actor.type,
                    actor_id=actor.id,
                    reason=reason,
                )
            )
            return source
    session.rollback()
    raise _refusal(session, wish_id, action, claimer_id or requester_id, must_be_claimer=claimer_id is not None)


def _fresh(session: Session, wish_id: int) -> Wish:
    wish = session.get(Wish, wish_id, populate_existing=True)
    assert wish is not None  # callers have just updated it
    return wish


def _active_claim(session: Session, wish_id: int) -> WishClaim | None:
    return session.scalar(select(WishClaim).where(WishClaim.active_wish_id == wish_id))


def _end_claim(session: Session, claim: WishClaim, reason: str, now: datetime) -> None:
    claim.ended_at = now
    claim.end_reason = reason
    claim.active_wish_id = None
    claim.active_staff_id = None
    claim.slot = None
    outbox.withdraw(session, f"wish:{claim.wish_id}:claim:{claim.id}:due-reminder")


def _notify(session: Session, dedup_key: str, person: Staff | None, content: str) -> None:
    if person is not None:
        outbox.enqueue_to_staff(session, dedup_key, [person], outbox.text(content))


def _deadline_end(day: date) -> datetime:
    """The end of a local calendar day, in UTC."""
    return local_datetime(day + timedelta(days=1), time(0)).astimezone(UTC)


# ---- publishing --------------------------------------------------------------------------------


@dataclass
class WishDraft:
    title: str
    story: str
    category: str
    beneficiary_name: str
    village: str
    claim_deadline: date
    household: str | None = None
    contact: str | None = None
    estimated_value: int | None = None

    def problems(self, today: date) -> list[str]:
        found: list[str] = []
        for name, label, limit in (
            ("title", "标题", 100),
            ("story", "心愿故事", 2000),
            ("beneficiary_name", "受助人姓名", 50),
            ("village", "村（组）", 100),
        ):
            value = (getattr(self, name) or "").strip()
            if not value:
                found.append(f"{label}不能为空")
            elif len(value) > limit:
                found.append(f"{label}不能超过 {limit} 个字")
        if self.category not in CATEGORY_LABELS:
            found.append("类别应为 goods（实物类）或 service（服务类）")
        if self.household and len(self.household) > 200:
            found.append("住址不能超过 200 个字")
        if self.contact and len(self.contact) > 50:
            found.append("联系方式不能超过 50 个字")
        if self.estimated_value is not None and not 0 <= self.estimated_value <= 1_000_000:
            found.append("预估价值应在 0 到 1000000 元之间")
        if self.claim_deadline < today:
            found.append("截止日期不能早于今天")
        return found


def create_wish(
    session: Session,
    draft: WishDraft,
    actor: audit.Actor,
    photos: Sequence[BinaryIO] = (),
    publish: bool = False,
) -> Wish:
    """Create a wish (a draft unless ``publish``), with up to nine photos of it."""
    problems = draft.problems(local_today())
    if len(photos) > MAX_PHOTOS:
        problems.append(f"照片最多 {MAX_PHOTOS} 张")
    if problems:
        raise InvalidWish("；".join(problems))
    cleaned = clean_photos(photos)
    paths = images.store_images(photo_folder(), cleaned)
    try:
        wish = Wish(
            title=draft.title.strip(),
            story=draft.story.strip(),
            category=draft.category,
            beneficiary_name=draft.beneficiary_name.strip(),
            village=draft.village.strip(),
            household=(draft.household or "").strip() or None,
            contact=(draft.contact or "").strip() or None,
            estimated_value=draft.estimated_value,
            claim_deadline=draft.claim_deadline,
            status=DRAFT,
            created_by=f"{actor.type}:{actor.id}" if actor.id else actor.type,
        )
        session.add(wish)
        session.flush()
        _add_photos(session, wish.id, None, cleaned, paths)
        session.add(
            WishTransition(
                wish_id=wish.id, action="create", from_status=None, to_status=DRAFT,
                actor_type=actor.type, actor_id=actor.id,
            )
        )
        if publish:
            _transition(session, wish.id, "publish", actor)
        audit.record(session, actor, "wish.create", "wish", wish.id, published=publish)
        session.commit()
    except BaseException:
        session.rollback()
        images.remove_files(paths)
        raise
    return _fresh(session, wish.id)


def _add_photos(
    session: Session, wish_id: int, proof_id: int | None, cleaned: list[images.CleanImage], paths: list[Path]
) -> None:
    for position, (image, path) in enumerate(zip(cleaned, paths, strict=True), start=1):
        session.add(
            WishPhoto(
                wish_id=wish_id,
                proof_id=proof_id,
                position=position,
                stored_name=path.name,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size_bytes=len(image.data),
            )
        )


def publish_wish(session: Session, wish_id: int, actor: audit.Actor) -> Wish:
    _transition(session, wish_id, "publish", actor)
    audit.record(session, actor, "wish.publish", "wish", wish_id)
    session.commit()
    return _fresh(session, wish_id)


def withdraw_wish(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    _transition(session, wish_id, "withdraw", actor, reason)
    audit.record(session, actor, "wish.withdraw", "wish", wish_id, reason=reason)
    session.commit()
    return _fresh(session, wish_id)


# ---- claiming ----------------------------------------------------------------------------------


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
        raise _refusal_for(row.status, row.claimer_id, "claim", staff.id, must_be_claimer=False)
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
    # The wish row first: on PostgreSQL concurrent claimers queue on its row lock, on SQLite on the
    # database write lock, so what follows reads committed state.
    _transition(session, wish_id, "claim", audit.Actor.staff(staff.id), requester_id=staff.id,
                values={"claimer_id": staff.id})
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
    audit.record(session, audit.Actor.staff(staff.id), "wish.claim", "wish", wish_id, claim_id=claim.id)
    session.commit()
    return claim


def release_claim(session: Session, wish_id: int, staff: Staff, reason: str | None = None) -> Wish:
    """The claimer gives the wish back; it is open again for others."""
    now = utcnow()
    _transition(session, wish_id, "release", audit.Actor.staff(staff.id), reason or "认领人主动放弃",
                claimer_id=staff.id, values={"claimer_id": None})
    claim = _active_claim(session, wish_id)
    if claim is not None:
        _end_claim(session, claim, CLAIM_RELEASED, now)
    audit.record(session, audit.Actor.staff(staff.id), "wish.release", "wish", wish_id)
    session.commit()
    return _fresh(session, wish_id)


def revoke_claim(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    """An admin takes a claimed wish back and tells the claimer why."""
    now = utcnow()
    _transition(session, wish_id, "revoke", actor, reason, values={"claimer_id": None})
    claim = _active_claim(session, wish_id)
    if claim is not None:
        wish = claim.wish  # loaded with the claim; the title and beneficiary did not change
        _end_claim(session, claim, CLAIM_REVOKED, now)
        _notify(session, f"wish:{wish_id}:claim:{claim.id}:revoked", claim.staff,
                f"管理员收回了您认领的微心愿「{wish.title}」。原因：{reason}")
    audit.record(session, actor, "wish.revoke", "wish", wish_id, reason=reason)
    session.commit()
    return _fresh(session, wish_id)


# ---- proof and confirmation --------------------------------------------------------------------


def _check_note(openid: str, note: str) -> str:
    """The note's verdict from WeChat's content-security API: passed or held (``risky`` is refused)."""
    try:
        suggest = get_miniprogram().msg_sec_check(openid, note)
    except WeChatError as exc:
        current_app.logger.warning("msg_sec_check failed: %s", exc)
        raise UpstreamUnavailable("内容安全检测暂时不可用，请稍后重新提交") from exc
    if suggest == "risky":
        raise NoteRejected()
    return NOTE_HELD if suggest == "review" else NOTE_PASSED


def submit_proof(
    session: Session, wish_id: int, staff: Staff, openid: str, note: str, photos: Sequence[BinaryIO]
) -> WishProof:
    """The claimer submits 1-9 photos and a note; the wish waits for an admin to confirm.

    Everything is checked before anything is stored; if anything fails afterwards the written files
    are removed, so a refused upload leaves neither rows nor files behind.
    """
    wish = session.get(Wish, wish_id)
    if wish is None or not wish.is_public():
        raise WishNotFound()
    if wish.status != CLAIMED or wish.claimer_id != staff.id:
        raise _refusal(session, wish_id, "submit_proof", staff.id, must_be_claimer=True)
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise PhotoCountInvalid()
    cleaned = clean_photos(photos)
    note_status = _check_note(openid, note)
    return store_proof(session, wish_id, staff, note, note_status, cleaned)


def store_proof(
    session: Session, wish_id: int, staff: Staff, note: str, note_status: str, cleaned: list[images.CleanImage]
) -> WishProof:
    """Store already-checked photos and note and move the wish to ``fulfilled`` (or store nothing)."""
    paths = images.store_images(photo_folder(), cleaned)
    try:
        _transition(session, wish_id, "submit_proof", audit.Actor.staff(staff.id), claimer_id=staff.id)
        claim = _active_claim(session, wish_id)
        assert claim is not None  # a claimed wish always has its active claim row
        proof = WishProof(wish_id=wish_id, claim_id=claim.id, staff_id=staff.id, note=note, note_status=note_status)
        session.add(proof)
        session.flush()
        _add_photos(session, wish_id, proof.id, cleaned, paths)
        wish = claim.wish
        held = "（说明文字需人工审核）" if note_status == NOTE_HELD else ""
        outbox.enqueue_to_staff(
            session, f"wish:{wish_id}:proof:{proof.id}:submitted", active_admins(session),
            outbox.text(f"{staff.name}（{staff.department.name}）提交了微心愿「{wish.title}」的完成凭证"
                        f"{held}，请及时审核确认。"),
        )
        audit.record(session, audit.Actor.staff(staff.id), "wish.submit_proof", "wish", wish_id,
                     proof_id=proof.id, photos=len(paths), note_status=note_status)
        session.commit()
    except BaseException:
        session.rollback()
        images.remove_files(paths)
        raise
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
    now = utcnow()
    _transition(session, wish_id, "confirm", actor, reason)
    proof = _latest_proof(session, wish_id)
    if proof is not None and proof.note_status == NOTE_HELD:
        if not approve_note:
            session.rollback()
            raise NoteReviewRequired()
        proof.note_status = NOTE_APPROVED
    claim = _active_claim(session, wish_id)
    if claim is not None:
        wish = claim.wish  # loaded with the claim; the title and beneficiary did not change
        _end_claim(session, claim, CLAIM_COMPLETED, now)
        _notify(session, f"wish:{wish_id}:claim:{claim.id}:thanks", claim.staff,
                f"感谢您完成微心愿「{wish.title}」！{wish.masked_beneficiary}的心愿已经实现，"
                "您的爱心已记入文明创建台账。")
    audit.record(session, actor, "wish.confirm", "wish", wish_id)
    session.commit()
    return _fresh(session, wish_id)


def return_proof(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    """An admin sends the proof back with a reason; the wish is the claimer's again to complete."""
    now = utcnow()
    _transition(session, wish_id, "return", actor, reason)
    proof = _latest_proof(session, wish_id)
    if proof is not None:
        proof.returned_at = now
        proof.return_reason = reason
    claim = _active_claim(session, wish_id)
    if claim is not None:
        wish = claim.wish  # loaded with the claim; the title and beneficiary did not change
        claim.due_at = max(claim.due_at, now + RETURN_GRACE)
        _notify(session, f"wish:{wish_id}:proof:{proof.id if proof else 0}:returned", claim.staff,
                f"您提交的微心愿「{wish.title}」完成凭证被退回。原因：{reason}。"
                f"请在 {format_local(claim.due_at)} 前补充后重新提交。")
    audit.record(session, actor, "wish.return", "wish", wish_id, reason=reason)
    session.commit()
    return _fresh(session, wish_id)


# ---- jobs (called by the scheduler) ------------------------------------------------------------


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
    released = 0
    for claim_id, wish_id, staff_id in overdue:
        try:
            _transition(session, wish_id, "expire", audit.Actor.system(), "认领期限已过，系统自动释放",
                        claimer_id=staff_id, values={"claimer_id": None})
        except AppError:
            continue  # someone acted on it in the meantime
        claim = session.get(WishClaim, claim_id)
        if claim is not None:
            wish = claim.wish  # loaded with the claim; the title and beneficiary did not change
            _end_claim(session, claim, CLAIM_EXPIRED, now)
            _notify(session, f"wish:{wish_id}:claim:{claim_id}:expired", claim.staff,
                    f"您认领的微心愿「{wish.title}」已超过完成期限（{format_local(claim.due_at)}），"
                    "系统已自动释放，其他同事可以继续认领。如已完成，请联系管理员。")
        session.commit()
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


# ---- reading -----------------------------------------------------------------------------------


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


def wish_details(session: Session, wish: Wish, viewer: Staff | None) -> dict[str, Any] | None:
    """What only the claimer and admins see: full beneficiary details, the claim and the proofs.

    Admins see every proof; a claimer only their own, not an earlier claimer's (as ``photo_for_viewer``).
    """
    if viewer is None or not wish.can_see_private(viewer):
        return None
    claim = _active_claim(session, wish.id)
    statement = select(WishProof).where(WishProof.wish_id == wish.id).order_by(WishProof.id.desc())
    if not viewer.is_admin:
        statement = statement.where(WishProof.staff_id == viewer.id)
    proofs = session.scalars(statement).all()
    return {
        "beneficiary_name": wish.beneficiary_name,
        "household": wish.household,
        "contact": wish.contact,
        "claim": claim,
        "proofs": proofs,
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
        allowed = viewer is not None and (viewer.is_admin or author == viewer.id)
        if not allowed:
            raise Forbidden(code="photo_forbidden", message="凭证照片仅认领人和管理员可以查看")
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
