"""Liveness that includes the database: load balancers and ``make run`` poll this."""

from __future__ import annotations

from apiflask import APIBlueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = APIBlueprint("health", __name__, enable_openapi=False)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "error": {"code": "database_unavailable", "message": "数据库无法连接"}}, 503
    return {"status": "ok"}
