"""Console sign-in: passwords (argon2id, failures limited per account and per address) and WeCom
single sign-on (a code from the QR login or the in-client OAuth redirect, exchanged for a userid)."""

from __future__ import annotations

from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import AppError, Unauthorized, UpstreamUnavailable
from app.extensions import limiter
from app.models import ConsoleCredential, Staff
from app.models.base import utcnow
from app.security_log import security_event
from app.services import audit
from app.services.roles import has_console_role
from app.services.voting import judges_open_selections
from app.wechat import WeChatError, get_work

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128

# argon2-cffi's defaults are RFC 9106's second recommended option for argon2id.
_hasher = PasswordHasher()
# Verified when the 工号 is unknown, so an unknown account costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


class WeakPassword(AppError):
    code = "weak_password"
    message = f"密码至少 {PASSWORD_MIN_LENGTH} 个字符"


class LoginFailed(Unauthorized):
    code = "login_failed"
    message = "工号或密码不正确"


class LoginLocked(AppError):
    status_code = 429
    code = "login_locked"
    message = "登录失败次数过多，请稍后再试"


class NotAConsoleUser(AppError):
    status_code = 403
    code = "not_console_user"
    message = "您不在花名册中，或没有使用管理后台的权限，请联系创建办"


class WeComLoginFailed(Unauthorized):
    code = "wecom_login_failed"
    message = "企业微信登录失败，请重新扫码"


def validate_password(password: str) -> str:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword()
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"密码不能超过 {PASSWORD_MAX_LENGTH} 个字符")
    if password.strip() != password or not password.isprintable():
        raise WeakPassword("密码不能以空格开头或结尾，也不能包含控制字符")
    return password


def set_password(session: Session, staff: Staff, password: str, actor: audit.Actor) -> None:
    """Store an argon2id hash of ``password`` for ``staff`` (replacing any earlier one); audited."""
    digest = _hasher.hash(validate_password(password))
    credential = session.get(ConsoleCredential, staff.id)
    if credential is None:
        session.add(ConsoleCredential(staff_id=staff.id, password_hash=digest))
    else:
        credential.password_hash = digest
        credential.updated_at = utcnow()
    audit.record(session, actor, "console.set_password", "staff", staff.id)
    session.commit()


def _failure_limits() -> tuple:
    config = current_app.config
    return (
        (parse_limit(config["CONSOLE_LOGIN_FAILURES_PER_ACCOUNT"]), "console-login-account"),
        (parse_limit(config["CONSOLE_LOGIN_FAILURES_PER_ADDRESS"]), "console-login-address"),
    )


def _staff_query():
    return select(Staff).options(selectinload(Staff.roles))


def password_log_in(session: Session, employee_no: str, password: str, address: str) -> Staff:
    """The person whose 工号 and password match and who may use the console.

    Failures count per 工号 and per address (in Flask-Limiter's storage, shared by workers through
    Redis); once either limit is reached every attempt is refused, right or wrong, until the window
    passes. The refusal never says whether the 工号 or the password was wrong."""
    employee_no = employee_no.strip()
    keys = (employee_no, address)
    limits = _failure_limits()
    if not all(limiter.limiter.test(item, scope, key) for (item, scope), key in zip(limits, keys, strict=True)):
        raise LoginLocked()
    staff = session.scalar(_staff_query().where(Staff.employee_no == employee_no)) if employee_no else None
    credential = session.get(ConsoleCredential, staff.id) if staff is not None else None
    try:
        _hasher.verify(credential.password_hash if credential else _DUMMY_HASH, password)
        matched = credential is not None
    except (VerificationError, InvalidHashError):
        matched = False
    if not matched or not may_use_console(session, staff):
        for (item, scope), key in zip(limits, keys, strict=True):
            limiter.limiter.hit(item, scope, key)
        audit.record(session, audit.Actor.system(), "console.login_failed", "staff", staff.id if staff else None, address=address)
        session.commit()
        security_event("console_login_failed", staff=staff.id if staff else None, employee_no=employee_no)
        raise LoginFailed()
    if _hasher.check_needs_rehash(credential.password_hash):
        credential.password_hash = _hasher.hash(password)
    audit.record(session, audit.Actor.staff(staff.id), "console.login", "staff", staff.id, method="password", address=address)
    session.commit()
    return staff


WECOM_OAUTH_HOST = "https://open.weixin.qq.com"


def in_wecom_client(user_agent: str) -> bool:
    """Whether a page was opened inside the WeCom app (its browser says ``wxwork``)."""
    return "wxwork" in user_agent.lower()


def wecom_oauth_url(redirect_uri: str, state: str) -> str:
    """The silent OAuth2 redirect (snsapi_base) a page opened inside the WeCom client goes through."""
    config = current_app.config
    base = config["WECOM_LOGIN_BASE"] or config["WECHAT_API_BASE"] or WECOM_OAUTH_HOST
    query = urlencode({
        "appid": config["WECOM_CORP_ID"], "redirect_uri": redirect_uri, "response_type": "code",
        "scope": "snsapi_base", "state": state, "agentid": config["WECOM_AGENT_ID"],
    })
    return f"{base}/connect/oauth2/authorize?{query}#wechat_redirect"


def member_by_wecom(session: Session, userid: str) -> Staff | None:
    """The active roster entry whose 企业微信账号 is ``userid`` (any member, with or without a console role)."""
    return session.scalar(select(Staff).where(Staff.wecom_userid == userid, Staff.active.is_(True)))


def wecom_userid(code: str) -> str:
    """Exchange a WeCom OAuth/QR-login code for the member's userid (auth/getuserinfo)."""
    try:
        userid = get_work().user_id_from_code(code)
    except WeChatError as exc:
        if exc.errcode is None or exc.transient:
            raise UpstreamUnavailable("企业微信暂时无法验证身份，请稍后重试") from exc
        raise WeComLoginFailed() from exc
    if userid is None:
        raise NotAConsoleUser("您不是本单位企业微信的成员")
    return userid


def wecom_log_in(session: Session, userid: str, address: str) -> Staff:
    """The roster entry whose 企业微信账号 is ``userid``, when they may use the console."""
    staff = session.scalar(_staff_query().where(Staff.wecom_userid == userid))
    if staff is None or not may_use_console(session, staff):
        raise NotAConsoleUser()
    audit.record(session, audit.Actor.staff(staff.id), "console.login", "staff", staff.id, method="wecom", address=address)
    session.commit()
    return staff


def console_user(session: Session, staff_id: int) -> Staff | None:
    """The signed-in person as of this request: None once deactivated or without a console role."""
    staff = session.scalar(_staff_query().where(Staff.id == staff_id))
    return staff if staff is not None and may_use_console(session, staff) else None


def may_use_console(session: Session, staff: Staff) -> bool:
    """A console role, or (reaching only their scoring pages) a judge of a selection still being decided."""
    return has_console_role(staff) or (staff.active and judges_open_selections(session, staff.id))
