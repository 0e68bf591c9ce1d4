"""检查 in the console: every page for every role, the score sheet beside the 台账 evidence, refusals as
inline Chinese form errors, department checks with photos, the survey, the 通报, rectifications per
department, CSRF, and a bounded number of queries on the lists."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from docx import Document
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, DepartmentCheck, InspectionPhoto, OutboxMessage, Rectification, Staff
from app.models.org import ROLE_INSPECTOR
from app.services import audit
from app.services.inspections import rectifications, rounds, surveys
from app.timeutil import local_today
from tests import factories
from tests.console_helpers import count_queries, csrf_token, person, sign_in
from tests.inspection_helpers import lock, make_round
from tests.ledger_helpers import held_event
from tests.wish_helpers import image_bytes


@pytest.fixture
def cast(app):
    return {
        "admin": person("admin", name="管理员", employee_no="I0001"),
        "inspector": person(ROLE_INSPECTOR, name="检查员", employee_no="I0002", department="创建办"),
        "leader": person("leader", name="领导", employee_no="I0003", department="机关党委"),
        "liaison": person("liaison", name="联络员", employee_no="I0004", department="办公室"),
        "nobody": person(None, name="职工", employee_no="I0005", department="办公室"),
        "finance": person(None, name="财务", employee_no="I0006", department="财务科"),
    }


def signed(client, staff) -> str:
    """Sign ``staff`` in and return the new session's CSRF token."""
    sign_in(client, staff)
    return csrf_token(client, "/console/rectifications")


def deadline(days: int = 10) -> date:
    return local_today() + timedelta(days=days)


def add_rectification(found, responsible, number: int = 14, days: int = 10):
    return rectifications.add_rectification(db.session, found.id, requirement="整理办公室物品摆放",
                                            responsible_employee_no=responsible.employee_no, deadline=deadline(days),
                                            actor=audit.Actor.system(), number=number)


@pytest.fixture
def world(cast):
    found = make_round()
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    rectification = add_rectification(found, cast["nobody"])
    return {"round": found, "survey": survey.id, "rectification": rectification}


PAGES = [
    # path, admin, inspector, leader, liaison
    ("/console/inspections", 200, 200, 200, 403),
    ("/console/inspections/new", 200, 200, 403, 403),
    ("/console/inspections/{round}", 200, 200, 200, 403),
    ("/console/inspections/{round}/checks", 200, 200, 200, 403),
    ("/console/inspections/{round}/survey", 200, 200, 200, 403),
    ("/console/inspections/{round}/report.docx", 200, 200, 200, 403),
    ("/console/rectifications", 200, 200, 200, 200),
]


def url(template: str, world) -> str:
    return template.format(round=world["round"].id)


@pytest.mark.parametrize(("path", "admin", "inspector", "leader", "liaison"), PAGES)
def test_each_role_gets_each_inspection_page_or_403(client, cast, world, path, admin, inspector, leader, liaison):
    for role, expected in (("admin", admin), ("inspector", inspector), ("leader", leader), ("liaison", liaison)):
        sign_in(client, cast[role])
        response = client.get(url(path, world))
        assert response.status_code == expected, (role, path, response.status_code)
        if expected == 403:
            assert "没有权限" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [p[0] for p in PAGES])
def test_anonymous_and_people_without_a_console_role_are_sent_to_the_login_page(client, cast, world, path):
    response = client.get(url(path, world))
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    sign_in(client, cast["nobody"])
    response = client.get(url(path, world))
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_an_inspector_lands_on_the_inspection_section_and_sees_only_it(client, cast, world):
    sign_in(client, cast["inspector"])
    landing = client.get("/console/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/console/inspections")
    page = client.get("/console/inspections").get_data(as_text=True)
    assert "检查员（检查组）" in page and ">检查<" in page and ">整改<" in page
    assert ">台账<" in page  # 材料审核: the inspectors read the whole 台账
    for other in (">活动<", ">人员<", ">微心愿<", ">审计<"):
        assert other not in page
    for path in ("/console/events", "/console/people", "/console/audit", "/console/wishes"):
        assert client.get(path).status_code == 403


