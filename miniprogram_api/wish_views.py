"""微心愿: browse, claim, release, submit proof; admins publish, withdraw, revoke, return and confirm."""

from __future__ import annotations

from functools import wraps

from flask import g, send_file

from app.errors import Forbidden
from app.extensions import db
from app.models import Staff, Wish, WishClaim
from app.models.wish import PUBLIC_STATUSES
from app.services import wishes
from miniprogram_api import bp
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.security import (
    admin_required,
    bearer_token,
    bound_required,
    bound_staff,
    caller,
    limit_per_key,
    note_identity,
    token_required,
)
from miniprogram_api.uploads import room_for_photos
from miniprogram_api.wish_schemas import (
    ConfirmIn,
    MyClaimListOut,
    OptionalReasonIn,
    ProofIn,
    ReasonIn,
    WishDetailOut,
    WishHistoryOut,
    WishListOut,
    WishQuery,
    WishStatsOut,
)

AUTH = "BearerAuth"
# A photo answer: the stored image itself (EXIF removed), in the format it was uploaded in.
IMAGE_ANSWER = {
    "description": "图片本身（已去除 EXIF）",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in ("image/jpeg", "image/png", "image/webp")},
}


def _detail(wish: Wish, viewer: Staff, active: WishClaim | None = None) -> dict:
    return {"wish": wish, "private": wishes.wish_details(db.session, wish, viewer, active)}


def _claimer_before_body(view):
    """Before the multipart body is parsed: only the claimer of this claimed wish gets further, within
    the per-person limit on proof submissions, so nobody else can make the worker read photos."""

    @wraps(view)
    def wrapper(wish_id: int, *args, **kwargs):
        wishes.check_proof_allowed(db.session, wish_id, g.staff)
        limit_per_key("WISH_PROOF_RATE_LIMIT", "wish-proof", str(g.staff.id), wishes.ProofRateLimited)
        return view(wish_id, *args, **kwargs)

    return wrapper


@bp.get("/wishes")
@bound_required
@bp.input(WishQuery, location="query", arg_name="query")
@bp.output(WishListOut)
@bp.doc(summary="微心愿列表", description="需已绑定花名册。受助人姓名已脱敏。草稿和已撤回的心愿仅管理员可查。", security=AUTH)
def list_wishes(query: dict):
    admin = g.staff.is_admin
    if query.get("status") and query["status"] not in PUBLIC_STATUSES and not admin:
        raise Forbidden(code="admin_required", message="草稿和已撤回的心愿仅管理员可以查看")
    statement = wishes.wishes_query(query.get("status"), query.get("category"), admin=admin)
    return paginate(db.session, statement, query["page"], query["per_page"])


@bp.get("/wishes/<id:wish_id>")
@bound_required
@bp.output(WishDetailOut)
@bp.doc(
    summary="微心愿详情",
    description="需已绑定花名册。管理员和认领进行中的认领人另可看到受助人完整信息、认领和凭证（private）。",
    security=AUTH,
)
def get_wish(wish_id: int):
    return _detail(wishes.get_wish(db.session, wish_id, g.staff), g.staff)


