"""WeCom web sign-in, played by the sandbox: the desktop QR login (企业微信扫码登录), the in-client
silent OAuth2 redirect (snsapi_base) and the code exchange ``cgi-bin/auth/getuserinfo``.

The sandbox has no database, so it keeps the corp's member directory (通讯录) it is told about:
``PUT /_sandbox/wecom/users {"users": [{"userid", "name", "department"}]}`` (``flask console
sandbox-users`` sends the roster's). Only those members can be chosen, as only a corp's members can
confirm a WeCom login. Codes are single use and live five minutes; anything else is errcode 40029.

Control endpoints:
- ``GET|PUT /_sandbox/wecom/users``: the directory.
- ``POST /_sandbox/wecom/codes {"userid"}``: a code as if that member had confirmed (for tests).
- ``GET /_sandbox/wecom/client?userid=…``: marks this browser as the WeCom app signed in as that member,
  so ``connect/oauth2/authorize`` redirects silently, as inside the WeCom client.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, request

from sandbox.answers import token_error
from sandbox.state import current_state

bp = Blueprint("sandbox_wecom_oauth", __name__)

CODE_TTL_SECONDS = 300
CLIENT_COOKIE = "sandbox_wecom_client"


@dataclass
class WeComDirectory:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: dict[str, dict[str, str]] = field(default_factory=dict)  # userid -> {name, department}
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (userid, expires_at)

    def issue_code(self, userid: str) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (userid, time.monotonic() + CODE_TTL_SECONDS)
        return code

    def redeem(self, code: str) -> str | None:
        with self.lock:
            entry = self.codes.pop(code, None)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:420px;margin:40px auto;padding:0 16px;color:#222}"
        "button{display:block;width:100%;margin:8px 0;padding:12px;font-size:16px;border:1px solid #0b7dda;"
        "background:#fff;border-radius:6px;cursor:pointer}button:hover{background:#e8f3fc}"
        ".hint{color:#666;font-size:13px}</style></head><body>"
        f"<h2>{html.escape(title)}</h2>{body}</body></html>"
    )
    return Response(document, status=status, mimetype="text/html")


def _with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"


@bp.record_once
def _add_directory(setup_state) -> None:
    setup_state.app.extensions["sandbox_wecom_directory"] = WeComDirectory()


def _directory() -> WeComDirectory:
    return current_app.extensions["sandbox_wecom_directory"]


def _refuse_app(appid: str, redirect_uri: str) -> Response | None:
    if not appid or (current_state().settings.wecom_corp_id and appid != current_state().settings.wecom_corp_id):
        return _page("企业微信登录", "<p>参数错误：appid 无效（40013）。</p>", 400)
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _page("企业微信登录", "<p>redirect_uri 无效（50001：redirect_url 未登记为可信域名）。</p>", 400)
    return None

def _picker(title: str, hint: str) -> Response:
    appid = request.args.get("appid", "")
    redirect_uri = request.args.get("redirect_uri", "")
    if (refusal := _refuse_app(appid, redirect_uri)) is not None:
        return refusal
    with _directory().lock:
        users = sorted(_directory().users.items(), key=lambda item: (item[1].get("department", ""), item[0]))
    buttons = "".join(
        "<form method='post' action='/_sandbox/wecom/confirm'>"
        f"<input type='hidden' name='redirect_uri' value='{html.escape(redirect_uri)}'>"
        f"<input type='hidden' name='state' value='{html.escape(request.args.get('state', ''))}'>"
        f"<input type='hidden' name='appid' value='{html.escape(appid)}'>"
        f"<button type='submit' name='userid' value='{html.escape(userid)}'>"
        f"{html.escape(info.get('name', userid))}（{html.escape(info.get('department', ''))}，{html.escape(userid)}）"
        "</button></form>"
        for userid, info in users
    )
    if not buttons:
        buttons = "<p>通讯录为空：先运行 <code>flask --app app console sandbox-users</code>。</p>"
    return _page(title, f"<p class='hint'>{html.escape(hint)}</p>{buttons}")

@bp.get("/wwlogin/sso/login")
def wecom_qr_login():
    """企业微信扫码登录 (login_type=CorpApp): pick the member who scans and confirms."""
    return _picker("企业微信扫码登录（沙箱）", "沙箱不显示二维码：选择扫码并确认登录的成员。")

@bp.get("/connect/oauth2/authorize")
def wecom_oauth_authorize():
    """In the WeCom client the member is known and the redirect is silent; elsewhere, pick one."""
    if request.args.get("response_type") != "code" or request.args.get("scope") not in ("snsapi_base", "snsapi_privateinfo"):
        return _page("企业微信授权", "<p>参数错误：response_type 应为 code，scope 应为 snsapi_base。</p>", 400)
    userid = request.cookies.get(CLIENT_COOKIE, "")
    with _directory().lock:
        known = userid in _directory().users
    if known:
        appid, redirect_uri = request.args.get("appid", ""), request.args.get("redirect_uri", "")
        if (refusal := _refuse_app(appid, redirect_uri)) is not None:
            return refusal
        return redirect(_with_query(redirect_uri, code=_directory().issue_code(userid), state=request.args.get("state", "")))
    return _picker("企业微信授权（沙箱）", "这个浏览器不是企业微信客户端：选择以哪位成员的身份打开。")

@bp.post("/_sandbox/wecom/confirm")
def wecom_confirm():
    userid = request.form.get("userid", "")
    appid, redirect_uri = request.form.get("appid", ""), request.form.get("redirect_uri", "")
    if (refusal := _refuse_app(appid, redirect_uri)) is not None:
        return refusal
    with _directory().lock:
        known = userid in _directory().users
    if not known:
        return _page("企业微信登录", "<p>该成员不在通讯录中（60111 userid not found）。</p>", 400)
    code = _directory().issue_code(userid)
    return redirect(_with_query(redirect_uri, code=code, state=request.form.get("state", ""), appid=appid))

@bp.get("/cgi-bin/auth/getuserinfo")
def wecom_getuserinfo():
    if (error := token_error("work")) is not None:
        return error
    code = request.args.get("code", "")
    if not code:
        return jsonify({"errcode": 41008, "errmsg": "missing code"})
    userid = _directory().redeem(code)
    if userid is None:
        current_state().reject(40029)
        return jsonify({"errcode": 40029, "errmsg": "invalid code"})
    return jsonify({"errcode": 0, "errmsg": "ok", "userid": userid, "user_ticket": secrets.token_urlsafe(16), "expires_in": 1800})

@bp.get("/_sandbox/wecom/users")
def wecom_users():
    with _directory().lock:
        users = [{"userid": userid, **info} for userid, info in sorted(_directory().users.items())]
    return jsonify({"users": users})

@bp.put("/_sandbox/wecom/users")
def wecom_set_users():
    data = request.get_json(force=True, silent=True)
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, list) or not all(isinstance(u, dict) and isinstance(u.get("userid"), str) and u["userid"] for u in users):
        return jsonify({"error": "users must be a list of {userid, name, department}"}), 400
    with _directory().lock:
        _directory().users = {
            u["userid"]: {"name": str(u.get("name") or u["userid"]), "department": str(u.get("department") or "")}
            for u in users
        }
        count = len(_directory().users)
    return jsonify({"users": count})

@bp.post("/_sandbox/wecom/codes")
def wecom_issue_code():
    data = request.get_json(force=True, silent=True) or {}
    userid = data.get("userid") if isinstance(data, dict) else None
    with _directory().lock:
        known = userid in _directory().users
    if not known:
        return jsonify({"error": "unknown userid"}), 404
    return jsonify({"code": _directory().issue_code(userid)}), 201

@bp.get("/_sandbox/wecom/client")
def wecom_client():
    userid = request.args.get("userid", "")
    response = jsonify({"client": userid or None})
    if userid:
        response.set_cookie(CLIENT_COOKIE, userid, httponly=True, samesite="Lax")
    else:
        response.delete_cookie(CLIENT_COOKIE)
    return response