def test_admin_grants_and_revokes_the_inspector_role_in_the_people_page(client, cast):
    target = cast["nobody"]
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/people/{target.id}")
    assert "检查组" in client.get(f"/console/people/{target.id}").get_data(as_text=True)
    client.post(f"/console/people/{target.id}/roles", data={"csrf_token": token, "role": ROLE_INSPECTOR, "department": ""})
    assert db.session.get(Staff, target.id).has_role(ROLE_INSPECTOR)
    sign_in(client, target)
    assert client.get("/console/inspections").status_code == 200
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/people/{target.id}")  # a new session, a new token
    client.post(f"/console/people/{target.id}/roles/{ROLE_INSPECTOR}/revoke", data={"csrf_token": token})
    db.session.expire_all()
    assert not db.session.get(Staff, target.id).has_role(ROLE_INSPECTOR)
    sign_in(client, target)
    assert client.get("/console/inspections").status_code == 302


def test_roster_grant_role_accepts_the_inspector_label(app, cast, runner):
    result = runner.invoke(args=["roster", "grant-role", cast["finance"].employee_no, "检查组"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Staff, cast["finance"].id).has_role(ROLE_INSPECTOR)


def test_inspector_creates_a_round_from_the_plan_with_a_survey(client, cast):
    from tests.ledger_helpers import init_plan

    init_plan(2026)
    sign_in(client, cast["inspector"])
    token = csrf_token(client, "/console/inspections/new")
    bad = client.post("/console/inspections/new", data={"csrf_token": token, "year": "2026", "starts_on": "2026-11-20",
                                                        "ends_on": "2026-11-10"})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)
    no_plan = client.post("/console/inspections/new", data={"csrf_token": token, "year": "2031", "starts_on": "2031-05-20",
                                                            "ends_on": "2031-05-30"})
    assert no_plan.status_code == 400 and "计划" in no_plan.get_data(as_text=True)
    created = client.post("/console/inspections/new", data={
        "csrf_token": token, "year": "2026", "starts_on": "2026-11-20", "ends_on": "2026-11-30",
        "inspectors": [str(cast["inspector"].id)], "with_survey": "y"})
    assert created.status_code == 302, created.get_data(as_text=True)
    sheet = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "2026年下半年创建工作检查" in sheet and "检查组：检查员" in sheet and "问卷调查" in sheet
    assert sheet.count('data-testid="score-form"') == 18


def test_inspectors_open_the_items_documents_from_the_sheet_and_read_the_whole_ledger(client, cast, world):
    from tests.ledger_helpers import add_document, pdf_bytes

    document = add_document(2026, 6, "方案", pdf_bytes("lecture plan"), name="道德讲堂方案.pdf")
    sign_in(client, cast["inspector"])
    page = client.get(f"/console/inspections/{world['round'].id}").get_data(as_text=True)
    card = page.split('data-testid="item-6"')[1].split('data-testid="item-7"')[0]
    link = f"/console/ledger/2026/items/6/documents/{document.id}"
    assert f'href="{link}"' in card
    with client.get(link) as opened:
        assert opened.status_code == 200 and opened.data.startswith(b"%PDF")
    assert client.get("/console/ledger?year=2026").status_code == 200
    assert client.get("/console/ledger/2026/items/14").status_code == 200  # any item, not one department's
    token = csrf_token(client, "/console/ledger/2026/items/6")
    refused = client.post("/console/ledger/2026/items/6/documents", data={"csrf_token": token, "kind": "方案", "title": "x"})
    assert refused.status_code == 403  # reading is not changing


