"""首页."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from app.extensions import db
from app.models.base import utcnow
from app.services import dashboard as dashboard_service
from app.services import ledger_console
from console import auth, bp
from console.charts import participation_bars


@bp.get("/")
@auth.requires("dashboard.view")
def dashboard():
    viewer, now = auth.viewer(), utcnow()
    board = dashboard_service.build_dashboard(db.session, viewer, now)
    ledger = ledger_console.dashboard_panel(db.session, viewer, now) if viewer.can("ledger.view") else None
    return render_template("console/dashboard.html", board=board, chart=participation_bars(board.month, board.year), ledger=ledger)


@bp.get("")
def root():
    return redirect(url_for("console.dashboard"))
