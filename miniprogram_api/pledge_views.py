"""承诺: staff read and sign; admins publish, watch signature rates, list who has not signed, remind."""

from __future__ import annotations

from flask import g

from app.extensions import db
from app.services import pledges
from app.services.events import as_aware
from miniprogram_api import bp
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.security import admin_required, bound_required, caller
from miniprogram_api.selection_schemas import (
    PledgeAnswerOut,
    PledgeDetailOut,
    PledgeIn,
    PledgeListOut,
    QueuedOut,
    RatesOut,
    ReasonIn,
    SignatureAnswerOut,
    SignatureListOut,
    UnsignedOut,
    UnsignedQuery,
)

AUTH = "BearerAuth"


@bp.get("/pledges")
@bound_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(PledgeListOut)
@bp.doc(
    summary="承诺书列表", security=AUTH,
    responses={403: "未绑定（not_bound）"},
)
def list_pledges(query: dict):
    return paginate(db.session, pledges.pledges_statement(admin=False), query["page"], query["per_page"])


@bp.get("/pledges/<id:pledge_id>")
@bound_required
@bp.output(PledgeDetailOut)
@bp.doc(summary="承诺书全文", description="含我的签署记录（未签署为 null）。", security=AUTH,
    responses={403: "未绑定（not_bound）"},
)
def get_pledge(pledge_id: int):
    pledge = pledges.get_pledge(db.session, pledge_id, admin=g.staff.is_admin)
    return {"pledge": pledge, "my_signature": pledges.my_signature(db.session, pledge_id, g.staff.id)}


@bp.post("/pledges/<id:pledge_id>/sign")
@bound_required
@bp.output(SignatureAnswerOut, status_code=201)
@bp.doc(summary="签署承诺", description="首次签署 201；再次签署返回首次的签名（200）。签署期外 409 pledge_not_open。", security=AUTH,
    responses={200: "已签署过：返回首次的签名", 403: "未绑定（not_bound）", 409: "不在签署期（pledge_not_open）"},
)
def sign_pledge(pledge_id: int):
    signature, created = pledges.sign_pledge(db.session, pledge_id, g.staff)
    return signature, 201 if created else 200


@bp.get("/me/pledges")
@bound_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(SignatureListOut)
@bp.doc(summary="我签署的承诺", security=AUTH,
    responses={403: "未绑定（not_bound）"},
)
def my_pledges(query: dict):
    return paginate(db.session, pledges.my_signatures_statement(g.staff.id), query["page"], query["per_page"])


# ---- admins ------------------------------------------------------------------------------------


@bp.post("/admin/pledges")
@admin_required
@bp.input(PledgeIn, arg_name="body")
@bp.output(PledgeAnswerOut, status_code=201)
@bp.doc(summary="创建承诺书（管理员）", description="创建为草稿，发布后职工可见并可签署。", security=AUTH,
    responses={403: "不是管理员（admin_required）", 422: "设置有误（invalid_pledge、validation_error）"},
)
def create_pledge(body: dict):
    return pledges.create_pledge(
        db.session, title=body["title"], body=body["body"], work_item=body.get("work_item"),
        opens_at=as_aware(body["opens_at"]), closes_at=as_aware(body["closes_at"]), actor=caller(), creator=g.staff,
    )


@bp.post("/admin/pledges/<id:pledge_id>/publish")
@admin_required
@bp.output(PledgeAnswerOut)
@bp.doc(summary="发布承诺书（管理员）", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "不是草稿（pledge_wrong_state）"},
)
def publish_pledge(pledge_id: int):
    return pledges.publish_pledge(db.session, pledge_id, caller())


@bp.post("/admin/pledges/<id:pledge_id>/withdraw")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(PledgeAnswerOut)
@bp.doc(summary="撤回承诺书（管理员）", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "已撤回（pledge_wrong_state）"},
)
def withdraw_pledge(pledge_id: int, body: dict):
    return pledges.withdraw_pledge(db.session, pledge_id, caller(), body["reason"])


@bp.get("/admin/pledges/<id:pledge_id>/rates")
@admin_required
@bp.output(RatesOut)
@bp.doc(summary="各部门签署率（管理员）", security=AUTH,
    responses={403: "不是管理员（admin_required）"},
)
def pledge_rates(pledge_id: int):
    return {"items": pledges.signature_rates(db.session, pledge_id)}


@bp.get("/admin/pledges/<id:pledge_id>/unsigned")
@admin_required
@bp.input(UnsignedQuery, location="query", arg_name="query")
@bp.output(UnsignedOut)
@bp.doc(summary="未签署名单（管理员）", description="可按部门筛选。", security=AUTH,
    responses={403: "不是管理员（admin_required）"},
)
def pledge_unsigned(pledge_id: int, query: dict):
    pledges.get_pledge(db.session, pledge_id, admin=True)
    statement = pledges.unsigned_statement(pledge_id, query.get("department_id"))
    return paginate(db.session, statement, query["page"], query["per_page"])


@bp.post("/admin/pledges/<id:pledge_id>/remind")
@admin_required
@bp.output(QueuedOut)
@bp.doc(summary="提醒未签署的人（管理员）", description="通过企业微信应用消息提醒，每份承诺书每人每天至多一次。", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "不在签署期（pledge_not_open）"},
)
def remind_pledge(pledge_id: int):
    return {"queued": pledges.remind_unsigned(db.session, pledge_id, caller())}