def test_the_score_sheet_shows_the_items_evidence_beside_the_score_and_saves_a_draft(client, cast, world):
    held_event("道德讲堂", date(2026, 9, 10), title="道德讲堂：孝老爱亲")
    found = world["round"]
    sign_in(client, cast["inspector"])
    page = client.get(f"/console/inspections/{found.id}").get_data(as_text=True)
    card = page.split('data-testid="item-6"')[1].split('data-testid="item-7"')[0]
    assert "台账证据" in card and "道德讲堂：孝老爱亲" in card and "签到 0" in card
    token = csrf_token(client, f"/console/inspections/{found.id}")
    for odd in ("NaN", "sNaN", "Infinity"):  # numbers decimal parses but no score is
        refused = client.post(f"/console/inspections/{found.id}/items/6",
                              data={"csrf_token": token, "max_score": odd, "score": odd})
        assert refused.status_code == 400 and "不是有效的小数" in refused.get_data(as_text=True)
    saved = client.post(f"/console/inspections/{found.id}/items/6",
                        data={"csrf_token": token, "max_score": "6", "score": "5.5", "findings": "上半年记录缺照片"})
    assert saved.status_code == 302
    line = rounds.score_line(rounds.get_round(db.session, found.id), 6)
    assert str(line.score) == "5.5" and line.findings == "上半年记录缺照片"
    over = client.post(f"/console/inspections/{found.id}/items/6",
                       data={"csrf_token": token, "max_score": "6", "score": "7"})
    text = over.get_data(as_text=True)
    assert over.status_code == 400 and "得分不能超过满分 6 分" in text and 'value="7"' in text
    bad = client.post(f"/console/inspections/{found.id}/items/6",
                      data={"csrf_token": token, "max_score": "abc", "score": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="max-6" name="max_score" inputmode="decimal" value="abc"' in text
    assert "is-invalid" in text and "Not a valid" not in text
    # A maximum raised and a score within it, in one save.
    client.post(f"/console/inspections/{found.id}/items/7", data={"csrf_token": token, "max_score": "8", "score": "7.5"})
    line = rounds.score_line(rounds.get_round(db.session, found.id), 7)
    assert str(line.max_score) == "8.0" and str(line.score) == "7.5"


def test_an_item_number_outside_the_sheet_is_a_chinese_404(client, cast, world):
    sign_in(client, cast["inspector"])
    token = csrf_token(client, f"/console/inspections/{world['round'].id}")
    response = client.post(f"/console/inspections/{world['round'].id}/items/99", data={"csrf_token": token, "max_score": "5", "score": "1"})
    assert response.status_code == 404 and "第 99 项" in response.get_data(as_text=True)


def test_submit_lock_and_an_audited_correction(client, cast, world):
    found = world["round"]
    from tests.inspection_helpers import score_all

    score_all(found.id)
    token = signed(client, cast["inspector"])
    client.post(f"/console/inspections/{found.id}/submit", data={"csrf_token": token})
    assert rounds.get_round(db.session, found.id).status == "submitted"
    assert client.post(f"/console/inspections/{found.id}/lock", data={"csrf_token": token}).status_code == 403
    token = signed(client, cast["admin"])
    page = client.get(f"/console/inspections/{found.id}").get_data(as_text=True)
    assert 'data-confirm="锁定后分数只能通过留痕的更正修改' in page
    client.post(f"/console/inspections/{found.id}/lock", data={"csrf_token": token})
    db.session.expire_all()
    assert rounds.get_round(db.session, found.id).status == "locked"
    # A locked round refuses a score, inline; a correction without a reason is refused; with one it is audited.
    token = signed(client, cast["inspector"])
    locked = client.post(f"/console/inspections/{found.id}/items/3", data={"csrf_token": token, "max_score": "6", "score": "1"})
    assert locked.status_code == 400 and "已锁定" in locked.get_data(as_text=True)
    token = signed(client, cast["admin"])
    no_reason = client.post(f"/console/inspections/{found.id}/items/3/correction", data={"csrf_token": token, "score": "4"})
    assert no_reason.status_code == 400 and "请填写更正原因" in no_reason.get_data(as_text=True)
    over = client.post(f"/console/inspections/{found.id}/items/3/correction", data={"csrf_token": token, "score": "9", "reason": "复核"})
    assert over.status_code == 400 and "得分不能超过满分" in over.get_data(as_text=True)
    done = client.post(f"/console/inspections/{found.id}/items/3/correction",
                       data={"csrf_token": token, "score": "4", "reason": "复核台账后更正"})
    assert done.status_code == 302
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "inspection.correct_score")).one()
    assert row.actor_id == str(cast["admin"].id) and row.detail["reason"] == "复核台账后更正" and row.detail["before"] == "6.0" and row.detail["after"] == "4.0"


