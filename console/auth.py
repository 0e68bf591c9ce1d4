"""Who is signed in: Flask-Login over the roster, session lifetime, and the one role decorator."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from app.extensions import db
from app.models import Staff
from app.services import console_auth
from app.services.roles import Viewer, has_console_role

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = "请先登录管理后台。"
login_manager.login_message_category = "warning"

STARTED = "console_started"
SEEN = "console_seen"


class ConsoleUser(UserMixin):
    """The signed-in person for this request, with the scope of their roles."""

    def __init__(self, staff: Staff) -> None:
        self.staff = staff
        self.id = staff.id
        # console_user admits a person without a console role only as an appointed judge
        self.viewer = Viewer.of(staff, judge=not has_console_role(staff))

    def can(self, capability: str) -> bool:
        return self.viewer.can(capability)


@login_manager.user_loader
def _load(user_id: str) -> ConsoleUser | None:
    # Read every request: a deactivated person or a revoked role is signed out on the next one.
    if not user_id.isdigit():
        return None
    staff = console_auth.console_user(db.session, int(user_id))
    return ConsoleUser(staff) if staff is not None else None


def start_session(staff: Staff) -> None:
    """A fresh session for ``staff``: everything from before the login (state, old identity) is dropped."""
    session.clear()
    session.permanent = True
    login_user(ConsoleUser(staff))
    now = int(time.time())
    session[STARTED] = now
    session[SEEN] = now


def end_session() -> None:
    logout_user()
    session.clear()


def check_session_age() -> None:
    """Idle timeout and absolute lifetime; called before every console request."""
    if STARTED not in session:
        return
    now = int(time.time())
    config = current_app.config
    idle = now - int(session.get(SEEN, 0)) > config["CONSOLE_IDLE_MINUTES"] * 60
    expired = now - int(session.get(STARTED, 0)) > config["CONSOLE_SESSION_HOURS"] * 3600
    if idle or expired:
        end_session()
        flash("登录已过期，请重新登录。" if expired else "长时间未操作，已自动退出，请重新登录。", "warning")
        return
    if now != session.get(SEEN):
        session[SEEN] = now


def requires(capability: str) -> Callable:
    """A view for signed-in people holding ``capability`` (see app.services.roles.CAPABILITIES)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(capability):
                if current_user.viewer.is_judge_only and request.endpoint == "console.dashboard":
                    return redirect(url_for("console.judging"))  # a judge's home is their scoring list
                abort(403)
            return view(*args, **kwargs)

        wrapper.capability = capability
        return wrapper

    return decorate


def viewer() -> Viewer:
    return current_user.viewer


def safe_next(target: str | None) -> str:
    """Only a path inside the console, never another host."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.dashboard")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["CONSOLE_SESSION_HOURS"])
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config["WTF_I18N_ENABLED"] = False  # WTForms' own zh messages (Meta.locales)


def _redirect_to_login():
    return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))


login_manager.unauthorized_handler(_redirect_to_login)
