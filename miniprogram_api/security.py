"""Bearer-token authentication for mini-program views."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import Response, current_app, g, request
from limits import RateLimitItem
from limits import parse as _parse_limit

from app.errors import AppError, Forbidden, Unauthorized
from app.extensions import db, limiter
from app.models import MiniProgramAccount, Staff
from app.security_log import security_event
from app.services import audit, auth, sql
from miniprogram_api import bp

NotBound = auth.NotBound  # the refusal lives with the service that decides it


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Sets ``g.api_session`` and ``g.account`` for the caller's valid token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _authenticate()
        return view(*args, **kwargs)

    return wrapper


# Who this request authenticated as, for the security log (``g`` can outlive a request in tests).
_IDENTITY = "wenming.identity"


def _authenticate() -> MiniProgramAccount:
    token = bearer_token()
    # The look-up reads the token, the account and the person afresh on every request (a revoked token
    # or a deactivated person is refused at once); in autocommit it needs no BEGIN and no ROLLBACK of
    # its own, and the view's statements then begin their transaction as usual.
    with sql.reads_in_autocommit(db.session):
        api_session = auth.authenticate(db.session, token)
    g.api_session = api_session
    g.account = api_session.account
    note_identity(api_session.account_id, api_session.account.staff_id)
    return api_session.account


def note_identity(account_id: int, staff_id: int | None) -> None:
    """Who this request authenticated as, for the security log of a refusal (``log_refusals``); for a
    view that authenticates inside its service (``wishes.look_before_claim``)."""
    request.environ[_IDENTITY] = {"account": account_id, "staff": staff_id}


def bound_staff() -> Staff:
    """Authenticate the request and return the roster entry its account is bound to (``bound_required``
    as a call, for views that authenticate late); sets ``g.api_session``, ``g.account`` and ``g.staff``."""
    staff = auth.staff_of(_authenticate())
    g.staff = staff
    return staff


def bound_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``login_required``, and the account must be bound to the roster; sets ``g.staff``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound_staff()
        return view(*args, **kwargs)

    return wrapper


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only that the request carries a bearer token (401 otherwise), before its body is read; the view
    checks the token itself."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bearer_token()
        return view(*args, **kwargs)

    return wrapper


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``bound_required``, and the bound staff member must hold the admin role."""

    @wraps(view)
    @bound_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not g.staff.is_admin:
            raise Forbidden(code="admin_required", message="此操作仅限管理员")
        return view(*args, **kwargs)

    return wrapper


@bp.after_request
def log_refusals(response: Response) -> Response:
    """Every 401 and 403 of the mini-program API is a security event: who (account, staff), what (the
    refusal's code, the method and path) and from where. Refused tokens are logged where they are refused
    (``token.refused``), so their 401 is not logged twice."""
    if response.status_code in (401, 403):
        error = (response.get_json(silent=True) or {}).get("error") or {}
        if error.get("code") != auth.InvalidToken.code:
            identity = request.environ.get(_IDENTITY, {})
            security_event(
                "access.refused",
                status=response.status_code,
                code=error.get("code"),
                account=identity.get("account"),
                staff=identity.get("staff"),
            )
    return response


@lru_cache(maxsize=64)
def parse_limit(text: str) -> RateLimitItem:
    """``20/hour`` as limits' item, parsed once per text (parsing cost more than the hit, issue 17)."""
    return _parse_limit(text)


def limit_per_key(setting: str, scope: str, key: str, error: type[AppError]) -> None:
    """One hit on the limit ``setting`` names for ``key`` (an account, a person, a target 工号), counted
    in Flask-Limiter's storage (shared by every worker through Redis); over it, a security event and
    ``error``."""
    if not limiter.limiter.hit(parse_limit(current_app.config[setting]), scope, key):
        security_event("rate_limited", scope=scope, account=request.environ.get(_IDENTITY, {}).get("account"))
        raise error()


def caller() -> audit.Actor:
    """Who this request acts as, for the audit log: the bound person (``g.staff``)."""
    return audit.Actor.staff(g.staff.id)
