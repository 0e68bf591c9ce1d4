"""Bearer-token authentication for mini-program views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from app.errors import Forbidden, Unauthorized
from app.extensions import db
from app.models import MiniProgramAccount, Staff
from app.services import auth


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


def _authenticate() -> MiniProgramAccount:
    api_session = auth.authenticate(db.session, bearer_token())
    g.api_session = api_session
    g.account = api_session.account
    return api_session.account


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
