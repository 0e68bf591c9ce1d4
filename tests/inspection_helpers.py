"""Helpers for the 检查考评 tests: a plan, a round, inspectors, a scored and locked round."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.models.org import ROLE_INSPECTOR
from app.services import audit
from app.services.inspections import rounds
from app.services.ledger import plan
from tests import factories
from tests.ledger_helpers import init_plan

TODAY = date(2026, 12, 1)


def make_inspector(name: str = "检查员", department: str = "创建办", **fields):
    person = factories.make_staff(name=name, department=department, **fields)
    person.grant(ROLE_INSPECTOR)
    db.session.commit()
    return person


def make_round(year: int = 2026, title: str | None = None, starts_on: date = date(2026, 11, 20),
               ends_on: date = date(2026, 11, 30)):
    if plan.find_plan(db.session, year) is None:
        init_plan(year)
    return rounds.create_round(db.session, year=year, starts_on=starts_on, ends_on=ends_on,
                               actor=audit.Actor.system(), title=title)


def score_all(round_id: int, scorer=None, findings: dict[int, str] | None = None) -> None:
    found = rounds.get_round(db.session, round_id)
    for line in list(found.scores):
        score = line.max_score - (1 if line.number in (findings or {}) else 0)
        rounds.score_item(db.session, round_id, line.number, score=score,
                          findings=(findings or {}).get(line.number), scorer=scorer, actor=audit.Actor.system())


def lock(found):
    score_all(found.id, findings={6: "下半年道德讲堂记录不全", 14: "部分办公室物品摆放杂乱"})
    rounds.submit_round(db.session, found.id, audit.Actor.system())
    return rounds.lock_round(db.session, found.id, audit.Actor.system())


def locked_round(**fields):
    return lock(make_round(**fields))
