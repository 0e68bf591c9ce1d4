"""评选: creating, nominating, works, review, voting rules, the cap under concurrency, results, privacy."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Announcement, AuditLog, OutboxMessage, PushTarget, SelectionEntry, Vote
from app.services import audit, selections, voting
from tests.selection_helpers import make_selection, move_to, nominate_people, person
from tests.wish_helpers import error_code, image_bytes, jpeg_with_gps, race


def _robot() -> None:
    db.session.add(PushTarget(name="全体群", kind="robot", address="robot-key-1"))
    db.session.commit()


def _votes(selection_id: int, voter_id: int | None = None) -> int:
    statement = select(func.count()).select_from(Vote).where(Vote.selection_id == selection_id)
    if voter_id is not None:
        statement = statement.where(Vote.voter_id == voter_id)
    return db.session.scalar(statement)


@pytest.fixture
def admin():
    return person("管理员", admin=True)


@pytest.fixture
def voting_selection(admin):
    """A selection in its voting phase with four approved nominees in two departments."""
    staff, _ = admin
    selection = make_selection("nominating")
    nominees = [person(f"候选{i}", department="财务科" if i < 2 else "办公室")[0] for i in range(4)]
    entry_ids = nominate_people(selection.id, staff, nominees)
    move_to(selection.id, "voting")
    return selection.id, entry_ids, nominees


# ---- creating and publishing -------------------------------------------------------------------


def test_admin_creates_a_draft_that_staff_cannot_see_until_published(client, admin):
    _robot()
    _, admin_headers = admin
    _, headers = person()
    body = {"title": "最美家庭评选", "kind": "honour", "work_item": 9,
            "nominate_from": "2036-12-02T09:00", "nominate_until": "2036-12-10T17:00",
            "vote_from": "2036-12-11T09:00", "vote_until": "2036-12-15T17:00"}
    created = client.post("/api/mp/admin/selections", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    selection = created.get_json()
    assert selection["phase"] == "draft" and selection["votes_per_voter"] == 3
    assert selection["nominate_from"].startswith("2036-12-02T01:00")  # 09:00 Beijing time
    assert client.get(f"/api/mp/selections/{selection['id']}", headers=headers).status_code == 404

    published = client.post(f"/api/mp/admin/selections/{selection['id']}/publish", headers=admin_headers)
    assert published.status_code == 200 and published.get_json()["phase_label"] == "未开始"
    assert client.get(f"/api/mp/selections/{selection['id']}", headers=headers).status_code == 200
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"selection:{selection['id']}:published%")))
    assert "最美家庭评选" in notice.payload["text"]["content"]


def test_member_cannot_create_a_selection(client):
    _, headers = person()
    response = client.post("/api/mp/admin/selections", json={}, headers=headers)
    assert response.status_code == 403 and error_code(response) == "admin_required"


def test_selection_with_voting_before_nominations_end_is_refused(client, admin):
    _, headers = admin
    body = {"title": "评选", "kind": "honour", "nominate_from": "2036-12-02T09:00", "nominate_until": "2036-12-10T17:00",
            "vote_from": "2036-12-09T09:00", "vote_until": "2036-12-15T17:00"}
    response = client.post("/api/mp/admin/selections", json=body, headers=headers)
    assert response.status_code == 422 and error_code(response) == "invalid_selection"
    assert "投票应在报名/推荐结束之后开始" in response.get_json()["error"]["message"]


def test_unbound_account_cannot_read_selections(client, login):
    make_selection()
    response = client.get("/api/mp/selections", headers=login("stranger"))
    assert response.status_code == 403 and error_code(response) == "not_bound"


# ---- nominations, works and review -------------------------------------------------------------


def test_admin_nominates_a_person_a_department_and_a_family(client, admin):
    staff, headers = admin
    selection = make_selection()
    nominee, _ = person("赵敏", department="财务科")
    url = f"/api/mp/admin/selections/{selection.id}/nominations"
    as_person = client.post(url, json={"subject": "person", "employee_no": nominee.employee_no, "reasons": "光盘行动"}, headers=headers)
    assert as_person.status_code == 201, as_person.get_json()
    assert as_person.get_json()["title"] == "赵敏" and as_person.get_json()["department"] == "财务科"
    as_family = client.post(url, json={"subject": "family", "family_name": "赵敏家庭", "employee_no": nominee.employee_no,
                                       "reasons": "孝老爱亲"}, headers=headers)
    assert as_family.status_code == 201 and as_family.get_json()["subject_label"] == "家庭"
    as_department = client.post(url, json={"subject": "department", "department_id": nominee.department_id,
                                           "reasons": "节约用电"}, headers=headers)
    assert as_department.status_code == 201 and as_department.get_json()["title"] == "财务科"
    no_contact = client.post(url, json={"subject": "family", "family_name": "某家庭", "reasons": "好"}, headers=headers)
    assert no_contact.status_code == 422 and error_code(no_contact) == "invalid_entry"


def test_liaison_nominates_over_the_api_from_their_own_department_only(client):
    from app.services import roles

    liaison, headers = person("联络员", department="财务科")
    roles.grant_role(db.session, liaison, "liaison", audit.Actor.system())
    colleague, _ = person("同科室", department="财务科")
    outsider, _ = person("外科室", department="办公室")
    selection = make_selection()
    url = f"/api/mp/admin/selections/{selection.id}/nominations"
    own = client.post(url, json={"subject": "person", "employee_no": colleague.employee_no, "reasons": "节约"}, headers=headers)
    assert own.status_code == 201 and own.get_json()["status"] == "pending"
    other = client.post(url, json={"subject": "person", "employee_no": outsider.employee_no, "reasons": "节约"}, headers=headers)
    assert other.status_code == 403 and error_code(other) == "other_department"
    other_department = client.post(url, json={"subject": "department", "department_id": outsider.department_id, "reasons": "节约"}, headers=headers)
    assert other_department.status_code == 403 and error_code(other_department) == "other_department"
    _, staff_headers = person("普通职工", department="财务科")
    plain = client.post(url, json={"subject": "person", "employee_no": colleague.employee_no, "reasons": "节约"}, headers=staff_headers)
    assert plain.status_code == 403 and error_code(plain) == "nominate_denied"
    move_to(selection.id, "reviewing")  # admins may still nominate during review; liaisons may not
    late = client.post(url, json={"subject": "person", "employee_no": colleague.employee_no, "reasons": "节约"}, headers=headers)
    assert late.status_code == 409 and error_code(late) == "wrong_phase"


def test_nomination_after_voting_started_is_refused_in_chinese(client, admin):
    _, headers = admin
    selection = make_selection("voting")
    nominee, _ = person()
    response = client.post(f"/api/mp/admin/selections/{selection.id}/nominations",
                           json={"subject": "person", "employee_no": nominee.employee_no, "reasons": "好"}, headers=headers)
    assert response.status_code == 409 and error_code(response) == "wrong_phase"
    assert "「投票」阶段" in response.get_json()["error"]["message"]


def test_member_submits_a_work_that_waits_for_review_and_loses_its_exif(client, app, admin):
    _, admin_headers = admin
    author, headers = person("钱多", wecom=True)
    selection = make_selection(kind="works", title="随手拍摄影比赛", work_item=13)
    response = client.post(
        f"/api/mp/selections/{selection.id}/entries", headers=headers, content_type="multipart/form-data",
        data={"title": "清晨的办公楼", "description": "上班路上随手拍", "photos": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]},
    )
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry["status"] == "pending" and len(entry["photos"]) == 1
    with client.get(entry["photos"][0]["url"], headers=headers) as photo:
        assert photo.status_code == 200 and b"GPS" not in photo.data and "测试相机".encode() not in photo.data
    # Others do not see a pending work or its photo; the detail lists approved entries only.
    _, other = person()
    assert client.get(entry["photos"][0]["url"], headers=other).status_code == 404
    assert client.get(f"/api/mp/selections/{selection.id}", headers=other).get_json()["entries"] == []

    rejected = client.post(f"/api/mp/admin/selections/{selection.id}/entries/{entry['id']}/review",
                           json={"approve": False}, headers=admin_headers)
    assert rejected.status_code == 422 and error_code(rejected) == "invalid_entry"
    rejected = client.post(f"/api/mp/admin/selections/{selection.id}/entries/{entry['id']}/review",
                           json={"approve": False, "reason": "照片与主题不符"}, headers=admin_headers)
    assert rejected.status_code == 200 and rejected.get_json()["status_label"] == "未通过"
    told = db.session.scalar(select(OutboxMessage).where(OutboxMessage.address == f"touser:{author.wecom_userid}"))
    assert "照片与主题不符" in told.payload["text"]["content"]


def test_work_with_risky_text_or_without_photos_is_refused_and_stores_nothing(client, app):
    _, headers = person()
    selection = make_selection(kind="works")
    url = f"/api/mp/selections/{selection.id}/entries"
    risky = client.post(url, headers=headers, content_type="multipart/form-data",
                        data={"title": "赌博现场", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]})
    assert risky.status_code == 422 and error_code(risky) == "content_rejected"
    no_photo = client.post(url, headers=headers, content_type="multipart/form-data", data={"title": "作品"})
    assert no_photo.status_code == 422 and error_code(no_photo) == "invalid_entry"
    broken = client.post(url, headers=headers, content_type="multipart/form-data",
                         data={"title": "作品", "photos": [(io.BytesIO(b"not an image"), "a.jpg")]})
    assert broken.status_code == 415 and error_code(broken) == "unsupported_photo"
    assert db.session.scalar(select(func.count()).select_from(SelectionEntry)) == 0
    with app.test_request_context():
        stored = selections.photo_folder()
    assert not stored.exists() or not any(stored.iterdir())


def test_honour_selection_takes_no_submissions(client):
    _, headers = person()
    selection = make_selection(kind="honour")
    response = client.post(f"/api/mp/selections/{selection.id}/entries", headers=headers, content_type="multipart/form-data",
                           data={"title": "作品", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]})
    assert response.status_code == 422 and error_code(response) == "invalid_entry"


# ---- voting ------------------------------------------------------------------------------------


def test_voter_casts_up_to_k_votes_once_each_and_cannot_change_them(client, voting_selection):
    selection_id, entries, _ = voting_selection
    _, headers = person(department="办公室")
    url = f"/api/mp/selections/{selection_id}/entries/{{}}/vote"
    first = client.post(url.format(entries[0]), headers=headers)
    assert first.status_code == 201 and first.get_json()["votes_left"] == 2
    again = client.post(url.format(entries[0]), headers=headers)
    assert again.status_code == 409 and error_code(again) == "already_voted"
    assert client.post(url.format(entries[1]), headers=headers).status_code == 201
    assert client.post(url.format(entries[2]), headers=headers).status_code == 201
    over = client.post(url.format(entries[3]), headers=headers)
    assert over.status_code == 409 and error_code(over) == "vote_limit_reached"
    assert "3 票" in over.get_json()["error"]["message"]
    mine = client.get(f"/api/mp/me/votes?selection_id={selection_id}", headers=headers).get_json()["items"]
    assert [vote["entry_id"] for vote in mine] == entries[:3]


def test_vote_outside_the_window_is_refused_with_the_window(client, admin):
    staff, _ = admin
    selection = make_selection("nominating")
    [entry] = nominate_people(selection.id, staff, [person()[0]])
    _, headers = person()
    response = client.post(f"/api/mp/selections/{selection.id}/entries/{entry}/vote", headers=headers)
    assert response.status_code == 409 and error_code(response) == "voting_not_open"
    assert "不在投票时间内" in response.get_json()["error"]["message"]
    move_to(selection.id, "counting")
    assert error_code(client.post(f"/api/mp/selections/{selection.id}/entries/{entry}/vote", headers=headers)) == "voting_not_open"


def test_voting_for_oneself_or_ones_department_is_refused_when_the_selection_says_so(client, admin):
    staff, _ = admin
    selection = make_selection("nominating", forbid_self=True, forbid_own_department=True)
    me, my_headers = person(department="财务科")
    colleague, _ = person(department="财务科")
    other, _ = person(department="办公室")
    mine, colleagues, others = nominate_people(selection.id, staff, [me, colleague, other])
    move_to(selection.id, "voting")
    url = f"/api/mp/selections/{selection.id}/entries/{{}}/vote"
    assert error_code(client.post(url.format(mine), headers=my_headers)) == "own_entry"
    own_department = client.post(url.format(colleagues), headers=my_headers)
    assert own_department.status_code == 403 and error_code(own_department) == "own_department"
    assert client.post(url.format(others), headers=my_headers).status_code == 201


def test_vote_for_a_pending_entry_is_refused(client, admin):
    selection = make_selection(kind="works")
    author, author_headers = person()
    created = client.post(f"/api/mp/selections/{selection.id}/entries", headers=author_headers, content_type="multipart/form-data",
                          data={"title": "作品", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]}).get_json()
    move_to(selection.id, "voting")
    _, headers = person()
    response = client.post(f"/api/mp/selections/{selection.id}/entries/{created['id']}/vote", headers=headers)
    assert response.status_code == 409 and error_code(response) == "entry_not_approved"


def test_counts_are_hidden_from_voters_until_results_are_published(client, admin, voting_selection):
    _, admin_headers = admin
    selection_id, entries, _ = voting_selection
    _, headers = person()
    client.post(f"/api/mp/selections/{selection_id}/entries/{entries[0]}/vote", headers=headers)
    seen = client.get(f"/api/mp/selections/{selection_id}", headers=headers).get_json()
    assert {entry["votes"] for entry in seen["entries"]} == {None}
    assert seen["my_votes"] == [entries[0]] and seen["votes_left"] == 2
    by_admin = client.get(f"/api/mp/selections/{selection_id}", headers=admin_headers).get_json()
    assert {e["id"]: e["votes"] for e in by_admin["entries"]}[entries[0]] == 1
    assert error_code(client.get(f"/api/mp/selections/{selection_id}/results", headers=headers)) == "results_not_published"


def test_concurrent_votes_of_one_voter_never_exceed_the_cap(app, voting_selection):
    selection_id, entries, _ = voting_selection
    voter, headers = person()
    calls = [lambda c, e=e: c.post(f"/api/mp/selections/{selection_id}/entries/{e}/vote", headers=headers) for e in entries * 2]
    responses = race(app, calls)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 3, [r.get_json() for r in responses]
    assert all(r.status_code in (201, 409) for r in responses)
    assert _votes(selection_id, voter.id) == 3
    slots = db.session.scalars(select(Vote.slot).where(Vote.voter_id == voter.id)).all()
    assert sorted(slots) == [1, 2, 3]


def test_concurrent_votes_for_one_entry_count_once(app, voting_selection):
    selection_id, entries, _ = voting_selection
    voter, headers = person()
    responses = race(app, [lambda c: c.post(f"/api/mp/selections/{selection_id}/entries/{entries[0]}/vote", headers=headers)] * 6)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert _votes(selection_id, voter.id) == 1


# ---- jury and results --------------------------------------------------------------------------


def _vote(client, selection_id, entry_id, count, department="办公室"):
    for _ in range(count):
        _, headers = person(department=department)
        assert client.post(f"/api/mp/selections/{selection_id}/entries/{entry_id}/vote", headers=headers).status_code == 201


def test_results_report_ties_and_are_announced_in_a_publicity_period(client, admin, voting_selection):
    _robot()
    _, admin_headers = admin
    selection_id, entries, _ = voting_selection
    _vote(client, selection_id, entries[0], 3)
    _vote(client, selection_id, entries[1], 3)
    _vote(client, selection_id, entries[2], 1)
    early = client.post(f"/api/mp/admin/selections/{selection_id}/results", headers=admin_headers)
    assert early.status_code == 409 and error_code(early) == "wrong_phase"
    move_to(selection_id, "counting")
    published = client.post(f"/api/mp/admin/selections/{selection_id}/results", headers=admin_headers)
    assert published.status_code == 201, published.get_json()
    ranking = [(item["entry"]["id"], item["rank"], item["tied"], item["votes"]) for item in published.get_json()["items"]]
    assert ranking == [(entries[0], 1, True, 3), (entries[1], 1, True, 3), (entries[2], 3, False, 1), (entries[3], 4, False, 0)]
    announcement = db.session.scalar(select(Announcement))
    assert "【公示】" in announcement.content and "（并列）" in announcement.content and "公示期" in announcement.content
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.dedup_key.like(f"selection:{selection_id}:publicity%"))) == 1
    _, headers = person()
    seen = client.get(f"/api/mp/selections/{selection_id}/results", headers=headers)
    assert seen.status_code == 200 and seen.get_json()["items"][0]["votes"] == 3
    assert client.get(f"/api/mp/selections/{selection_id}", headers=headers).get_json()["selection"]["phase_label"] == "公示"
    again = client.post(f"/api/mp/admin/selections/{selection_id}/results", headers=admin_headers)
    assert again.status_code == 409 and error_code(again) == "results_published"


def test_jury_scores_weighted_with_votes(client, admin):
    staff, admin_headers = admin
    selection = make_selection("nominating", result_method="mixed", vote_weight=40)
    nominees = [person()[0] for _ in range(2)]
    first, second = nominate_people(selection.id, staff, nominees)
    judge, judge_headers = person("评委甲")
    appointed = client.put(f"/api/mp/admin/selections/{selection.id}/judges",
                           json={"employee_nos": [judge.employee_no]}, headers=admin_headers)
    assert appointed.status_code == 200
    move_to(selection.id, "voting")
    _vote(client, selection.id, first, 2)
    _vote(client, selection.id, second, 1)
    url = f"/api/mp/selections/{selection.id}/entries/{{}}/score"
    assert client.put(url.format(first), json={"score": 60}, headers=judge_headers).status_code == 200
    assert client.put(url.format(second), json={"score": 100}, headers=judge_headers).status_code == 200
    over = client.put(url.format(second), json={"score": 101}, headers=judge_headers)
    assert over.status_code == 422
    _, outsider = person()
    assert error_code(client.put(url.format(first), json={"score": 90}, headers=outsider)) == "not_a_judge"
    standings = client.get(f"/api/mp/admin/selections/{selection.id}/entries", headers=admin_headers).get_json()["items"]
    # first: 40% of 100 (most votes) + 60% of 60 = 76; second: 40% of 50 + 60% of 100 = 80
    assert [(s["entry"]["id"], s["score"]) for s in standings] == [(second, 80.0), (first, 76.0)]
    move_to(selection.id, "counting")
    client.post(f"/api/mp/admin/selections/{selection.id}/results", headers=admin_headers)
    late = client.put(url.format(first), json={"score": 100}, headers=judge_headers)
    assert late.status_code == 409 and error_code(late) == "results_published"


def test_result_list_exports_to_xlsx(app, admin, voting_selection, tmp_path):
    staff, _ = admin
    selection_id, entries, _ = voting_selection
    move_to(selection_id, "counting")
    voting.publish_results(db.session, selection_id, audit.Actor.cli())
    path = tmp_path / "结果.xlsx"
    assert voting.export_results(db.session, selection_id, path) == 4
    sheet = load_workbook(path).active
    assert sheet["A3"].value == "名次" and sheet["B4"].value.startswith("候选")


# ---- privacy -----------------------------------------------------------------------------------


def test_who_voted_for_whom_is_for_admins_only_and_every_look_is_audited(client, admin, voting_selection):
    _, admin_headers = admin
    selection_id, entries, _ = voting_selection
    voter, headers = person("孙投票")
    client.post(f"/api/mp/selections/{selection_id}/entries/{entries[0]}/vote", headers=headers)
    refused = client.get(f"/api/mp/admin/selections/{selection_id}/votes", headers=headers)
    assert refused.status_code == 403
    looks = lambda: db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "selection.view_votes"))  # noqa: E731
    assert looks() == 0
    seen = client.get(f"/api/mp/admin/selections/{selection_id}/votes?entry_id={entries[0]}", headers=admin_headers)
    assert seen.status_code == 200 and [v["voter"] for v in seen.get_json()["items"]] == ["孙投票"]
    assert looks() == 1
    # Nothing a voter can read names another voter.
    detail = client.get(f"/api/mp/selections/{selection_id}", headers=headers).get_data(as_text=True)
    assert "孙投票" not in detail


def test_admins_see_bursts_of_votes_from_one_department(client, app, admin, voting_selection):
    _, admin_headers = admin
    selection_id, entries, _ = voting_selection
    _vote(client, selection_id, entries[0], 4, department="信息科")
    _vote(client, selection_id, entries[1], 2, department="信息科")
    app.config["VOTE_BURST_THRESHOLD"] = 4
    response = client.get(f"/api/mp/admin/selections/{selection_id}/anomalies", headers=admin_headers)
    items = response.get_json()["items"]
    assert [(item["entry_id"], item["votes"]) for item in items] == [(entries[0], 4)]


def test_list_shows_each_selection_with_its_phase(client, admin):
    make_selection("voting", title="投票中的评选")
    make_selection("nominating", title="草稿评选", publish=False)
    _, headers = person()
    items = client.get("/api/mp/selections", headers=headers).get_json()["items"]
    assert [(item["title"], item["phase_label"]) for item in items] == [("投票中的评选", "投票")]


def test_work_for_a_closed_selection_is_refused_before_the_body_is_read(client, monkeypatch):
    from werkzeug.wrappers import Request

    _, headers = person()
    selection = make_selection("voting", kind="works")
    read = []
    original = Request._load_form_data
    monkeypatch.setattr(Request, "_load_form_data", lambda self: read.append(1) or original(self))
    response = client.post(f"/api/mp/selections/{selection.id}/entries", headers=headers, content_type="multipart/form-data",
                           data={"title": "作品", "photos": [(io.BytesIO(image_bytes()), "a.jpg")]})
    assert response.status_code == 409 and error_code(response) == "wrong_phase"
    assert read == []
