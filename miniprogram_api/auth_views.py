"""Login, roster binding (phone number, name + 工号, admins' approval), profile and logout."""

from __future__ import annotations

from flask import current_app, g

from app.extensions import client_address, db, limiter
from app.services import audit, auth
from miniprogram_api import bp
from miniprogram_api.schemas import (
    BindIn,
    BindOptionsOut,
    BindOut,
    BindPhoneIn,
    BindRequestOut,
    BindRequestsOut,
    BindRequestsQuery,
    LoginIn,
    LoginOut,
    MeOut,
)
from miniprogram_api.security import admin_required, limit_per_key, login_required


def _me(account) -> dict:
    return {"account_id": account.id, "bound": account.is_bound, "staff": account.staff}


# Binding attempts per address, shared by both ways of binding.
_bind_address_limit = limiter.shared_limit(
    lambda: current_app.config["BIND_RATE_LIMIT_PER_ADDRESS"], scope="bind-address", key_func=client_address
)


@bp.post("/login")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"], key_func=client_address)
@bp.input(LoginIn, arg_name="body")
@bp.output(LoginOut)
@bp.doc(
    summary="微信登录",
    description="用 wx.login() 的 code 换取本系统的访问令牌。",
    responses={
        400: "登录凭证无效或已过期（invalid_login_code）",
        429: "登录过于频繁（rate_limited）",
        503: "微信服务暂时不可用（wechat_unavailable）",
    },
)
def login(body: dict):
    code_session = auth.exchange_code(body["code"])
    limit_per_key("LOGIN_RATE_LIMIT_PER_ACCOUNT", "login-account", code_session.openid, auth.LoginRateLimited)
    token, account, api_session = auth.log_in(db.session, code_session, client_address())
    return {
        "token": token,
        "token_type": "Bearer",
        "expires_at": api_session.expires_at,
        "bound": account.is_bound,
        "staff": account.staff,
    }


@bp.get("/bind/options")
@login_required
@bp.output(BindOptionsOut)
@bp.doc(
    summary="可用的绑定方式",
    description="phone：可用微信验证的手机号绑定；name：姓名+工号绑定为 open（直接绑定）、approval（需管理员审核）或 off（已关闭）。",
    security="BearerAuth",
)
def bind_options():
    return auth.bind_options()


@bp.post("/bind/phone")
@_bind_address_limit
@login_required
@bp.input(BindPhoneIn, arg_name="body")
@bp.output(BindOut)
@bp.doc(
    summary="手机号绑定花名册",
    description="用手机号快速验证按钮（getPhoneNumber）返回的 code，按花名册中的手机号绑定。回答不含手机号。",
    security="BearerAuth",
    responses={
        400: "手机号授权 code 无效或已用过（invalid_phone_code）",
        403: "管理员已关闭手机号绑定（bind_method_disabled）",
        409: "当前微信账号已绑定其他人员（account_already_bound）",
        422: "参数有误（validation_error），或未能核实身份（bind_not_matched）",
        429: "绑定尝试过于频繁（rate_limited）",
        503: "微信服务暂时不可用（wechat_unavailable）",
    },
)
def bind_phone(body: dict):
    limit_per_key("BIND_RATE_LIMIT_PER_ACCOUNT", "bind-account", str(g.account.id), auth.BindRateLimited)
    auth.bind_by_phone(db.session, g.account, body["code"])
    return {**_me(g.account), "status": "bound"}


@bp.post("/bind")
@_bind_address_limit
@login_required
@bp.input(BindIn, arg_name="body")
@bp.output(BindOut)
@bp.doc(
    summary="姓名和工号绑定花名册",
    description="备用方式：管理员可关闭（403 bind_method_disabled）或改为审核（202，status 为 pending）。",
    security="BearerAuth",
    responses={
        202: {
            "description": "已提交绑定申请，等待管理员审核（status 为 pending，request_id 为申请编号）",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BindOut"}}},
        },
        403: "管理员已关闭姓名+工号绑定（bind_method_disabled）",
        409: "当前微信账号已绑定其他人员（account_already_bound），或已有待审核的申请（bind_request_pending）",
        422: "参数有误（validation_error），或未能核实身份（bind_not_matched）",
        429: "绑定尝试过于频繁（rate_limited）",
    },
)
def bind(body: dict):
    limit_per_key("BIND_RATE_LIMIT_PER_ACCOUNT", "bind-account", str(g.account.id), auth.BindRateLimited)
    limit_per_key("BIND_RATE_LIMIT_PER_TARGET", "bind-target", body["employee_no"].strip(), auth.BindRateLimited)
    result = auth.bind_account(db.session, g.account, body["name"], body["employee_no"], client_address())
    if isinstance(result, auth.BindRequest):
        return {**_me(g.account), "status": "pending", "request_id": result.id}, 202
    return {**_me(g.account), "status": "bound"}


@bp.get("/bind/requests")
@admin_required
@bp.input(BindRequestsQuery, location="query", arg_name="query")
@bp.output(BindRequestsOut)
@bp.doc(
    summary="绑定申请（管理员）",
    description="姓名+工号绑定需审核时的申请，最新在前，最多 100 条。",
    security="BearerAuth",
    responses={403: "未绑定（not_bound）或不是管理员（admin_required）"},
)
def bind_requests(query: dict):
    return {"items": auth.list_bind_requests(db.session, query.get("status"))}


@bp.post("/bind/requests/<id:request_id>/approve")
@admin_required
@bp.output(BindRequestOut)
@bp.doc(
    summary="批准绑定申请（管理员）",
    security="BearerAuth",
    responses={
        403: "未绑定（not_bound）或不是管理员（admin_required）",
        404: "没有这条待审核的申请（bind_request_not_found）",
        409: "该人员已绑定其他账号（staff_already_bound），或申请人的账号已绑定他人（account_already_bound）",
    },
)
def approve_bind_request(request_id: int):
    return auth.approve_bind_request(db.session, request_id, audit.Actor.staff(g.staff.id))


@bp.post("/bind/requests/<id:request_id>/reject")
@admin_required
@bp.output(BindRequestOut)
@bp.doc(
    summary="驳回绑定申请（管理员）",
    security="BearerAuth",
    responses={
        403: "未绑定（not_bound）或不是管理员（admin_required）",
        404: "没有这条待审核的申请（bind_request_not_found）",
    },
)
def reject_bind_request(request_id: int):
    return auth.reject_bind_request(db.session, request_id, audit.Actor.staff(g.staff.id))


@bp.get("/me")
@login_required
@bp.output(MeOut)
@bp.doc(summary="我的资料", security="BearerAuth")
def me():
    return _me(g.account)


@bp.post("/logout")
@login_required
@bp.output({}, status_code=204)
@bp.doc(summary="退出登录", description="吊销当前访问令牌。", security="BearerAuth")
def logout():
    auth.log_out(db.session, g.api_session)
    return ""
