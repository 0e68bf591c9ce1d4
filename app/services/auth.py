"""Mini-program login, roster binding and bearer-token sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized, UpstreamUnavailable
from app.models import ApiSession, MiniProgramAccount, Staff
from app.models.base import utcnow
from app.services import audit
from app.wechat import WeChatError, get_miniprogram


class InvalidLoginCode(AppError):
    status_code = 400
    code = "invalid_login_code"
    message = "登录凭证无效或已过期，请重新进入小程序"


class LoginRateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "登录过于频繁，请稍后再试"


class BindRateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "绑定尝试过于频繁，请稍后再试"


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message = "花名册中没有这个工号，请核对后重试或联系管理员"


class NameMismatch(AppError):
    status_code = 422
    code = "name_mismatch"
    message = "姓名与工号不匹配，请核对后重试"


class StaffAlreadyBound(Conflict):
    code = "staff_already_bound"
    message = "该工号已绑定其他微信账号，如需更换请联系管理员"


class AccountAlreadyBound(Conflict):
    code = "account_already_bound"
    message = "当前微信账号已绑定其他人员，如需更换请联系管理员"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message = "登录已失效，请重新登录"


class NotBound(Forbidden):
    code = "not_bound"
    message = "请先绑定花名册（姓名和工号）后再使用此功能"


# errcodes of jscode2session that mean the code itself is bad (not that WeChat is down).
_BAD_CODE_ERRCODES = {40029, 40163, 40226}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def exchange_code(js_code: str):
    """Ask WeChat who this code belongs to. Never trust an openid sent by the client."""
    try:
        return get_miniprogram().code_to_session(js_code)
    except WeChatError as exc:
        if exc.errcode in _BAD_CODE_ERRCODES:
            raise InvalidLoginCode() from exc
        if exc.errcode == 45011:
            raise LoginRateLimited() from exc
        current_app.logger.warning("jscode2session failed: %s", exc)
        raise UpstreamUnavailable() from exc


def log_in(session: Session, code_session, address: str | None) -> tuple[str, MiniProgramAccount, ApiSession]:
    """Create or refresh the account for an exchanged code and issue a new opaque bearer token."""
    now = utcnow()
    account = session.scalar(select(MiniProgramAccount).where(MiniProgramAccount.openid == code_session.openid))
    if account is None:
        account = MiniProgramAccount(openid=code_session.openid)
        session.add(account)
        try:
            session.flush()
        except IntegrityError:
            # The same person logged in twice at once; use the row the other request created.
            session.rollback()
            account = session.scalar(
                select(MiniProgramAccount).where(MiniProgramAccount.openid == code_session.openid)
            )
    account.session_key = code_session.session_key
    account.unionid = code_session.unionid or account.unionid
    account.last_login_at = now

    token = secrets.token_urlsafe(32)  # 256 bits
    ttl = timedelta(hours=current_app.config["MP_TOKEN_TTL_HOURS"])
    api_session = ApiSession(
        token_hash=hash_token(token), account=account, expires_at=now + ttl, created_ip=address
    )
    session.add(api_session)
    session.commit()
    return token, account, api_session


def authenticate(session: Session, token: str) -> ApiSession:
    api_session = session.scalar(select(ApiSession).where(ApiSession.token_hash == hash_token(token)))
    if api_session is None or not api_session.is_valid(utcnow()):
        raise InvalidToken()
    return api_session


def bound_staff(session: Session, token: str) -> Staff:
    """The roster entry behind a valid token, bound and active (``bound_staff_query`` is its SQL twin)."""
    return staff_of(authenticate(session, token).account)


def staff_of(account: MiniProgramAccount) -> Staff:
    """The active roster entry ``account`` is bound to; ``NotBound`` otherwise."""
    staff: Staff | None = account.staff
    if staff is None or not staff.active:
        raise NotBound()
    return staff


def bound_staff_query(token_hash: Any, now: Any) -> Select:
    """SELECT the staff id behind a valid token of an account bound to an active roster entry.

    What ``authenticate`` and the mini-program's ``bound_required`` establish together, as a query other
    statements can embed (``token_hash`` and ``now`` may be values or bound parameters)."""
    return (
        select(MiniProgramAccount.staff_id)
        .join_from(ApiSession, MiniProgramAccount, ApiSession.account_id == MiniProgramAccount.id)
        .join(Staff, Staff.id == MiniProgramAccount.staff_id)
        .where(ApiSession.token_hash == token_hash, ApiSession.valid_at(now), Staff.active.is_(True))
    )


def log_out(session: Session, api_session: ApiSession) -> None:
    api_session.revoked_at = utcnow()
    session.commit()


def bind_account(session: Session, account: MiniProgramAccount, name: str, employee_no: str) -> Staff:
    """Bind a mini-program account to one roster entry, checked by employee number and name."""
    staff = session.scalar(select(Staff).where(Staff.employee_no == employee_no.strip(), Staff.active.is_(True)))
    if staff is None:
        raise StaffNotFound()
    if staff.name != name.strip():
        raise NameMismatch()
    if account.staff_id == staff.id:
        return staff
    if account.staff_id is not None:
        raise AccountAlreadyBound()

    # Conditional update: only an unbound account is bound, and the unique constraint on staff_id
    # makes a concurrent bind of the same staff member to another account fail.
    try:
        result = session.execute(
            update(MiniProgramAccount)
            .where(MiniProgramAccount.id == account.id, MiniProgramAccount.staff_id.is_(None))
            .values(staff_id=staff.id, bound_at=utcnow())
        )
        if result.rowcount != 1:
            session.rollback()
            raise AccountAlreadyBound()
        audit.record(
            session, audit.Actor.account(account.id), "account.bind", "staff", staff.id, openid=account.openid
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise StaffAlreadyBound() from exc
    session.refresh(account)
    return staff


def unbind_staff(session: Session, staff: Staff, actor: audit.Actor) -> int | None:
    """Admin operation: free a roster entry so the person can bind a new WeChat account.

    Revokes the old account's tokens too. Returns how many were revoked, or None when nothing was bound.
    """
    account = session.scalar(select(MiniProgramAccount).where(MiniProgramAccount.staff_id == staff.id))
    if account is None:
        return None
    account.staff_id = None
    account.bound_at = None
    revoked = session.execute(
        update(ApiSession)
        .where(ApiSession.account_id == account.id, ApiSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    audit.record(session, actor, "account.unbind", "staff", staff.id, openid=account.openid, revoked=revoked)
    session.commit()
    return revoked
