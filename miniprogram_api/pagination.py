"""Page-number pagination shared by the list endpoints: ``?page=1&per_page=20``."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Integer
from apiflask.validators import Range
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


class PageQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1, max=10_000))
    per_page = Integer(load_default=20, validate=Range(min=1, max=100))


class PageMeta(Schema):
    page = Integer()
    per_page = Integer()
    total = Integer()
    pages = Integer()


def paginate(session: Session, statement: Select, page: int, per_page: int) -> dict[str, Any]:
    """Run ``statement`` for one page; returns ``{"items": [...], "meta": {...}}``."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    items = session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    pages = (total + per_page - 1) // per_page
    return {"items": items, "meta": {"page": page, "per_page": per_page, "total": total, "pages": pages}}
