"""One page of a list: a LIMIT/OFFSET select and a COUNT, two queries whatever the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 20


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(session: Session, statement: Select, number: int, per_page: int = PER_PAGE, scalars: bool = True) -> Page:
    number = max(1, min(number, 100_000))
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    paged = statement.limit(per_page).offset((number - 1) * per_page)
    items = list(session.scalars(paged) if scalars else session.execute(paged))
    return Page(items, number, per_page, int(total))
