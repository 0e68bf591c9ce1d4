"""评选 in the console: every page for every role, nominations by liaisons (own department only),
review, jury scoring by a judge without a console role, results with ties, the audited view of who
voted for whom, 公示, the xlsx export, CSRF, bad input and bounded queries."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Announcement, AuditLog, Selection, SelectionEntry, SelectionJudge
from app.models.base import utcnow
from app.services import audit, selections, voting
from tests.console_helpers import count_queries, csrf_token, person, sign_in
from tests.selection_helpers import make_selection, move_to, nominate_people, windows
from tests.wish_helpers import image_bytes


@pytest.fixture
def cast(app):
    people = {
        "admin": person("admin", name="管理员", employee_no="S0001"),
        "leader": person("leader", name="领导", employee_no="S0002", department="机关党委"),
        "liaison": person("liaison", name="联络员", employee_no="S0003", department="办公室"),
        "judge": person(None, name="评委", employee_no="S0004", department="综合业务科"),
        "norole": person(None, name="职工", employee_no="S0005", department="办公室"),
        "colleague": person(None, name="同事甲", employee_no="S0006", department="办公室"),
        "other": person(None, name="外部门乙", employee_no="S0007", department="综合业务科"),
    }
    selection = make_selection("nominating")
    voting.appoint_judges(db.session, selection.id, [people["judge"]], audit.Actor.system())
    people["selection"] = selection
    people["entries"] = nominate_people(selection.id, people["admin"], [people["colleague"], people["other"]])
    return people


ROLES = ("admin", "leader", "liaison", "judge", "norole")


def _url(template: str, cast) -> str:
    return template.format(s=cast["selection"].id, e=cast["entries"][0])


PAGES = [
    # path, admin, leader, liaison, judge-only, no role (no console at all: the login page)
    ("/console/selections", 200, 200, 200, 403, 302),
    ("/console/selections/new", 200, 403, 403, 403, 302),
    ("/console/selections/{s}", 200, 200, 200, 403, 302),
    ("/console/selections/{s}/edit", 200, 403, 403, 403, 302),
    ("/console/selections/{s}/entries/{e}", 200, 200, 200, 403, 302),
    ("/console/selections/{s}/votes", 200, 403, 403, 403, 302),
    ("/console/judging", 200, 200, 200, 200, 302),
    ("/console/selections/{s}/scores", 403, 403, 403, 200, 302),
]


@pytest.mark.parametrize(("path", *ROLES), PAGES)
def test_selection_pages_for_each_role(client, cast, path, admin, leader, liaison, judge, norole):
    for role, expected in zip(ROLES, (admin, leader, liaison, judge, norole), strict=True):
        sign_in(client, cast[role])
        response = client.get(_url(path, cast))
        assert response.status_code == expected, (role, path, response.status_code)
        if expected == 302:
            assert "/console/login" in response.headers["Location"]
        if expected == 403:
            assert "没有权限" in response.get_data(as_text=True) or "不是本次评选的评委" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login_on_every_selection_page(client, cast):
    for path, *_ in PAGES:
        response = client.get(_url(path, cast))
        assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_judge_only_lands_on_their_scoring_list_and_sees_only_the_judging_nav(client, cast):
    sign_in(client, cast["judge"])
    home = client.get("/console/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/console/judging")
    page = client.get("/console/judging").get_data(as_text=True)
    assert cast["selection"].title in page and "评委" in page
    assert ">评分<" in page and ">活动<" not in page and ">评选<" not in page


def test_judge_is_no_longer_admitted_once_results_are_published(client, cast):
    selection = db.session.get(Selection, cast["selection"].id)
    selection.results_published_at = utcnow()
    db.session.commit()
    sign_in(client, cast["judge"])
    assert client.get("/console/judging").status_code == 302


def test_admin_creates_a_selection_with_judges_and_edits_it(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/selections/new")
    times = {name: (value + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M") for name, value in windows("nominating").items()}
    data = {"csrf_token": token, "title": "最美家庭评选", "kind": "honour", "work_item": "9", "publicity_days": "5",
            "votes_per_voter": "2", "result_method": "mixed", "vote_weight": "60", "forbid_self": "y",
            "judges": "S0004, S0002", **times}
    response = client.post("/console/selections/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    selection = db.session.scalars(select(Selection).where(Selection.title == "最美家庭评选")).one()
    assert (selection.votes_per_voter, selection.result_method, selection.vote_weight, selection.work_item) == (2, "mixed", 60, 9)
    judges = set(db.session.scalars(select(SelectionJudge.staff_id).where(SelectionJudge.selection_id == selection.id)))
    assert judges == {cast["judge"].id, cast["leader"].id}
    edit = client.post(f"/console/selections/{selection.id}/edit", data={**data, "title": "2027最美家庭评选", "votes_per_voter": "4"})
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(Selection, selection.id).title == "2027最美家庭评选"
    assert db.session.get(Selection, selection.id).votes_per_voter == 4
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(selection.id))))
    assert {"selection.create", "selection.judges", "selection.update"} <= actions


@pytest.mark.parametrize(("change", "message"), [
    ({"title": ""}, "请填写标题"),
    ({"votes_per_voter": "0"}, "每人可投票数应为 1–50"),
    ({"work_item": "19"}, "工作项目编号应为 1–18"),
    ({"vote_until": ""}, "请填写投票截止时间"),
    ({"publicity_days": "abc"}, "公示"),
    ({"judges": "NOBODY"}, "没有工号为 NOBODY 的在职人员"),
    ({"title": "坏\x00标题"}, "包含无效字符"),
])
def test_bad_selection_input_is_explained_inline(client, cast, change, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/selections/new")
    times = {name: value.strftime("%Y-%m-%dT%H:%M") for name, value in windows("nominating", utcnow() + timedelta(days=400)).items()}
    data = {"csrf_token": token, "title": "评选", "kind": "honour", "publicity_days": "5", "votes_per_voter": "3",
            "result_method": "votes", **times, **change}
    response = client.post("/console/selections/new", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Selection)) == 1


def test_a_started_selection_cannot_be_edited(client, cast):
    sign_in(client, cast["admin"])
    sid = cast["selection"].id
    token = csrf_token(client, f"/console/selections/{sid}/edit")
    times = {name: value.strftime("%Y-%m-%dT%H:%M") for name, value in windows("nominating").items()}
    response = client.post(f"/console/selections/{sid}/edit", data={
        "csrf_token": token, "title": "改名", "kind": "honour", "publicity_days": "5", "votes_per_voter": "3",
        "result_method": "votes", **times})
    assert response.status_code == 400 and "不能再修改评选设置" in response.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, cast):
    sign_in(client, cast["admin"])
    sid = cast["selection"].id
    for path in (f"/console/selections/{sid}/publish", f"/console/selections/{sid}/nominations",
                 f"/console/selections/{sid}/results/publish", f"/console/selections/{sid}/judges",
                 f"/console/selections/{sid}/entries/{cast['entries'][0]}/reject", "/console/selections/new"):
        response = client.post(path, data={"reason": "x"})
        assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True), path
    assert db.session.get(SelectionEntry, cast["entries"][0]).status == "approved"


def _nominate(client, sid, **fields):
    token = csrf_token(client, f"/console/selections/{sid}")
    return client.post(f"/console/selections/{sid}/nominations", data={"csrf_token": token, **fields})


def test_liaison_nominates_from_their_own_department_and_it_waits_for_review(client, cast):
    sign_in(client, cast["liaison"])
    sid = cast["selection"].id
    response = _nominate(client, sid, subject="family", employee_no="S0005", family_name="职工家庭", reasons="孝老爱亲")
    assert response.status_code == 302
    entry = db.session.scalars(select(SelectionEntry).where(SelectionEntry.title == "职工家庭")).one()
    assert entry.status == "pending" and entry.submitted_by_id == cast["liaison"].id
    office = cast["liaison"].department_id
    assert _nominate(client, sid, subject="department", department=str(office), reasons="集体优秀").status_code == 302
    assert "等待创建办审核" in client.get(f"/console/selections/{sid}").get_data(as_text=True)


def test_liaison_cannot_nominate_another_departments_person_or_department(client, cast):
    sign_in(client, cast["liaison"])
    sid = cast["selection"].id
    before = db.session.scalar(select(func.count()).select_from(SelectionEntry))
    assert _nominate(client, sid, subject="person", employee_no="S0007", reasons="优秀").status_code == 403
    other_department = cast["other"].department_id
    # the department list offers only their own; a forged id is refused by the service, not just the form
    staff = db.session.get(type(cast["liaison"]), cast["liaison"].id)
    from app.services.roles import Viewer
    with pytest.raises(selections.OtherDepartmentNomination):
        from app.services import selection_console
        selection_console.nominate(db.session, Viewer.of(staff), sid, selections.Nomination(
            subject="department", reasons="优秀", department_id=other_department))
    assert db.session.scalar(select(func.count()).select_from(SelectionEntry)) == before


def test_liaison_nominates_only_during_nomination_and_leader_never(client, cast):
    sid = cast["selection"].id
    sign_in(client, cast["leader"])
    assert _nominate(client, sid, subject="person", employee_no="S0005", reasons="好").status_code == 403
    move_to(sid, "reviewing")
    sign_in(client, cast["liaison"])
    response = _nominate(client, sid, subject="person", employee_no="S0005", reasons="好")
    assert response.status_code == 302
    assert "只能在「报名/推荐」阶段进行" in client.get(f"/console/selections/{sid}").get_data(as_text=True)
    sign_in(client, cast["admin"])  # admins may still nominate during review
    assert _nominate(client, sid, subject="person", employee_no="S0005", reasons="好").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SelectionEntry).where(SelectionEntry.staff_id == cast["norole"].id)) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"subject": "person", "reasons": "好"}, "请填写工号"),
    ({"subject": "department", "reasons": "好"}, "请选择部门"),
    ({"subject": "person", "employee_no": "S0005", "reasons": ""}, "请填写推荐理由"),
    ({"subject": "alien", "employee_no": "S0005", "reasons": "好"}, "不是有效的选择"),
    ({"subject": "person", "employee_no": "NOPE", "reasons": "好"}, "没有"),
    ({"subject": "family", "employee_no": "S0005", "reasons": "好"}, "请填写家庭名称"),
])
def test_bad_nomination_is_flashed(client, cast, fields, message):
    sign_in(client, cast["admin"])
    sid = cast["selection"].id
    response = _nominate(client, sid, **fields)
    assert response.status_code == 302
    page = client.get(f"/console/selections/{sid}").get_data(as_text=True)
    assert message in page


def test_admin_reviews_a_submitted_work_with_photos(client, cast):
    from app.models import Staff
    works = make_selection("nominating", title="随手拍摄影比赛", kind="works", work_item=13)
    author = db.session.get(Staff, cast["colleague"].id)
    entry = selections.submit_work(db.session, works.id, author, "openid-x", "晨光", "办公楼的早晨",
                                   [io.BytesIO(image_bytes())])
    sign_in(client, cast["admin"])
    page = client.get(f"/console/selections/{works.id}/entries/{entry.id}").get_data(as_text=True)
    assert "办公楼的早晨" in page and "待审核" in page
    with client.get(f"/console/selections/{works.id}/photos/{entry.photos[0].id}") as image:
        assert image.status_code == 200 and image.mimetype.startswith("image/")
    sign_in(client, cast["leader"])  # a pending work's photo is not shown to a reader
    assert client.get(f"/console/selections/{works.id}/photos/{entry.photos[0].id}").status_code == 404
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/selections/{works.id}/entries/{entry.id}")
    no_reason = client.post(f"/console/selections/{works.id}/entries/{entry.id}/reject", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "不通过需要填写原因" in no_reason.get_data(as_text=True)
    rejected = client.post(f"/console/selections/{works.id}/entries/{entry.id}/reject", data={"csrf_token": token, "reason": "照片模糊"}, follow_redirects=True)
    assert "未通过审核" in rejected.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SelectionEntry, entry.id).review_reason == "照片模糊"
    review = db.session.scalars(select(AuditLog).where(AuditLog.action == "selection.review")).one()
    assert review.actor_id == str(cast["admin"].id) and review.detail["reason"] == "照片模糊"
    sign_in(client, cast["leader"])
    token = csrf_token(client, f"/console/selections/{works.id}")
    assert client.post(f"/console/selections/{works.id}/entries/{entry.id}/approve", data={"csrf_token": token}).status_code == 403


def test_judge_scores_entries_and_bad_scores_are_refused(client, cast):
    sid = cast["selection"].id
    move_to(sid, "voting")
    sign_in(client, cast["judge"])
    token = csrf_token(client, f"/console/selections/{sid}/scores")
    entry = cast["entries"][0]
    assert client.post(f"/console/selections/{sid}/scores/{entry}", data={"csrf_token": token, "score": "88"}).status_code == 302
    for bad in ("101", "-1", "abc", ""):
        client.post(f"/console/selections/{sid}/scores/{entry}", data={"csrf_token": token, "score": bad})
    page = client.get(f"/console/selections/{sid}/scores").get_data(as_text=True)
    assert "88" in page and ("评分应为 0–100 的整数" in page or "请填写评分" in page)
    scores = list(db.session.scalars(select(voting.JuryScore.score).where(voting.JuryScore.entry_id == entry)))
    assert scores == [88]
    sign_in(client, cast["admin"])  # an admin who is not a judge of this selection
    token = csrf_token(client, "/console/selections")
    assert client.post(f"/console/selections/{sid}/scores/{entry}", data={"csrf_token": token, "score": "1"}).status_code == 403


def _vote(selection_id, entry_ids, voters):
    from app.models import Staff
    for voter, entry_id in zip(voters, entry_ids, strict=True):
        voting.cast_vote(db.session, selection_id, entry_id, db.session.get(Staff, voter.id))


def test_results_report_ties_and_hide_live_counts_from_non_admins(client, cast):
    sid = cast["selection"].id
    move_to(sid, "voting")
    voters = [person(None, name=f"投票人{i}", department="机关党委") for i in range(4)]
    first, second = cast["entries"]
    _vote(sid, [first, second, first, second], voters)
    sign_in(client, cast["admin"])
    with count_queries() as statements:
        page = client.get(f"/console/selections/{sid}/results")
    assert page.status_code == 200 and len(statements) <= 12, len(statements)
    text = page.get_data(as_text=True)
    assert "实时排名" in text and "并列" in text and 'data-testid="ties"' in text
    for role in ("leader", "liaison"):
        sign_in(client, cast[role])
        hidden = client.get(f"/console/selections/{sid}/results", follow_redirects=True).get_data(as_text=True)
        assert "结果尚未公布" in hidden and "实时排名" not in hidden


def test_who_voted_for_whom_is_admin_only_and_each_look_is_audited(client, cast):
    sid = cast["selection"].id
    move_to(sid, "voting")
    voter = person(None, name="投票人甲", employee_no="V0001", department="机关党委")
    _vote(sid, [cast["entries"][0]], [voter])
    for role in ("leader", "liaison", "judge"):
        sign_in(client, cast[role])
        assert client.get(f"/console/selections/{sid}/votes").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "selection.view_votes")) == 0
    sign_in(client, cast["admin"])
    page = client.get(f"/console/selections/{sid}/votes?entry={cast['entries'][0]}").get_data(as_text=True)
    assert "投票人甲" in page and "V0001" in page
    for number in range(12):  # voters of many departments: still a bounded number of queries
        _vote(sid, [cast["entries"][1]], [person(None, name=f"投票人{number}", department=f"部门{number}")])
    with count_queries() as statements:
        assert "投票人11" in client.get(f"/console/selections/{sid}/votes").get_data(as_text=True)
    assert len(statements) <= 10, statements
    looks = db.session.scalars(select(AuditLog).where(AuditLog.action == "selection.view_votes")).all()
    assert len(looks) == 2 and all(look.actor_id == str(cast["admin"].id) for look in looks)
    for role in ("leader", "liaison"):  # the entry page offers no link either
        sign_in(client, cast[role])
        assert "谁投了票" not in client.get(f"/console/selections/{sid}/entries/{cast['entries'][0]}").get_data(as_text=True)


def test_unusual_patterns_are_listed_for_admins(client, cast):
    sid = cast["selection"].id
    move_to(sid, "voting")
    voters = [person(None, name=f"突击{i}", department="机关党委") for i in range(10)]
    _vote(sid, [cast["entries"][0]] * 10, voters)
    sign_in(client, cast["admin"])
    page = client.get(f"/console/selections/{sid}/results").get_data(as_text=True)
    assert "机关党委 在" in page and "投出 10 票" in page


def test_admin_publishes_results_through_the_outbox_and_exports_them(client, cast):
    sid = cast["selection"].id
    move_to(sid, "voting")
    _vote(sid, [cast["entries"][1]], [person(None, name="投票人", department="机关党委")])
    move_to(sid, "counting")
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/selections/{sid}/results")
    published = client.post(f"/console/selections/{sid}/results/publish", data={"csrf_token": token}, follow_redirects=True)
    text = published.get_data(as_text=True)
    assert "结果已公布" in text and "公布结果" in text
    announcement = db.session.scalars(select(Announcement)).one()
    assert announcement.content.startswith("【公示】") and "公示期" in announcement.content
    again = client.post(f"/console/selections/{sid}/results/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "结果已公布，不能再更改" in again.get_data(as_text=True)
    workbook = client.get(f"/console/selections/{sid}/results.xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert sheet.cell(4, 2).value == "外部门乙" and sheet.cell(4, 1).value == 1
    sign_in(client, cast["liaison"])  # published: readers see the ranking
    assert "外部门乙" in client.get(f"/console/selections/{sid}/results").get_data(as_text=True)
    assert client.get(f"/console/selections/{sid}/results.xlsx").status_code == 200


def test_export_before_publication_is_a_chinese_conflict(client, cast):
    sign_in(client, cast["admin"])
    response = client.get(f"/console/selections/{cast['selection'].id}/results.xlsx")
    assert response.status_code == 409 and "结果尚未公布" in response.get_data(as_text=True)


def test_list_and_detail_run_a_bounded_number_of_queries(client, cast):
    for number in range(25):
        make_selection("nominating", title=f"评选{number}")
    more = [person(None, name=f"候选{i}", department="办公室") for i in range(20)]
    nominate_people(cast["selection"].id, cast["admin"], more)
    sign_in(client, cast["admin"])
    with count_queries() as statements:
        assert client.get("/console/selections").status_code == 200
    assert len(statements) <= 6, statements
    with count_queries() as statements:
        assert client.get(f"/console/selections/{cast['selection'].id}").status_code == 200
    assert len(statements) <= 10, statements
    page = client.get("/console/selections?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in page
    with count_queries() as statements:  # 22 entries ranked: the same few queries as for two
        assert client.get(f"/console/selections/{cast['selection'].id}/results").status_code == 200
    assert len(statements) <= 12, statements


def test_drafts_are_hidden_from_readers(client, cast):
    draft = make_selection("nominating", publish=False, title="草稿评选")
    sign_in(client, cast["leader"])
    assert "草稿评选" not in client.get("/console/selections").get_data(as_text=True)
    assert client.get(f"/console/selections/{draft.id}").status_code == 404
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/selections/{draft.id}")
    assert client.post(f"/console/selections/{draft.id}/publish", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Selection, draft.id).status == "published"


def test_a_judge_sees_the_photos_of_the_works_they_score(client, cast):
    from app.models import Staff
    works = make_selection("nominating", title="书法比赛", kind="works", work_item=13)
    voting.appoint_judges(db.session, works.id, [cast["judge"]], audit.Actor.system())
    entry = selections.submit_work(db.session, works.id, db.session.get(Staff, cast["colleague"].id), "openid-x",
                                   "兰亭序临本", "行书", [io.BytesIO(image_bytes())])
    photo_id = entry.photos[0].id
    sign_in(client, cast["judge"])
    assert client.get(f"/console/selections/{works.id}/scores/photos/{photo_id}").status_code == 404  # not approved yet
    selections.review_entry(db.session, works.id, entry.id, True, None, audit.Actor.system())
    assert "照片1" in client.get(f"/console/selections/{works.id}/scores").get_data(as_text=True)
    with client.get(f"/console/selections/{works.id}/scores/photos/{photo_id}") as image:
        assert image.status_code == 200 and image.mimetype.startswith("image/")
    sign_in(client, cast["leader"])  # not a judge of it
    assert client.get(f"/console/selections/{works.id}/scores/photos/{photo_id}").status_code == 403


def test_admin_changes_judges_and_cancels_with_a_reason(client, cast):
    sid = cast["selection"].id
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/selections/{sid}")
    bad = client.post(f"/console/selections/{sid}/judges", data={"csrf_token": token, "judges": "S0004 NOBODY"}, follow_redirects=True)
    assert "没有工号为 NOBODY 的在职人员" in bad.get_data(as_text=True)
    good = client.post(f"/console/selections/{sid}/judges", data={"csrf_token": token, "judges": "S0002\nS0004"}, follow_redirects=True)
    assert "评委已更新（2 人）" in good.get_data(as_text=True)
    judges = set(db.session.scalars(select(SelectionJudge.staff_id).where(SelectionJudge.selection_id == sid)))
    assert judges == {cast["leader"].id, cast["judge"].id}
    no_reason = client.post(f"/console/selections/{sid}/cancel", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "取消评选需要填写原因" in no_reason.get_data(as_text=True)
    assert db.session.get(Selection, sid).status == "published"
    cancelled = client.post(f"/console/selections/{sid}/cancel", data={"csrf_token": token, "reason": "方案调整"}, follow_redirects=True)
    assert "评选已取消" in cancelled.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Selection, sid).status == "cancelled"
    again = client.post(f"/console/selections/{sid}/cancel", data={"csrf_token": token, "reason": "再次"}, follow_redirects=True)
    assert "不能取消" in again.get_data(as_text=True)


def test_an_appointed_judge_signs_in_with_a_password_and_others_without_a_role_cannot(client, cast):
    from app.services import console_auth
    for key in ("judge", "norole"):
        console_auth.set_password(db.session, cast[key], "correct horse battery", audit.Actor.system())
    token = csrf_token(client)
    refused = client.post("/console/login", data={"csrf_token": token, "employee_no": "S0005", "password": "correct horse battery"})
    assert refused.status_code == 401 and "工号或密码不正确" in refused.get_data(as_text=True)
    token = csrf_token(client)
    judge = client.post("/console/login", data={"csrf_token": token, "employee_no": "S0004", "password": "correct horse battery"},
                        follow_redirects=True)
    assert judge.status_code == 200 and judge.request.path == "/console/judging"
    assert "评委（评委）" in judge.get_data(as_text=True)
