"""Mini-program login, roster binding and bearer-token sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized, UpstreamUnavailable
from app.models import ApiSession, BindRequest, MiniProgramAccount, Staff
from app.models.account import BIND_APPROVED, BIND_PENDING, BIND_REJECTED
from app.models.base import utcnow
from app.security_log import security_event
from app.services import audit
from app.services.staff import find_staff
from app.wechat import WeChatError, get_miniprogram

# BIND_BY_NAME: name + 工号 binds at once ("open"), files a request ("approval") or is refused ("off").
BIND_APPROVAL, BIND_OFF = "approval", "off"


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


class BindNotMatched(AppError):
    """One answer for every refusal about the person: no such 工号, a name that does not match, a phone
    number not on the roster, or a person already bound to another account. Telling them apart would
    tell an attacker which 工号 exist and who has an account."""

    status_code = 422
    code = "bind_not_matched"
    message = "未能核实您的身份：信息与花名册不符或该人员无法绑定。请核对后重试，或联系管理员"


class BindMethodDisabled(Forbidden):
    code = "bind_method_disabled"
    message = "管理员已关闭这种绑定方式，请使用手机号绑定或联系管理员"


class InvalidPhoneCode(AppError):
    status_code = 400
    code = "invalid_phone_code"
    message = "手机号授权已失效，请重新点击按钮授权"


class StaffAlreadyBound(Conflict):
    """Only admins see this (approving a request for someone who has bound meanwhile)."""

    code = "staff_already_bound"
    message = "该人员已绑定其他微信账号，如需更换请先解绑"


class BindRequestPending(Conflict):
    code = "bind_request_pending"
    message = "您已有一条待审核的绑定申请，请等待管理员审核"


class BindRequestNotFound(NotFound):
    code = "bind_request_not_found"
    message = "没有这条待审核的绑定申请（可能已被处理）"


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


# Built once: every authenticated request runs it (with the account and the person, joined), and a
# statement built per call costs more CPU than its round trip on this path (issue 17's profile).
_SESSION_BY_TOKEN = select(ApiSession).where(ApiSession.token_hash == bindparam("token_hash"))


def authenticate(session: Session, token: str) -> ApiSession:
    token_hash = hash_token(token)
    api_session = session.scalar(_SESSION_BY_TOKEN, {"token_hash": token_hash})
    if api_session is None or not api_session.is_valid(utcnow()):
        # The digest's first 12 characters identify a token in the logs without being one.
        reason = "unknown" if api_session is None else ("revoked" if api_session.revoked_at else "expired")
        security_event(
            "token.refused", reason=reason, token=token_hash[:12],
            account=api_session.account_id if api_session is not None else None,
        )
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


def bind_options() -> dict[str, Any]:
    """Which ways of binding the mini-program may offer: ``{"phone": bool, "name": "open"|"approval"|"off"}``."""
    config = current_app.config
    return {"phone": bool(config["BIND_BY_PHONE"]), "name": config["BIND_BY_NAME"]}


def normalise_mobile(number: str | None) -> str | None:
    """A mainland mobile number as its 11 digits (``+86 138-0013-8000`` → ``13800138000``), else None."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if len(digits) == 11 and digits.startswith("1") else None


def exchange_phone_code(code: str) -> str | None:
    """The mainland mobile number WeChat verified for the phone-number button's ``code`` (None: not one)."""
    try:
        phone = get_miniprogram().get_phone_number(code)
    except WeChatError as exc:
        if exc.errcode in _BAD_CODE_ERRCODES:
            raise InvalidPhoneCode() from exc
        current_app.logger.warning("getuserphonenumber failed: %s", exc)
        raise UpstreamUnavailable() from exc
    return normalise_mobile(phone.pure_number) if phone.country_code == "86" else None


def _refuse(account: MiniProgramAccount, method: str, reason: str, target: str | None = None) -> BindNotMatched:
    security_event("bind.refused", account=account.id, via=method, reason=reason, target=target)
    return BindNotMatched()


def bind_by_phone(session: Session, account: MiniProgramAccount, code: str) -> Staff:
    """Bind to the one active roster entry whose mobile is the number WeChat verified for the
    phone-number button's ``code``."""
    if not current_app.config["BIND_BY_PHONE"]:
        raise BindMethodDisabled()
    mobile = exchange_phone_code(code)
    matches = (
        session.scalars(select(Staff).where(Staff.phone == mobile, Staff.active.is_(True)).limit(2)).all()
        if mobile
        else []
    )
    if len(matches) != 1:
        raise _refuse(account, "phone", "no roster entry" if not matches else "several roster entries")
    return _bind(session, account, matches[0], method="phone")