def test_rectification_refusals_are_inline_chinese_errors(client, cast, world):
    found = world["round"]
    sign_in(client, cast["inspector"])
    token = csrf_token(client, f"/console/inspections/{found.id}")
    path = f"/console/inspections/{found.id}/items/14/rectifications"
    past = client.post(path, data={"csrf_token": token, "requirement": "清理走廊杂物", "responsible": "I0006",
                                   "deadline": (local_today() - timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "整改期限" in past.get_data(as_text=True) and "已过" in past.get_data(as_text=True)
    unknown = client.post(path, data={"csrf_token": token, "requirement": "清理走廊杂物", "responsible": "X9999",
                                      "deadline": deadline().isoformat()})
    assert unknown.status_code == 400 and "X9999 不在花名册上" in unknown.get_data(as_text=True)
    empty = client.post(path, data={"csrf_token": token, "requirement": "", "responsible": "", "deadline": ""})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 400 and "请填写整改要求" in text and "请填写责任人工号" in text and "请填写整改期限" in text
    ok = client.post(path, data={"csrf_token": token, "requirement": "清理走廊杂物", "responsible": "I0006",
                                 "deadline": deadline().isoformat()})
    assert ok.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Rectification).where(Rectification.requirement == "清理走廊杂物")) == 1


def test_a_post_without_the_csrf_token_changes_nothing(client, cast, world):
    found = world["round"]
    sign_in(client, cast["inspector"])
    for path, data in ((f"/console/inspections/{found.id}/items/6", {"max_score": "6", "score": "5"}),
                       (f"/console/inspections/{found.id}/submit", {}),
                       (f"/console/inspections/{found.id}/checklist", {"points": "整洁"}),
                       (f"/console/rectifications/{world['rectification'].id}/accept", {})):
        response = client.post(path, data=data)
        assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True), path
    assert rounds.score_line(rounds.get_round(db.session, found.id), 6).score is None


def test_leaders_read_but_change_nothing(client, cast, world):
    found = world["round"]
    sign_in(client, cast["leader"])
    page = client.get(f"/console/inspections/{found.id}").get_data(as_text=True)
    assert "台账证据" in page and 'data-testid="score-form"' not in page
    token = csrf_token(client, f"/console/inspections/{found.id}")
    for path in (f"/console/inspections/{found.id}/items/6", f"/console/inspections/{found.id}/checks",
                 f"/console/inspections/{found.id}/publish", f"/console/rectifications/{world['rectification'].id}/accept"):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path


def test_department_check_on_a_phone_with_a_photo_then_scores_and_ranking(client, cast, world):
    found = world["round"]
    office = factories.make_department("办公室")
    sign_in(client, cast["inspector"])
    page = client.get(f"/console/inspections/{found.id}/checks?department={office.id}").get_data(as_text=True)
    assert 'accept="image/*" capture="environment"' in page and "整洁" in page
    token = csrf_token(client, f"/console/inspections/{found.id}/checks")
    points = {p.name: p.id for p in found.checkpoints}
    response = client.post(f"/console/inspections/{found.id}/checks", content_type="multipart/form-data", data={
        "csrf_token": token, "checkpoint_id": str(points["禁烟"]), "department_id": str(office.id), "passed": "no",
        "note": "走廊有烟头", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]})
    assert response.status_code == 302, response.get_data(as_text=True)
    check = db.session.scalars(select(DepartmentCheck)).one()
    assert check.passed is False and check.note == "走廊有烟头"
    photo = db.session.scalars(select(InspectionPhoto)).one()
    with client.get(f"/console/inspections/photos/{photo.id}") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    for name in ("整洁", "物品摆放", "卫生间", "停车"):
        client.post(f"/console/inspections/{found.id}/checks", data={
            "csrf_token": token, "checkpoint_id": str(points[name]), "department_id": str(office.id), "passed": "yes"})
    page = client.get(f"/console/inspections/{found.id}/checks?department={office.id}").get_data(as_text=True)
    ranking = page.split('data-testid="ranking"')[1]
    assert "办公室" in ranking and ">80<" in ranking and "禁烟：走廊有烟头" in ranking
    # Bad input: no result chosen, an unknown point, a file that is not an image.
    missing = client.post(f"/console/inspections/{found.id}/checks", data={
        "csrf_token": token, "checkpoint_id": str(points["整洁"]), "department_id": str(office.id)})
    assert missing.status_code == 400 and "请选择通过或不通过" in missing.get_data(as_text=True)
    unknown = client.post(f"/console/inspections/{found.id}/checks", data={
        "csrf_token": token, "checkpoint_id": "99999", "department_id": str(office.id), "passed": "yes"})
    assert unknown.status_code == 400 and "检查清单中没有这一项" in unknown.get_data(as_text=True)
    not_image = client.post(f"/console/inspections/{found.id}/checks", content_type="multipart/form-data", data={
        "csrf_token": token, "checkpoint_id": str(points["整洁"]), "department_id": str(office.id), "passed": "yes",
        "photos": [(io.BytesIO(b"not an image"), "a.jpg")]})
    assert not_image.status_code == 400 and "图片" in not_image.get_data(as_text=True)
    # The checklist: an empty list is refused inline; a new point is added.
    empty = client.post(f"/console/inspections/{found.id}/checklist", data={"csrf_token": token, "points": ""})
    assert empty.status_code == 400 and "请填写检查清单" in empty.get_data(as_text=True)
    client.post(f"/console/inspections/{found.id}/checklist", data={"csrf_token": token, "points": "整洁\n物品摆放\n禁烟\n卫生间\n停车\n绿植"})
    assert [p.name for p in rounds.get_round(db.session, found.id).checkpoints][-1] == "绿植"


