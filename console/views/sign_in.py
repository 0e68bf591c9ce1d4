"""Signing in (WeCom QR login, the in-client OAuth redirect, a password) and out."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.extensions import client_address, db
from app.services import console_auth
from console import auth, bp
from console.forms import EmptyForm, PasswordLoginForm

WECOM_QR_LOGIN_HOST = "https://login.work.weixin.qq.com"
STATE_KEY = "console_wecom_state"
NEXT_KEY = "console_next"



def _login_base(official: str) -> str:
    config = current_app.config
    return config["WECOM_LOGIN_BASE"] or config["WECHAT_API_BASE"] or official


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(auth.safe_next(request.args.get("next")))
    if console_auth.in_wecom_client(request.headers.get("User-Agent", "")) and not request.args.get("password"):
        return redirect(url_for("console.login_wecom", next=request.args.get("next"), mode="oauth"))
    return render_template("console/login.html", form=PasswordLoginForm(), next=request.args.get("next", ""))


@bp.post("/login")
def login_password():
    form = PasswordLoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            staff = console_auth.password_log_in(db.session, form.employee_no.data, form.password.data, client_address())
        except (console_auth.LoginFailed, console_auth.LoginLocked) as exc:
            form.form_errors.append(exc.message)
            status = exc.status_code
        else:
            auth.start_session(staff)
            flash(f"欢迎，{staff.name}。", "success")
            return redirect(auth.safe_next(request.form.get("next")))
    else:
        status = 400
    return render_template("console/login.html", form=form, next=request.form.get("next", "")), status


@bp.get("/login/wecom")
def login_wecom():
    """Start WeCom sign-in: the QR login on a desktop, the silent OAuth redirect inside WeCom."""
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = state
    session[NEXT_KEY] = auth.safe_next(request.args.get("next"))
    config = current_app.config
    callback = url_for("console.login_wecom_callback", _external=True)
    if request.args.get("mode") == "oauth" or console_auth.in_wecom_client(request.headers.get("User-Agent", "")):
        return redirect(console_auth.wecom_oauth_url(callback, state))
    query = urlencode({
        "login_type": "CorpApp", "appid": config["WECOM_CORP_ID"], "agentid": config["WECOM_AGENT_ID"],
        "redirect_uri": callback, "state": state,
    })
    return redirect(f"{_login_base(WECOM_QR_LOGIN_HOST)}/wwlogin/sso/login?{query}")


@bp.get("/login/wecom/callback")
def login_wecom_callback():
    expected = session.pop(STATE_KEY, None)
    target = session.pop(NEXT_KEY, None)
    state, code = request.args.get("state", ""), request.args.get("code", "")
    if not expected or not hmac.compare_digest(expected.encode(), state.encode()):
        flash("登录请求已失效或不是从本页发起的，请重新登录。", "danger")
        return redirect(url_for("console.login")), 302
    if not code or len(code) > 512:
        flash("企业微信没有返回登录凭据，请重新扫码。", "danger")
        return redirect(url_for("console.login"))
    try:
        userid = console_auth.wecom_userid(code)
        staff = console_auth.wecom_log_in(db.session, userid, client_address())
    except (console_auth.WeComLoginFailed, console_auth.NotAConsoleUser) as exc:
        flash(exc.message, "danger")
        return redirect(url_for("console.login", password=1))
    auth.start_session(staff)
    flash(f"欢迎，{staff.name}。", "success")
    return redirect(auth.safe_next(target))


@bp.post("/logout")
def logout():
    EmptyForm()  # CSRF was checked for every console POST
    auth.end_session()
    flash("您已退出。", "info")
    return redirect(url_for("console.login"))
