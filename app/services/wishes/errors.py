"""The refusals of the 微心愿 services, each with a stable code, a Chinese message and an HTTP status."""

from __future__ import annotations

from app.errors import AppError, Conflict, Forbidden, NotFound

# Photos per wish and per proof.
MAX_PHOTOS = 9


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


class PhotoForbidden(Forbidden):
    code = "photo_forbidden"
    message = "凭证照片仅认领人和管理员可以查看"


class ClaimCoolingOff(AppError):
    """A new claim too soon after giving one back (``WISH_RECLAIM_COOLDOWN_HOURS``)."""

    status_code = 429
    code = "claim_cooling_off"
    message = "您刚放弃了一个心愿，请稍后再认领"


class ClaimRateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "认领过于频繁，请稍后再试"


class ProofRateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "提交凭证过于频繁，请稍后再试"
