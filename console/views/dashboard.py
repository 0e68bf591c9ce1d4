"""首页."""

from __future__ import annotations

from functools import wraps

from flask import redirect, render_template, url_for
from flask_login import current_user

from app.extensions import db
from app.models.base import utcnow
from app.services import dashboard as dashboard_service
from app.services import ledger_console
from console import auth, bp
from console.charts import participation_bars


def _inspectors_land_on_inspections(view):
    """A 检查组 member's console is the 检查 section: the home page (and login's landing) leads there."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not current_user.can("dashboard.view") and current_user.can("inspections.view"):
            return redirect(url_for("console.inspections"))
        return view(*args, **kwargs)

    return wrapper


@bp.get("/")
@_inspectors_land_on_inspections
@auth.requires("dashboard.view")
def dashboard():
    viewer, now = auth.viewer(), utcnow()
    board = dashboard_service.build_dashboard(db.session, viewer, now)
    ledger = ledger_console.dashboard_panel(db.session, viewer, now) if viewer.can("ledger.view") else None
    return render_template("console/dashboard.html", board=board, chart=participation_bars(board.month, board.year), ledger=ledger)


@bp.get("")
def root():
    return redirect(url_for("console.dashboard"))
