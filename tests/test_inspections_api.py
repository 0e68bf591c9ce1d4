"""The 检查考评 API: staff answer the survey once (a race stores one answer) and report rectifications;
inspectors score beside the 台账 evidence, check departments and accept; admins lock and publish."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import SurveyAnswer, SurveyRespondent, SurveyResponse
from app.services import audit
from app.services.inspections import rectifications, surveys
from app.timeutil import local_today
from tests import factories
from tests.inspection_helpers import locked_round, make_inspector, make_round
from tests.test_inspections_survey import default_answers
from tests.wish_helpers import image_bytes, race


def error(response) -> str:
    return response.get_json()["error"]["code"]


def test_staff_member_answers_the_survey_once(client, bound_headers, staff):
    found = make_round()
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    listed = client.get("/api/mp/surveys", headers=bound_headers).get_json()["items"]
    assert listed == [{"id": survey.id, "title": "2026年下半年创建工作检查问卷调查", "is_open": True,
                       "answered": False, "question_count": 6}]
    detail = client.get(f"/api/mp/surveys/{survey.id}", headers=bound_headers).get_json()
    assert detail["questions"][0]["options"] == ["知道", "听说过，不太了解", "不知道"]
    answered = client.post(f"/api/mp/surveys/{survey.id}/answers", json={"answers": default_answers(survey)},
                           headers=bound_headers)
    assert answered.status_code == 201, answered.get_json()
    again = client.post(f"/api/mp/surveys/{survey.id}/answers", json={"answers": default_answers(survey)},
                        headers=bound_headers)
    assert again.status_code == 409 and error(again) == "survey_already_answered"
    assert again.get_json()["error"]["message"] == "您已经填写过这份问卷，每人只能填写一次"
    assert client.get("/api/mp/surveys", headers=bound_headers).get_json()["items"][0]["answered"] is True


def test_two_simultaneous_answers_by_one_person_store_one(app, staff):
    found = make_round()
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    headers = factories.make_bound_account(staff)
    body = {"answers": default_answers(survey)}
    url = f"/api/mp/surveys/{survey.id}/answers"
    statuses = sorted(r.status_code for r in race(app, [lambda c: c.post(url, json=body, headers=headers)] * 2))
    assert statuses == [201, 409]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SurveyRespondent)) == 1
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) == len(survey.questions)


def test_an_incomplete_answer_is_refused_with_its_code(client, bound_headers):
    found = make_round()
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    refused = client.post(f"/api/mp/surveys/{survey.id}/answers",
                          json={"answers": default_answers(survey)[1:]}, headers=bound_headers)
    assert refused.status_code == 422 and error(refused) == "survey_answer_incomplete"


def test_ordinary_staff_cannot_reach_inspector_endpoints(client, bound_headers):
    found = make_round()
    refused = client.get(f"/api/mp/admin/inspections/{found.id}", headers=bound_headers)
    assert refused.status_code == 403 and error(refused) == "inspector_required"


def test_inspector_scores_beside_the_ledger_and_over_the_maximum_is_refused(client):
    inspector = make_inspector()
    headers = factories.make_bound_account(inspector)
    created = client.post("/api/mp/admin/inspections", headers=headers,
                          json={"year": 2026, "starts_on": "2026-11-20", "ends_on": "2026-11-30"})
    assert created.status_code == 404 and error(created) == "plan_not_found"
    found = make_round()
    sheet = client.get(f"/api/mp/admin/inspections/{found.id}", headers=headers).get_json()
    assert len(sheet["items"]) == 18 and sheet["round"]["max_total"] == 100
    assert sheet["items"][5]["evidence"]["status"] == "未开展"
    assert "道德讲堂" in sheet["items"][5]["evidence"]["missing"]
    over = client.put(f"/api/mp/admin/inspections/{found.id}/items/1", json={"score": 7}, headers=headers)
    assert over.status_code == 422 and error(over) == "score_over_maximum"
    scored = client.put(f"/api/mp/admin/inspections/{found.id}/items/1", json={"score": 5.5, "findings": "方案未更新"},
                        headers=headers)
    assert scored.status_code == 200 and scored.get_json()["score"] == 5.5
    incomplete = client.post(f"/api/mp/admin/inspections/{found.id}/submit", headers=headers)
    assert incomplete.status_code == 409 and error(incomplete) == "scores_incomplete"
    lock = client.post(f"/api/mp/admin/inspections/{found.id}/lock", headers=headers)
    assert lock.status_code == 403 and error(lock) == "admin_required"


def test_a_locked_rounds_score_is_refused_and_corrected_by_an_admin(client):
    found = locked_round()
    admin = factories.make_staff(admin=True)
    headers = factories.make_bound_account(admin)
    refused = client.put(f"/api/mp/admin/inspections/{found.id}/items/1", json={"score": 1}, headers=headers)
    assert refused.status_code == 409 and error(refused) == "round_locked"
    corrected = client.post(f"/api/mp/admin/inspections/{found.id}/items/1/correction",
                            json={"score": 4, "reason": "复核"}, headers=headers)
    assert corrected.status_code == 200 and corrected.get_json()["score"] == 4
    docx = client.get(f"/api/mp/admin/inspections/{found.id}/report.docx", headers=headers)
    assert docx.status_code == 200 and docx.data.startswith(b"PK")


def test_inspector_checks_a_department_with_photos_and_ranks(client):
    found = make_round()
    inspector = make_inspector()
    headers = factories.make_bound_account(inspector)
    department = factories.make_department("财务科")
    point = found.checkpoints[2]
    checked = client.post(f"/api/mp/admin/inspections/{found.id}/checks", headers=headers,
                          content_type="multipart/form-data",
                          data={"checkpoint_id": str(point.id), "department_id": str(department.id),
                                "passed": "false", "note": "楼梯间有烟头",
                                "photos": [(io.BytesIO(image_bytes()), "a.jpg")]})
    assert checked.status_code == 201, checked.get_json()
    assert checked.get_json()["photo_count"] == 1
    ranking = client.get(f"/api/mp/admin/inspections/{found.id}/departments", headers=headers).get_json()["items"]
    assert ranking == [{"rank": 1, "department": "财务科", "score": 0.0, "passed": 0, "checked": 1, "points": 5,
                        "failures": ["禁烟：楼梯间有烟头"]}]


def test_responsible_person_submits_evidence_and_the_inspector_accepts(client):
    found = make_round()
    person = factories.make_staff(name="王芳", department="财务科")
    inspector = make_inspector()
    inspector_headers = factories.make_bound_account(inspector)
    past = client.post(f"/api/mp/admin/inspections/{found.id}/rectifications", headers=inspector_headers,
                       json={"requirement": "清理烟头", "responsible": person.employee_no, "deadline": "2020-01-01"})
    assert past.status_code == 422 and error(past) == "deadline_in_past"
    deadline = date(local_today().year + 1, 1, 15)
    rectification = rectifications.add_rectification(
        db.session, found.id, requirement="清理烟头", responsible_employee_no=person.employee_no, deadline=deadline,
        actor=audit.Actor.system(), number=14)
    mine = factories.make_bound_account(person)
    listed = client.get("/api/mp/me/rectifications", headers=mine).get_json()["items"]
    assert [(r["id"], r["status"], r["item"], r["department"]) for r in listed] == [
        (rectification.id, "pending", 14, "财务科")]
    other = client.post(f"/api/mp/me/rectifications/{rectification.id}/evidence", content_type="multipart/form-data",
                        data={"note": "已清理"}, headers=factories.make_bound_account(factories.make_staff()))
    assert other.status_code == 403 and error(other) == "not_responsible"
    done = client.post(f"/api/mp/me/rectifications/{rectification.id}/evidence", content_type="multipart/form-data",
                       data={"note": "已清理", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]}, headers=mine)
    assert done.status_code == 200 and done.get_json()["status"] == "done", done.get_json()
    accepted = client.post(f"/api/mp/admin/rectifications/{rectification.id}/accept", headers=inspector_headers)
    assert accepted.get_json()["status"] == "accepted"
    again = client.post(f"/api/mp/admin/rectifications/{rectification.id}/accept", headers=inspector_headers)
    assert again.status_code == 409 and error(again) == "rectification_wrong_state"


def test_admin_edits_the_notices_addressees_issuer_and_number(client):
    found = make_round()
    headers = factories.make_bound_account(factories.make_staff(admin=True))
    edited = client.patch(f"/api/mp/admin/inspections/{found.id}", headers=headers,
                          json={"addressees": "各科室、各直属单位", "issuer": "机关文明创建办", "document_no": "文明办〔2026〕5号"})
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["addressees"], edited.get_json()["document_no"]) == ("各科室、各直属单位", "文明办〔2026〕5号")
    docx = client.get(f"/api/mp/admin/inspections/{found.id}/report.docx", headers=headers)
    from docx import Document

    texts = [p.text for p in Document(io.BytesIO(docx.data)).paragraphs if p.text.strip()]
    assert texts[:3] == ["文明办〔2026〕5号", "关于2026年下半年创建工作检查情况的通报", "各科室、各直属单位："]
    assert "机关文明创建办" in texts
    other = make_round(title="2026年上半年创建工作检查", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2))
    taken = client.patch(f"/api/mp/admin/inspections/{other.id}", headers=headers,
                         json={"title": "2026年下半年创建工作检查"})
    assert taken.status_code == 409 and error(taken) == "round_exists"


def test_inspector_edits_survey_questions_until_the_first_answer(client, staff):
    found = make_round()
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    headers = factories.make_bound_account(make_inspector())
    questions = [{"kind": "single", "text": "您是否知道本单位的创建目标？", "options": ["知道", "不知道"]},
                 {"kind": "text", "text": "建议"}]
    edited = client.put(f"/api/mp/admin/surveys/{survey.id}/questions", json={"questions": questions}, headers=headers)
    assert edited.status_code == 200 and [q["text"] for q in edited.get_json()["questions"]] == [
        "您是否知道本单位的创建目标？", "建议"]
    bad = client.put(f"/api/mp/admin/surveys/{survey.id}/questions", headers=headers,
                     json={"questions": [{"kind": "single", "text": "只有一个选项", "options": ["是"]}]})
    assert bad.status_code == 422 and error(bad) == "survey_questions_invalid"
    db.session.expire_all()
    survey = surveys.get_survey(db.session, survey.id)
    surveys.answer_survey(db.session, survey.id, staff, default_answers(survey))
    late = client.put(f"/api/mp/admin/surveys/{survey.id}/questions", json={"questions": questions}, headers=headers)
    assert late.status_code == 409 and error(late) == "survey_already_started"
    results = client.get(f"/api/mp/admin/surveys/{survey.id}/results", headers=headers).get_json()
    assert results["responses"] == 1
    assert results["questions"][0]["options"][0] == {"option": "知道", "count": 1, "share": 100.0}
    assert "staff" not in str(results) and staff.name not in str(results)


def _statements(call) -> int:
    from sqlalchemy import event as sa_event

    statements: list[str] = []

    def collect(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()
    sa_event.listen(db.engine, "before_cursor_execute", collect)
    try:
        response = call()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", collect)
    assert response.status_code == 200, response.get_json()
    return len(statements)


def test_lists_run_a_bounded_number_of_queries(client):
    person = factories.make_staff(name="王芳", department="财务科")
    inspector = make_inspector()
    headers = factories.make_bound_account(inspector)
    mine = factories.make_bound_account(person)
    deadline = date(local_today().year + 1, 1, 15)

    def grow(count: int, offset: int) -> None:
        for index in range(count):
            found = make_round(title=f"第{offset + index}次检查")
            surveys.create_survey(db.session, found.id, audit.Actor.system())
            rectifications.add_rectification(db.session, found.id, requirement="整理物品", deadline=deadline,
                                             responsible_employee_no=person.employee_no, actor=audit.Actor.system())

    def counts() -> tuple[int, ...]:
        first = rectifications.list_rectifications(db.session)[0].round_id
        return (_statements(lambda: client.get("/api/mp/admin/inspections", headers=headers)),
                _statements(lambda: client.get("/api/mp/me/rectifications", headers=mine)),
                _statements(lambda: client.get("/api/mp/surveys", headers=mine)),
                _statements(lambda: client.get(f"/api/mp/admin/inspections/{first}/rectifications", headers=headers)))

    grow(1, 0)
    few = counts()
    grow(4, 1)
    assert counts() == few
    assert max(few) <= 12, few


def test_rectification_photos_are_seen_by_the_person_and_inspectors_only(client):
    found = make_round()
    person = factories.make_staff(name="王芳", department="财务科")
    rectification = rectifications.add_rectification(
        db.session, found.id, requirement="清理烟头", responsible_employee_no=person.employee_no,
        deadline=date(local_today().year + 1, 1, 15), actor=audit.Actor.system())
    mine = factories.make_bound_account(person)
    done = client.post(f"/api/mp/me/rectifications/{rectification.id}/evidence", content_type="multipart/form-data",
                       data={"photos": [(io.BytesIO(image_bytes()), "a.jpg")]}, headers=mine).get_json()
    url, = done["photo_urls"]
    own = client.get(url, headers=mine)
    own.close()
    assert own.status_code == 200
    shown = client.get(url, headers=factories.make_bound_account(make_inspector()))
    shown.close()
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    refused = client.get(url, headers=factories.make_bound_account(factories.make_staff()))
    assert refused.status_code == 403 and error(refused) == "inspector_required"
    missing = client.get("/api/mp/inspections/photos/99999", headers=mine)
    assert missing.status_code == 403
