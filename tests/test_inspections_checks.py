"""Department checks of the office environment (item 14): an editable checklist, pass/fail with notes
and cleaned photos, department scores and a ranking."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.extensions import db
from app.models import InspectionPhoto
from app.services import audit
from app.services.inspections import checks
from app.services.inspections.errors import CheckPointNotFound, NotInspector, RoundLocked
from tests import factories
from tests.inspection_helpers import locked_round, make_inspector, make_round
from tests.wish_helpers import jpeg_with_gps


def check_all(found, department, inspector, failing: dict[str, str] | None = None, photos=None):
    for point in found.checkpoints:
        note = (failing or {}).get(point.name)
        checks.record_check(db.session, found.id, checkpoint_id=point.id, department_id=department.id,
                            passed=note is None, note=note or "", photos=photos or [], inspector=inspector)


def test_departments_are_scored_and_ranked_by_points_passed(app):
    found = make_round()
    inspector = make_inspector()
    office, finance, archive = (factories.make_department(n) for n in ("办公室", "财务科", "档案室"))
    check_all(found, office, inspector)
    check_all(found, finance, inspector, {"禁烟": "楼梯间有烟头", "停车": "车辆乱停"})
    check_all(found, archive, inspector)
    results = checks.department_results(db.session, found.id)
    assert [(r.rank, r.department, r.score) for r in results] == [(1, "办公室", 100.0), (1, "档案室", 100.0),
                                                                   (3, "财务科", 60.0)]
    assert results[2].failures == ["禁烟：楼梯间有烟头", "停车：车辆乱停"]


def test_check_photos_are_cleaned_of_their_location(app):
    found = make_round()
    inspector = make_inspector()
    department = factories.make_department("办公室")
    point = found.checkpoints[0]
    check = checks.record_check(db.session, found.id, checkpoint_id=point.id, department_id=department.id,
                                passed=False, note="桌面杂乱", photos=[io.BytesIO(jpeg_with_gps())],
                                inspector=inspector)
    photo = db.session.query(InspectionPhoto).one()
    assert photo.check_id == check.id
    stored = checks.photo_folder() / photo.stored_name
    with Image.open(stored) as image:
        assert not image.getexif()


def test_checklist_is_editable_and_keeps_results_of_kept_points(app):
    found = make_round()
    inspector = make_inspector()
    department = factories.make_department("办公室")
    check_all(found, department, inspector)
    points = checks.set_checklist(db.session, found.id, ["整洁", "禁烟", "绿植养护"], audit.Actor.system())
    assert [p.name for p in points] == ["整洁", "禁烟", "绿植养护"]
    result = checks.department_results(db.session, found.id)[0]
    assert (result.passed, result.points, result.score) == (2, 3, 66.7)


def test_checks_are_refused_for_others_and_on_a_locked_round(app):
    found = make_round()
    department = factories.make_department("办公室")
    with pytest.raises(NotInspector):
        checks.record_check(db.session, found.id, checkpoint_id=found.checkpoints[0].id, department_id=department.id,
                            passed=True, note="", photos=[], inspector=factories.make_staff())
    with pytest.raises(CheckPointNotFound):
        checks.record_check(db.session, found.id, checkpoint_id=999999, department_id=department.id,
                            passed=True, note="", photos=[], inspector=make_inspector())
    other = locked_round(title="2026年上半年创建工作检查")
    with pytest.raises(RoundLocked):
        checks.record_check(db.session, other.id, checkpoint_id=other.checkpoints[0].id, department_id=department.id,
                            passed=True, note="", photos=[], inspector=make_inspector(name="检查员二"))