def test_survey_questions_are_edited_and_results_are_charts_without_names(client, cast, world):
    found = world["round"]
    survey = surveys.get_survey(db.session, world["survey"])
    sign_in(client, cast["inspector"])
    page = client.get(f"/console/inspections/{found.id}/survey").get_data(as_text=True)
    assert "[单选] 您是否知道本单位正在开展文明单位创建工作？" in page
    token = csrf_token(client, f"/console/inspections/{found.id}/survey")
    bad = client.post(f"/console/surveys/{survey.id}/questions", data={"csrf_token": token, "questions": "[判断] 好吗？"})
    assert bad.status_code == 400 and "题型应为" in bad.get_data(as_text=True)
    one_option = client.post(f"/console/surveys/{survey.id}/questions", data={"csrf_token": token, "questions": "[单选] 好吗？\n- 好"})
    assert one_option.status_code == 400 and "2 到 10 个互不相同的选项" in one_option.get_data(as_text=True)
    saved = client.post(f"/console/surveys/{survey.id}/questions", data={
        "csrf_token": token, "questions": "[单选] 您知道创建工作吗？\n- 知道\n- 不知道\n\n[多选] 参加过哪些？\n- 讲堂\n- 志愿\n\n[简答] 建议？"})
    assert saved.status_code == 302
    survey = surveys.get_survey(db.session, survey.id)
    questions = survey.questions
    for staff, choice, text in ((cast["nobody"], 0, "多组织志愿活动"), (cast["finance"], 1, "")):
        answers = [{"question_id": questions[0].id, "choices": [choice]}, {"question_id": questions[1].id, "choices": [0, 1]}]
        if text:
            answers.append({"question_id": questions[2].id, "text": text})
        surveys.answer_survey(db.session, survey.id, db.session.get(Staff, staff.id), answers)
    page = client.get(f"/console/inspections/{found.id}/survey").get_data(as_text=True)
    assert page.count("<svg") == 2 and "1 人（50%）" in page and "2 人（100%）" in page
    assert "多组织志愿活动" in page and "职工" not in page and "I0005" not in page
    assert "已有人填写，题目不能再修改" in page
    late = client.post(f"/console/surveys/{survey.id}/questions", data={"csrf_token": token, "questions": "[简答] 建议？"})
    assert late.status_code == 400 and "不能再修改题目" in late.get_data(as_text=True)
    client.post(f"/console/surveys/{survey.id}/close", data={"csrf_token": token})
    assert surveys.get_survey(db.session, survey.id).is_open is False


