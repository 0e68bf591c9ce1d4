"""Inspection rounds: the score sheet from the plan, scoring beside the 台账, draft → submitted → locked,
audited corrections after locking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from app.services import audit
from app.services.inspections import rounds
from app.services.inspections.errors import (
    NotInspector,
    RoundExists,
    RoundLocked,
    RoundNotLocked,
    RoundWrongState,
    ScoreOverMaximum,
    ScoresIncomplete,
)
from app.services.ledger.errors import PlanNotFound
from tests import factories
from tests.inspection_helpers import locked_round, make_inspector, make_round, score_all
from tests.ledger_helpers import held_event


def test_round_from_plan_has_18_items_whose_maximums_sum_to_100(app):
    found = make_round()
    assert [line.number for line in found.scores] == list(range(1, 19))
    assert rounds.max_total(found) == Decimal(100)
    assert found.title == "2026年下半年创建工作检查"
    assert [point.name for point in found.checkpoints] == ["整洁", "物品摆放", "禁烟", "卫生间", "停车"]
    assert found.status == "draft"


def test_round_without_a_plan_is_refused(app):
    with pytest.raises(PlanNotFound):
        rounds.create_round(db.session, year=2031, starts_on=date(2031, 5, 1), ends_on=date(2031, 5, 2),
                            actor=audit.Actor.system())


def test_second_round_with_the_same_title_is_refused(app):
    make_round()
    with pytest.raises(RoundExists):
        make_round()


def test_inspector_score_over_the_maximum_is_refused(app):
    found = make_round()
    inspector = make_inspector()
    with pytest.raises(ScoreOverMaximum) as refused:
        rounds.score_item(db.session, found.id, 1, score="6.5", findings=None, scorer=inspector,
                          actor=audit.Actor.staff(inspector.id))
    assert "满分 6 分" in refused.value.message


def test_staff_without_the_inspector_role_cannot_score(app):
    found = make_round()
    with pytest.raises(NotInspector):
        rounds.score_item(db.session, found.id, 1, score=5, findings=None, scorer=factories.make_staff(),
                          actor=audit.Actor.system())


def test_submitting_with_unscored_items_is_refused(app):
    found = make_round()
    rounds.score_item(db.session, found.id, 1, score=5, findings=None, scorer=None, actor=audit.Actor.system())
    with pytest.raises(ScoresIncomplete) as refused:
        rounds.submit_round(db.session, found.id, audit.Actor.system())
    assert "17 项" in refused.value.message


def test_scores_of_a_locked_round_change_only_by_an_audited_correction(app):
    found = locked_round()
    assert found.status == "locked"
    assert rounds.total_score(found) == Decimal(98)
    with pytest.raises(RoundLocked):
        rounds.score_item(db.session, found.id, 1, score=1, findings=None, scorer=None, actor=audit.Actor.system())
    line = rounds.correct_score(db.session, found.id, 6, "6", "复核后补充了道德讲堂记录", audit.Actor.cli())
    assert line.score == Decimal(6)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "inspection.correct_score"))
    assert entry.detail["before"] == "5.0" and entry.detail["after"] == "6.0"
    assert entry.detail["reason"] == "复核后补充了道德讲堂记录"


def test_correcting_a_round_that_is_not_locked_is_refused(app):
    found = make_round()
    with pytest.raises(RoundNotLocked):
        rounds.correct_score(db.session, found.id, 1, 5, "更正原因", audit.Actor.cli())


def test_locking_a_draft_is_refused_and_a_submitted_round_can_be_reopened(app):
    found = make_round()
    with pytest.raises(RoundWrongState):
        rounds.lock_round(db.session, found.id, audit.Actor.system())
    score_all(found.id)
    rounds.submit_round(db.session, found.id, audit.Actor.system())
    with pytest.raises(RoundWrongState):
        rounds.score_item(db.session, found.id, 1, score=1, findings=None, scorer=None, actor=audit.Actor.system())
    assert rounds.reopen_round(db.session, found.id, audit.Actor.system()).status == "draft"


def test_score_sheet_shows_each_items_ledger_evidence(app):
    found = make_round()
    held_event("道德讲堂", date(2026, 9, 10), title="道德讲堂：敬业奉献")
    _, lines = rounds.score_sheet(db.session, found.id)
    lecture = next(line for line in lines if line.line.number == 6)
    assert [e.event.title for e in lecture.progress.events] == ["道德讲堂：敬业奉献"]
    assert lecture.progress.status == "进行中"  # held, its record and photos still missing
    assert next(line for line in lines if line.line.number == 15).progress.status == "未开展"
    assert len(lines) == 18


def test_demo_has_a_submitted_round_with_checks_survey_and_rectifications(app):
    from app.demo import seed_demo
    from app.services.inspections import checks, rectifications, surveys

    seed_demo(db.session)
    seed_demo(db.session)  # idempotent
    found, = rounds.list_rounds(db.session)
    assert found.status == "submitted" and rounds.total_score(found) == Decimal(94)
    assert [r.department for r in checks.department_results(db.session, found.id)][-1] == "综合业务科"
    results = surveys.survey_results(db.session, db.session.scalar(select(surveys.Survey.id)))
    assert results.responses == 15
    assert [r.status for r in rectifications.list_rectifications(db.session, round_id=found.id)] == ["done", "pending"]