def bind_account(
    session: Session, account: MiniProgramAccount, name: str, employee_no: str, address: str | None = None
) -> Staff | BindRequest:
    """Name + 工号 (the fallback to the phone number): binds at once (``BIND_BY_NAME=open``), files a request an admin decides
    (``approval``; returns the ``BindRequest``), or is refused (``off``)."""
    mode = current_app.config["BIND_BY_NAME"]
    if mode == BIND_OFF:
        raise BindMethodDisabled()
    employee_no = employee_no.strip()
    staff = find_staff(session, employee_no, active_only=True)
    if staff is None or staff.name != name.strip():
        raise _refuse(account, "name", "no such person or name mismatch", target=employee_no)
    if account.staff_id == staff.id:
        return staff
    if account.staff_id is not None:
        raise AccountAlreadyBound()
    if mode == BIND_APPROVAL:
        return _file_bind_request(session, account, staff, address)
    return _bind(session, account, staff, method="name")


def _bind(session: Session, account: MiniProgramAccount, staff: Staff, method: str) -> Staff:
    """Conditional update: only an unbound account is bound, and the unique constraint on staff_id makes
    a bind of a person already bound to another account (concurrent or not) fail."""
    if account.staff_id == staff.id:
        return staff
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
            session, audit.Actor.account(account.id), "account.bind", "staff", staff.id,
            openid=account.openid, method=method,
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise _refuse(account, method, "person bound to another account", target=staff.employee_no) from exc
    session.refresh(account)
    return staff


def _file_bind_request(
    session: Session, account: MiniProgramAccount, staff: Staff, address: str | None
) -> BindRequest:
    """One pending request per account (unique ``pending_account_id``); asking again for the same person
    answers the pending request."""
    pending = session.scalar(select(BindRequest).where(BindRequest.pending_account_id == account.id))
    if pending is not None:
        if pending.staff_id == staff.id:
            return pending
        raise BindRequestPending()
    request = BindRequest(account_id=account.id, staff_id=staff.id, pending_account_id=account.id, created_ip=address)
    session.add(request)
    try:
        session.flush()
        audit.record(session, audit.Actor.account(account.id), "bind_request.create", "staff", staff.id, request=request.id)
        session.commit()
    except IntegrityError as exc:  # the same account asked twice at once
        session.rollback()
        raise BindRequestPending() from exc
    return request


def list_bind_requests(session: Session, status: str | None = BIND_PENDING, limit: int = 100) -> list[BindRequest]:
    query = select(BindRequest).order_by(BindRequest.id.desc()).limit(limit)
    if status is not None:
        query = query.where(BindRequest.status == status)
    return list(session.scalars(query))


def _decide(session: Session, request_id: int, status: str, actor: audit.Actor) -> BindRequest:
    """Move a pending request to ``status``; the conditional update lets one decision win."""
    decided = session.execute(
        update(BindRequest)
        .where(BindRequest.id == request_id, BindRequest.status == BIND_PENDING)
        .values(status=status, pending_account_id=None, decided_at=utcnow(), decided_by=f"{actor.type}:{actor.id or ''}")
    )
    if decided.rowcount != 1:
        session.rollback()
        raise BindRequestNotFound()
    request = session.get(BindRequest, request_id)
    session.refresh(request)
    return request


def approve_bind_request(session: Session, request_id: int, actor: audit.Actor) -> BindRequest:
    """Bind the request's account to its person, in the same transaction as the decision."""
    request = _decide(session, request_id, BIND_APPROVED, actor)
    try:
        bound = session.execute(
            update(MiniProgramAccount)
            .where(MiniProgramAccount.id == request.account_id, MiniProgramAccount.staff_id.is_(None))
            .values(staff_id=request.staff_id, bound_at=utcnow())
        )
        if bound.rowcount != 1:
            session.rollback()
            raise AccountAlreadyBound("申请人的微信账号已绑定其他人员")
        audit.record(session, actor, "bind_request.approve", "staff", request.staff_id, request=request.id)
        audit.record(
            session, audit.Actor.account(request.account_id), "account.bind", "staff", request.staff_id,
            openid=request.account.openid, method="approval",
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise StaffAlreadyBound() from exc
    return request


def reject_bind_request(session: Session, request_id: int, actor: audit.Actor) -> BindRequest:
    request = _decide(session, request_id, BIND_REJECTED, actor)
    audit.record(session, actor, "bind_request.reject", "staff", request.staff_id, request=request.id)
    session.commit()
    return request


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