def test_the_report_downloads_and_is_published_once_to_the_groups(client, cast, world):
    found = world["round"]
    lock(found)
    sign_in(client, cast["admin"])
    docx = client.get(f"/console/inspections/{found.id}/report.docx")
    assert docx.status_code == 200 and docx.data.startswith(b"PK")
    assert "2026年下半年创建工作检查" in "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    pdf = client.get(f"/console/inspections/{found.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    page = client.get(f"/console/inspections/{found.id}").get_data(as_text=True)
    assert 'data-confirm="发布后摘要会推送到各群' in page
    token = csrf_token(client, f"/console/inspections/{found.id}")
    first = client.post(f"/console/inspections/{found.id}/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "通报已发布" in first.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "inspection.publish")) == 1
    again = client.post(f"/console/inspections/{found.id}/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "已经发布" in again.get_data(as_text=True)


def test_publishing_an_unlocked_round_is_refused_in_chinese(client, cast, world):
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/inspections/{world['round'].id}")
    page = client.post(f"/console/inspections/{world['round'].id}/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "锁定后才能发布通报" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == \
        db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedup_key.like("rectification:%")))


def test_a_bad_template_upload_is_an_inline_error(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/inspections")
    response = client.post("/console/inspections/report-template", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(b"plain text"), "t.docx")})
    assert response.status_code == 400 and "is-invalid" in response.get_data(as_text=True)
    empty = client.post("/console/inspections/report-template", data={"csrf_token": token})
    assert empty.status_code == 400 and "请选择 .docx 文件" in empty.get_data(as_text=True)


def test_rectifications_per_department_with_overdue_highlighted_and_the_liaisons_scope(client, cast, world):
    found = world["round"]
    rectification = world["rectification"]
    other = add_rectification(found, cast["finance"], number=6)
    db.session.execute(Rectification.__table__.update().where(Rectification.id == other.id)
                       .values(deadline=local_today() - timedelta(days=2)))
    db.session.commit()
    token = signed(client, cast["inspector"])
    page = client.get("/console/rectifications").get_data(as_text=True)
    assert page.count('data-testid="rectification"') == 2 and "（已逾期）" in page and "border-danger" in page
    sign_in(client, cast["liaison"])  # 办公室
    page = client.get("/console/rectifications").get_data(as_text=True)
    assert page.count('data-testid="rectification"') == 1 and "整理办公室物品摆放" in page and "财务科" not in page
    finance = factories.make_department("财务科")
    assert client.get(f"/console/rectifications?department={finance.id}").status_code == 403
    token = csrf_token(client, "/console/rectifications")
    assert client.post(f"/console/rectifications/{rectification.id}/accept", data={"csrf_token": token}).status_code == 403
    # A liaison who is not the responsible person cannot report it done.
    assert client.post(f"/console/rectifications/{rectification.id}/evidence", data={"csrf_token": token, "note": "已整改"}).status_code == 403
    bad = client.get("/console/rectifications?status=whatever", follow_redirects=True)
    assert "没有这种整改状态" in bad.get_data(as_text=True)


def test_the_responsible_person_or_an_admin_reports_done_and_an_inspector_accepts_or_returns(client, cast, world):
    found = world["round"]
    responsible = cast["liaison"]
    mine = add_rectification(found, responsible)
    token = signed(client, responsible)
    empty = client.post(f"/console/rectifications/{mine.id}/evidence", data={"csrf_token": token}, follow_redirects=True)
    assert "请说明整改情况或上传整改照片" in empty.get_data(as_text=True)
    done = client.post(f"/console/rectifications/{mine.id}/evidence", content_type="multipart/form-data",
                       data={"csrf_token": token, "note": "已清理", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]})
    assert done.status_code == 302 and rectifications.get_rectification(db.session, mine.id).status == "done"
    token = signed(client, cast["inspector"])
    no_reason = client.post(f"/console/rectifications/{mine.id}/return", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "请填写退回原因" in no_reason.get_data(as_text=True)
    client.post(f"/console/rectifications/{mine.id}/return", data={"csrf_token": token, "reason": "照片看不清"})
    db.session.expire_all()
    assert rectifications.get_rectification(db.session, mine.id).returned_reason == "照片看不清"
    page = client.get("/console/rectifications?status=returned").get_data(as_text=True)
    assert "已退回" in page and "照片看不清" in page
    # The admin reports it on the person's behalf; the inspector accepts.
    token = signed(client, cast["admin"])
    client.post(f"/console/rectifications/{mine.id}/evidence", data={"csrf_token": token, "note": "重新拍照"})
    token = signed(client, cast["inspector"])
    client.post(f"/console/rectifications/{mine.id}/accept", data={"csrf_token": token})
    db.session.expire_all()
    assert rectifications.get_rectification(db.session, mine.id).status == "accepted"
    again = client.post(f"/console/rectifications/{mine.id}/accept", data={"csrf_token": token}, follow_redirects=True)
    assert "不能执行此操作" in again.get_data(as_text=True)


def _rounds(count: int, start: int) -> None:
    for index in range(count):
        make_round(title=f"检查{start + index}")


def test_the_rounds_list_score_sheet_and_rectification_list_run_a_bounded_number_of_queries(client, cast, world):
    sign_in(client, cast["inspector"])
    found = world["round"]
    client.get("/console/inspections")  # warm up: the session's user, first-request work

    def measure(path: str) -> int:
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    small = {path: measure(path) for path in ("/console/inspections", f"/console/inspections/{found.id}", "/console/rectifications")}
    _rounds(3, 1)
    for number in range(1, 6):
        add_rectification(found, cast["finance"], number=number)
    held_event("道德讲堂", date(2026, 3, 5))
    held_event("志愿服务", date(2026, 10, 5))
    large = {path: measure(path) for path in small}
    assert large == small, (small, large)
    assert all(count <= 25 for count in large.values()), large


def test_a_liaison_sees_the_evidence_photos_of_their_departments_rectifications_only(client, cast, world):
    found = world["round"]
    own = add_rectification(found, cast["nobody"], number=3)  # 办公室, the liaison's department
    other = add_rectification(found, cast["finance"], number=4)
    for rectification, staff in ((own, cast["nobody"]), (other, cast["finance"])):
        rectifications.submit_rectification(db.session, rectification.id, db.session.get(Staff, staff.id), "已整改",
                                            [io.BytesIO(image_bytes())])
    photos = {p.rectification_id: p.id for p in db.session.scalars(select(InspectionPhoto))}
    sign_in(client, cast["liaison"])
    page = client.get("/console/rectifications").get_data(as_text=True)
    assert f"/console/inspections/photos/{photos[own.id]}" in page
    with client.get(f"/console/inspections/photos/{photos[own.id]}") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert client.get(f"/console/inspections/photos/{photos[other.id]}").status_code == 403
    assert client.get("/console/inspections/photos/999999").status_code == 404
    sign_in(client, cast["leader"])
    with client.get(f"/console/inspections/photos/{photos[other.id]}") as image:
        assert image.status_code == 200


def test_admin_edits_the_reports_details_and_bad_input_is_refused_inline(client, cast, world):
    found = world["round"]
    token = signed(client, cast["admin"])
    path = f"/console/inspections/{found.id}/details"
    empty = client.post(path, data={"csrf_token": token, "title": "", "addressees": "各部门", "issuer": "创建办"})
    assert empty.status_code == 400 and "请填写标题" in empty.get_data(as_text=True)
    long = client.post(path, data={"csrf_token": token, "title": "检查", "addressees": "各部门", "issuer": "创建办",
                                   "document_no": "文" * 51})
    assert long.status_code == 400 and "文号不能超过 50 字" in long.get_data(as_text=True)
    other = make_round(title="另一轮检查")
    taken = client.post(path, data={"csrf_token": token, "title": other.title, "addressees": "各部门", "issuer": "创建办"})
    assert taken.status_code == 400 and "检查轮次“另一轮检查”已存在" in taken.get_data(as_text=True)
    saved = client.post(path, data={"csrf_token": token, "title": found.title, "addressees": "局属各单位",
                                    "issuer": "创建工作领导小组办公室", "document_no": "创建办〔2026〕3号"})
    assert saved.status_code == 302
    assert rounds.get_round(db.session, found.id).document_no == "创建办〔2026〕3号"
    token = signed(client, cast["inspector"])
    assert client.post(path, data={"csrf_token": token, "title": "x", "addressees": "y", "issuer": "z"}).status_code == 403
    # A second survey for the round is refused with a message, not an error page.
    again = client.post(f"/console/inspections/{found.id}/survey", data={"csrf_token": token}, follow_redirects=True)
    assert "该检查轮次已有问卷" in again.get_data(as_text=True)