@bp.get("/wishes/<id:wish_id>/photos/<id:photo_id>")
@bound_required
@bp.doc(
    summary="心愿或凭证照片",
    description="需已绑定花名册。凭证照片仅认领人和管理员可以查看。",
    security=AUTH,
    responses={200: IMAGE_ANSWER, 403: "未绑定（not_bound）", 404: "照片不存在（photo_not_found）"},
)
def wish_photo(wish_id: int, photo_id: int):
    photo = wishes.photo_for_viewer(db.session, wish_id, photo_id, g.staff)
    path = wishes.photo_path(photo)
    if not path.is_file():
        raise wishes.PhotoNotFound()
    response = send_file(path, mimetype=photo.content_type, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/me/wishes")
@bound_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(MyClaimListOut)
@bp.doc(summary="我认领的心愿", description="包括进行中和已结束的认领，最新的在前。", security=AUTH)
def my_wishes(query: dict):
    return paginate(db.session, wishes.my_claims_query(g.staff.id), query["page"], query["per_page"])


@bp.post("/wishes/<id:wish_id>/claim")
@token_required
@bp.output(WishDetailOut)
@bp.doc(
    summary="认领心愿",
    description="每个心愿只有一人认领成功，其余得到 409 wish_already_claimed；每人同时进行中的认领有上限（409 claim_limit_reached）。"
    "放弃认领后的冷静期内不能再认领（429 claim_cooling_off，消息说明何时可以）；认领次数按人限流（429 rate_limited）。",
    security=AUTH,
)
def claim_wish(wish_id: int):
    # The token is authenticated by the service's one read (most of a crowd needs nothing else); a
    # token it does not accept goes the full way, answered as on every endpoint.
    look = wishes.look_before_claim(db.session, bearer_token(), wish_id)
    if look is None:
        staff = bound_staff()
        _limit_claims(staff.id)
        claim = wishes.claim_wish(db.session, wish_id, staff)
    else:
        note_identity(look.account_id, look.staff_id)
        _limit_claims(look.staff_id)
        claim = wishes.claim_as_looked(db.session, look)
    return _detail(claim.wish, claim.staff, active=claim)


def _limit_claims(staff_id: int) -> None:
    """One hit on the person's claim limit, counted before the claim whichever way they authenticated
    (refusals count too: a crowd's losers could otherwise probe without limit)."""
    limit_per_key("WISH_CLAIM_RATE_LIMIT", "wish-claim", str(staff_id), wishes.ClaimRateLimited)


@bp.post("/wishes/<id:wish_id>/release")
@bound_required
@bp.input(OptionalReasonIn, arg_name="body")
@bp.output(WishDetailOut)
@bp.doc(summary="放弃认领", description="认领人把心愿交还，其他同事可以重新认领。", security=AUTH)
def release_wish(wish_id: int, body: dict):
    viewer = g.staff
    return _detail(wishes.release_claim(db.session, wish_id, viewer, body.get("reason")), viewer)


@bp.post("/wishes/<id:wish_id>/proof")
@room_for_photos(wishes.MAX_PHOTOS)
@bound_required
@_claimer_before_body
@bp.input(ProofIn, location="files", arg_name="form")
@bp.output(WishDetailOut, status_code=201)
@bp.doc(
    summary="提交完成凭证",
    description="multipart/form-data：photos 为 1–9 张 JPEG、PNG 或 WebP 照片（每张不超过 10 MB，"
    "合计不超过 PHOTO_MAX_TOTAL_PIXELS 像素），note 为可选的说明文字。"
    "照片会去除 EXIF（含 GPS）后保存，长边超过 PHOTO_MAX_SIDE 的缩小保存；说明文字经内容安全检测。"
    "其他编码得到 415；非认领人在请求体被读取前即得到 403；提交次数按人限流（429 rate_limited）。",
    security=AUTH,
)
def submit_proof(wish_id: int, form: dict):
    photos = [upload.stream for upload in form["photos"]]
    wishes.submit_proof(db.session, wish_id, g.staff, g.account.openid, form["note"], photos)
    return _detail(wishes.get_wish(db.session, wish_id, g.staff), g.staff)


# ---- admins ------------------------------------------------------------------------------------


@bp.get("/wishes/stats")
@admin_required
@bp.output(WishStatsOut)
@bp.doc(summary="微心愿统计（管理员）", security=AUTH)
def wish_stats():
    return {
        "by_status": wishes.count_wishes_by_status(db.session),
        "by_department": [
            {"department": name, "confirmed": count}
            for name, count in wishes.fulfilled_wishes_by_department(db.session)
        ],
    }


@bp.get("/wishes/<id:wish_id>/history")
@admin_required
@bp.output(WishHistoryOut)
@bp.doc(summary="状态变更记录（管理员）", security=AUTH)
def wish_history(wish_id: int):
    wishes.get_wish(db.session, wish_id, g.staff)
    return {"items": wishes.wish_history(db.session, wish_id)}


@bp.post("/wishes/<id:wish_id>/publish")
@admin_required
@bp.output(WishDetailOut)
@bp.doc(summary="发布草稿（管理员）", security=AUTH)
def publish_wish(wish_id: int):
    return _detail(wishes.publish_wish(db.session, wish_id, caller()), g.staff)


@bp.post("/wishes/<id:wish_id>/withdraw")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(WishDetailOut)
@bp.doc(summary="撤回心愿（管理员）", description="仅草稿或待认领的心愿可以撤回。", security=AUTH)
def withdraw_wish(wish_id: int, body: dict):
    return _detail(wishes.withdraw_wish(db.session, wish_id, caller(), body["reason"]), g.staff)


@bp.post("/wishes/<id:wish_id>/revoke")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(WishDetailOut)
@bp.doc(summary="收回认领（管理员）", description="心愿回到待认领，认领人会收到原因。", security=AUTH)
def revoke_wish(wish_id: int, body: dict):
    return _detail(wishes.revoke_claim(db.session, wish_id, caller(), body["reason"]), g.staff)


@bp.post("/wishes/<id:wish_id>/return")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(WishDetailOut)
@bp.doc(summary="退回凭证（管理员）", description="心愿回到已认领，认领人补充后重新提交。", security=AUTH)
def return_wish(wish_id: int, body: dict):
    return _detail(wishes.return_proof(db.session, wish_id, caller(), body["reason"]), g.staff)


@bp.post("/wishes/<id:wish_id>/confirm")
@admin_required
@bp.input(ConfirmIn, arg_name="body")
@bp.output(WishDetailOut)
@bp.doc(summary="确认完成（管理员）", description="认领人会收到感谢消息。", security=AUTH)
def confirm_wish(wish_id: int, body: dict):
    wish = wishes.confirm_wish(db.session, wish_id, caller(), body.get("reason"), body["approve_note"])
    return _detail(wish, g.staff)
