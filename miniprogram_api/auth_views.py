"""Login, roster binding, profile and logout."""

from __future__ import annotations

from flask import current_app, g
from limits import parse as parse_limit

from app.extensions import client_address, db, limiter
from app.services import auth
from miniprogram_api import bp
from miniprogram_api.schemas import BindIn, LoginIn, LoginOut, MeOut
from miniprogram_api.security import login_required


def _limit_per_account(setting: str, scope: str, key: str, error: type[auth.AppError]) -> None:
    """A per-account limit, counted in the same storage as Flask-Limiter's per-address limits."""
    item = parse_limit(current_app.config[setting])
    if not limiter.limiter.hit(item, scope, key):
        raise error()


def _me(account) -> dict:
    return {"account_id": account.id, "bound": account.is_bound, "staff": account.staff}


@bp.post("/login")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"], key_func=client_address)
@bp.input(LoginIn, arg_name="body")
@bp.output(LoginOut)
@bp.doc(summary="微信登录", description="用 wx.login() 的 code 换取本系统的访问令牌。")
def login(body: dict):
    code_session = auth.exchange_code(body["code"])
    _limit_per_account("LOGIN_RATE_LIMIT_PER_ACCOUNT", "login-account", code_session.openid, auth.LoginRateLimited)
    token, account, api_session = auth.log_in(db.session, code_session, client_address())
    return {
        "token": token,
        "token_type": "Bearer",
        "expires_at": api_session.expires_at,
        "bound": account.is_bound,
        "staff": account.staff,
    }


@bp.post("/bind")
@login_required
@bp.input(BindIn, arg_name="body")
@bp.output(MeOut)
@bp.doc(summary="绑定花名册", description="用姓名和工号把当前微信账号绑定到花名册中的人员。", security="BearerAuth")
def bind(body: dict):
    _limit_per_account("BIND_RATE_LIMIT_PER_ACCOUNT", "bind-account", str(g.account.id), auth.BindRateLimited)
    auth.bind_account(db.session, g.account, body["name"], body["employee_no"])
    return _me(g.account)


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
