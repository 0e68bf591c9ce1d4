"""Every console page for every role (200, 403 or the login page), CSRF, bad input on the forms,
error pages, security headers, and a bounded number of queries per page."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.timeutil import format_local
from app.models import AuditLog, Checkin, Event, Staff
from app.models.base import utcnow
from app.services import audit, checkins
from app.security_headers import CONTENT_SECURITY_POLICY
from tests import factories
from tests.console_helpers import count_queries, csrf_token, person, sign_in


@pytest.fixture
def config_overrides() -> dict[str, object]:
    return {"CONSOLE_DASHBOARD_CACHE_SECONDS": 0}  # every request computes: the query counts are the real ones


@pytest.fixture
def cast(app):
    """An admin, a leader and a liaison (办公室), a person in another department, and an event."""
    people = {
        "admin": person("admin", name="管理员", employee_no="R0001"),
        "leader": person("leader", name="领导", employee_no="R0002", department="机关党委"),
        "liaison": person("liaison", name="联络员", employee_no="R0003", department="办公室"),
        "colleague": person(None, name="同事", employee_no="R0004", department="办公室"),
        "other": person(None, name="外部门", employee_no="R0005", department="综合业务科"),
    }
    people["event"] = factories.make_event(title="道德讲堂：诚信")
    return people


def url(template: str, cast) -> str:
    return template.format(event=cast["event"].id, colleague=cast["colleague"].id, other=cast["other"].id)


PAGES = [
    # path, admin, leader, liaison
    ("/console/", 200, 200, 200),
    ("/console/events", 200, 200, 200),
    ("/console/events/new", 200, 403, 403),
    ("/console/events/{event}", 200, 200, 200),
    ("/console/events/{event}/edit", 200, 403, 403),
    ("/console/events/{event}/attendance", 200, 200, 200),
    ("/console/events/{event}/attendance/live", 200, 200, 200),
    ("/console/events/{event}/attendance.xlsx", 200, 200, 200),
    ("/console/events/{event}/screen", 302, 403, 403),
    ("/console/people", 200, 200, 200),
    ("/console/people/{colleague}", 200, 200, 200),
    ("/console/people/{other}", 200, 200, 403),
    ("/console/people/import", 200, 403, 403),
    ("/console/people/import/template.csv", 200, 403, 403),
    ("/console/audit", 200, 200, 403),
]


@pytest.mark.parametrize(("path", "admin", "leader", "liaison"), PAGES)
def test_each_role_gets_each_page_or_403(client, cast, path, admin, leader, liaison):
    for role, expected in (("admin", admin), ("leader", leader), ("liaison", liaison)):
        sign_in(client, cast[role])
        response = client.get(url(path, cast))
        assert response.status_code == expected, (role, path, response.status_code)
        if expected == 403:
            assert "没有权限" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [p[0] for p in PAGES])
def test_anonymous_visitor_is_sent_to_the_login_page(client, cast, path):
    response = client.get(url(path, cast))
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_person_without_a_console_role_is_treated_as_signed_out(client, cast):
    sign_in(client, cast["colleague"])
    assert client.get("/console/").status_code == 302


def test_leader_cannot_change_anything(client, cast):
    sign_in(client, cast["leader"])
    token = csrf_token(client, "/console/")
    event_id = cast["event"].id
    for path in (f"/console/events/{event_id}/publish", f"/console/events/{event_id}/cancel", f"/console/people/{cast['other'].id}/deactivate"):
        assert client.post(path, data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert db.session.get(Event, event_id).status == "published"


def test_every_console_post_needs_the_csrf_token(client, cast):
    sign_in(client, cast["admin"])
    response = client.post(f"/console/events/{cast['event'].id}/cancel", data={"reason": "下雨"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert db.session.get(Event, cast["event"].id).status == "published"
    forged = client.post(f"/console/events/{cast['event'].id}/cancel", data={"reason": "下雨", "csrf_token": "forged"})
    assert forged.status_code == 400


def test_security_headers_on_console_pages_and_error_pages(client, cast):
    sign_in(client, cast["admin"])
    for path in ("/console/", "/console/no-such-page", "/console/login"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert "http" not in CONTENT_SECURITY_POLICY  # no third-party origin
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_another_origin_and_no_inline_script(client, cast):
    sign_in(client, cast["admin"])
    for path in ("/console/", "/console/events", f"/console/events/{cast['event'].id}/attendance", "/console/login"):
        html = client.get(path).get_data(as_text=True)
        assert "//cdn" not in html and 'src="http' not in html and 'href="http' not in html
        assert "<script>" not in html and "<script " not in html.replace('<script src="/console/static/', "")
        assert " style=" not in html and "<style" not in html


def test_vendored_assets_are_served_with_their_licences(client):
    for path in ("vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/bootstrap.bundle.min.js", "vendor/htmx/htmx.min.js",
                 "vendor/bootstrap/LICENSE", "vendor/htmx/LICENSE"):
        with client.get(f"/console/static/{path}") as response:
            assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff", path


def test_error_pages_are_chinese_html(client, cast, app, monkeypatch):
    sign_in(client, cast["admin"])
    not_found = client.get("/console/events/999999")
    assert not_found.status_code == 404 and "页面不存在" in not_found.get_data(as_text=True)
    assert client.get("/console/nowhere").status_code == 404
    wrong_method = client.get("/console/logout")
    assert wrong_method.status_code == 405 and "不支持的操作" in wrong_method.get_data(as_text=True)
    assert wrong_method.mimetype == "text/html"

    from app.services import dashboard

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "build_dashboard", broken)
    failed = client.get("/console/")
    body = failed.get_data(as_text=True)
    assert failed.status_code == 500 and "系统出错了" in body and "Traceback" not in body and "boom" not in body


def test_outside_the_console_errors_stay_json(client):
    response = client.get("/api/mp/no-such-endpoint")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("config_overrides", [{"MAX_CONTENT_LENGTH": 2048, "CONSOLE_DASHBOARD_CACHE_SECONDS": 0}])
def test_too_large_request_gets_the_413_page(client, cast):
    # The roster import and the wish form have room for their files (test_console_hardening); other forms do not.
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/notices")
    response = client.post("/console/notices", data={"csrf_token": token, "content": "x" * 10_000, "audience": "all"})
    assert response.status_code == 413 and "内容过大" in response.get_data(as_text=True)


# ---- events --------------------------------------------------------------------------------------------


def event_form(**fields):
    data = {
        "kind": "志愿服务", "title": "学雷锋志愿服务", "starts_at": "2027-03-05T09:00", "ends_at": "2027-03-05T11:30",
        "location": "社区服务站", "description": "", "capacity": "30", "checkout_required": "y", "reminders": "1d@09:00\n60m",
    }
    data.update(fields)
    return data


def test_admin_creates_an_event_with_the_cli_options(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/events/new")
    response = client.post("/console/events/new", data={"csrf_token": token, **event_form(latitude="22.81", longitude="108.32", radius_m="200")})
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event).where(Event.title == "学雷锋志愿服务")).one()
    assert event.capacity == 30 and event.registration_required and event.checkout_required
    assert event.radius_m == 200 and event.reminders == ["1d@09:00", "60m"] and event.status == "published"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "event.create", AuditLog.actor_id == str(cast["admin"].id))) == 1


@pytest.mark.parametrize(("kind", "policy", "live_only"), [("道德讲堂", "", True), ("道德讲堂", "printed", False),
                                                      ("志愿服务", "", False), ("志愿服务", "live", True)])
def test_admin_sets_which_codes_an_event_takes_its_window_and_walk_ins(client, cast, kind, policy, live_only):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/events/new")
    fields = event_form(kind=kind, code_policy=policy, walk_ins_allowed="y",
                        checkin_opens_at="2027-03-05T13:00", checkin_closes_at="2027-03-05T15:30")
    response = client.post("/console/events/new", data={"csrf_token": token, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event).where(Event.title == "学雷锋志愿服务")).one()
    assert event.live_code_only is live_only and event.walk_ins_allowed
    assert format_local(event.checkin_opens_at) == "2027-03-05 13:00" and format_local(event.checkin_closes_at) == "2027-03-05 15:30"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "请填写标题"),
        ({"ends_at": "2027-03-05T08:00"}, "结束时间应晚于开始时间"),
        ({"starts_at": "明天"}, "开始时间"),
        ({"capacity": "0"}, "名额应在 1 到 100000 之间"),
        ({"latitude": "22.8"}, "签到范围需要同时填写纬度、经度和范围"),
        ({"reminders": "每天"}, "提醒"),
        ({"kind": "聚餐"}, "不是有效的选择"),
        ({"title": "标题\x00"}, "包含无效字符"),
    ],
)
def test_event_form_refuses_bad_input_in_chinese(client, cast, fields, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/events/new")
    response = client.post("/console/events/new", data={"csrf_token": token, **event_form(**fields)})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 1


def test_admin_edits_publishes_and_cancels(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/events/new")
    client.post("/console/events/new", data={"csrf_token": token, **event_form(draft="y")})
    event = db.session.scalars(select(Event).where(Event.title == "学雷锋志愿服务")).one()
    assert event.status == "draft"
    edit = client.post(f"/console/events/{event.id}/edit", data={"csrf_token": token, **event_form(title="学雷锋：走进社区")})
    assert edit.status_code == 302
    assert client.post(f"/console/events/{event.id}/publish", data={"csrf_token": token}).status_code == 302
    no_reason = client.post(f"/console/events/{event.id}/cancel", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "需要填写原因" in no_reason.get_data(as_text=True)
    client.post(f"/console/events/{event.id}/cancel", data={"csrf_token": token, "reason": "天气原因"})
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.title == "学雷锋：走进社区" and event.status == "cancelled"


def test_leader_and_liaison_do_not_see_drafts(client, cast):
    draft = factories.make_event(title="草稿活动", publish=False)
    for role in ("leader", "liaison"):
        sign_in(client, cast[role])
        assert "草稿活动" not in client.get("/console/events").get_data(as_text=True)
        assert client.get(f"/console/events/{draft.id}").status_code == 404


def test_event_filters_refuse_a_bad_month(client, cast):
    sign_in(client, cast["admin"])
    response = client.get("/console/events?month=2027-13", follow_redirects=True)
    assert "月份格式应为 YYYY-MM" in response.get_data(as_text=True)


def test_live_attendance_fragment_counts_sign_ins(client, cast):
    sign_in(client, cast["admin"])
    event = cast["event"]
    fragment = client.get(f"/console/events/{event.id}/attendance/live", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'data-testid="signed-in-count">0<' in body
    checkins.manual_check_in(db.session, event.id, cast["other"], "in", "测试", cast["admin"])
    body = client.get(f"/console/events/{event.id}/attendance/live", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="signed-in-count">1<' in body and "外部门" in body


def test_liaison_signs_in_own_people_and_is_refused_others(client, cast):
    sign_in(client, cast["liaison"])
    event = cast["event"]
    token = csrf_token(client, f"/console/events/{event.id}/attendance")
    own = client.post(f"/console/events/{event.id}/attendance/manual", data={"csrf_token": token, "employee_no": "R0004", "direction": "in", "reason": "手机没电"})
    assert own.status_code == 302
    other = client.post(f"/console/events/{event.id}/attendance/manual", data={"csrf_token": token, "employee_no": "R0005", "direction": "in", "reason": "手机没电"})
    assert other.status_code == 403 and "本部门" in other.get_data(as_text=True)
    people = set(db.session.scalars(select(Checkin.staff_id)))
    assert people == {cast["colleague"].id}
    record = db.session.scalars(select(Checkin)).one()
    assert record.recorded_by_id == cast["liaison"].id and record.note == "手机没电"


def test_liaison_sees_only_own_department_in_attendance_and_export(client, cast):
    event = cast["event"]
    for who in ("colleague", "other"):
        checkins.manual_check_in(db.session, event.id, cast[who], "in", "测试", cast["admin"])
    sign_in(client, cast["liaison"])
    page = client.get(f"/console/events/{event.id}/attendance").get_data(as_text=True)
    assert "同事" in page and "外部门" not in page
    workbook = load_workbook(io.BytesIO(client.get(f"/console/events/{event.id}/attendance.xlsx").data))
    names = {row[1] for row in workbook.active.iter_rows(values_only=True)}
    assert "同事" in names and "外部门" not in names
    sign_in(client, cast["admin"])
    workbook = load_workbook(io.BytesIO(client.get(f"/console/events/{event.id}/attendance.xlsx").data))
    assert {"同事", "外部门"} <= {row[1] for row in workbook.active.iter_rows(values_only=True)}


def test_manual_sign_in_refuses_bad_input(client, cast):
    sign_in(client, cast["admin"])
    event = cast["event"]
    token = csrf_token(client, f"/console/events/{event.id}/attendance")
    for data, message in (
        ({"employee_no": "R0004", "direction": "in", "reason": ""}, "请填写补签原因"),
        ({"employee_no": "NOPE", "direction": "in", "reason": "x"}, "花名册"),
        ({"employee_no": "R0004", "direction": "sideways", "reason": "x"}, "不是有效的选择"),
        ({"employee_no": "R0004", "direction": "out", "reason": "x"}, "签退"),
    ):
        page = client.post(f"/console/events/{event.id}/attendance/manual", data={"csrf_token": token, **data}, follow_redirects=True)
        assert message in page.get_data(as_text=True), data
    assert db.session.scalar(select(func.count(Checkin.id))) == 0


def test_admin_undoes_a_sign_in_with_a_reason(client, cast):
    event = cast["event"]
    result = checkins.manual_check_in(db.session, event.id, cast["other"], "in", "测试", cast["admin"])
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/events/{event.id}/attendance")
    assert client.post(f"/console/checkins/{result.record.id}/undo", data={"csrf_token": token, "reason": "录错了"}).status_code == 302
    assert db.session.scalar(select(func.count(Checkin.id))) == 0
    sign_in(client, cast["liaison"])
    assert client.post(f"/console/checkins/{result.record.id}/undo", data={"csrf_token": csrf_token(client, '/console/'), "reason": "x"}).status_code == 403


# ---- people ---------------------------------------------------------------------------------------------


def test_people_search_filters_and_scope(client, cast):
    sign_in(client, cast["admin"])
    page = client.get("/console/people?q=外部").get_data(as_text=True)
    assert "外部门" in page and "同事" not in page
    page = client.get("/console/people?role=leader").get_data(as_text=True)
    assert "R0002" in page and "R0005" not in page
    sign_in(client, cast["liaison"])
    page = client.get("/console/people").get_data(as_text=True)
    assert "R0004" in page and "R0005" not in page and "R0002" not in page
    assert client.get("/console/people?status=weird").status_code == 400


def test_admin_edits_a_person_and_bad_input_is_refused(client, cast):
    sign_in(client, cast["admin"])
    path = f"/console/people/{cast['other'].id}"
    token = csrf_token(client, path)
    bad = client.post(path, data={"csrf_token": token, "name": "外部门", "department": "综合业务科", "phone": "12345", "wecom_userid": ""})
    assert bad.status_code == 400 and "手机号应为 11 位数字" in bad.get_data(as_text=True)
    taken = person(None, wecom_userid="taken-id")
    clash = client.post(path, data={"csrf_token": token, "name": "外部门", "department": "综合业务科", "phone": "", "wecom_userid": taken.wecom_userid})
    assert clash.status_code == 400 and "企业微信账号已被" in clash.get_data(as_text=True)
    good = client.post(path, data={"csrf_token": token, "name": "外部门新", "department": "新部门", "phone": "13900000000", "wecom_userid": "new-id"})
    assert good.status_code == 302
    db.session.expire_all()
    staff = db.session.get(Staff, cast["other"].id)
    assert (staff.name, staff.department.name, staff.wecom_userid) == ("外部门新", "新部门", "new-id")


def test_admin_grants_revokes_deactivates(client, cast):
    sign_in(client, cast["admin"])
    other = cast["other"]
    token = csrf_token(client, f"/console/people/{other.id}")
    client.post(f"/console/people/{other.id}/roles", data={"csrf_token": token, "role": "liaison", "department": ""})
    db.session.expire_all()
    assert db.session.get(Staff, other.id).role_names == {"liaison"}
    client.post(f"/console/people/{other.id}/roles/liaison/revoke", data={"csrf_token": token})
    client.post(f"/console/people/{other.id}/deactivate", data={"csrf_token": token})
    db.session.expire_all()
    staff = db.session.get(Staff, other.id)
    assert staff.role_names == set() and staff.active is False
    own = client.post(f"/console/people/{cast['admin'].id}/roles/admin/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "不能撤销自己的管理员角色" in own.get_data(as_text=True)


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_roster_import_lists_every_error_first_then_imports_a_clean_file(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/people/import")
    before = db.session.scalar(select(func.count(Staff.id)))
    bad = _xlsx([["姓名", "工号", "部门", "手机"], ["", "N1", "办公室", ""], ["乙", "N2", "办公室", "123"], ["丙", "N2", "办公室", ""]])
    response = client.post("/console/people/import", data={"csrf_token": token, "file": (io.BytesIO(bad), "花名册.xlsx")}, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "第 2 行" in body and "第 3 行" in body and "第 4 行" in body
    assert "确认导入" not in body and db.session.scalar(select(func.count(Staff.id))) == before
    good = "姓名,工号,部门\n甲,N1,办公室\n乙,N2,新科室\n".encode()
    preview = client.post("/console/people/import", data={"csrf_token": token, "file": (io.BytesIO(good), "roster.csv")}, content_type="multipart/form-data")
    assert preview.status_code == 200 and "将新增 2 人" in preview.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Staff.id))) == before
    done = client.post("/console/people/import/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "导入完成：新增 2 人" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Staff.id))) == before + 2
    again = client.post("/console/people/import/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "导入预览已过期" in again.get_data(as_text=True)


def test_roster_import_refuses_another_file_type(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/people/import")
    response = client.post("/console/people/import", data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4"), "roster.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "只支持 .csv 或 .xlsx 文件" in response.get_data(as_text=True)
    missing = client.post("/console/people/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "请选择文件" in missing.get_data(as_text=True)


# ---- audit ----------------------------------------------------------------------------------------------


def test_audit_log_filters_by_person_object_and_time(client, cast):
    sign_in(client, cast["admin"])
    audit.record(db.session, audit.Actor.staff(cast["admin"].id), "event.cancel", "event", 77, reason="测试")
    audit.record(db.session, audit.Actor.cli(), "event.create", "event", 78)
    db.session.commit()
    page = client.get("/console/audit?actor=R0001&entity=event:77").get_data(as_text=True)
    assert "取消活动" in page and "event:78" not in page and "管理员" in page
    assert "event:78" in client.get("/console/audit?entity=event").get_data(as_text=True)
    bad = client.get("/console/audit?date_from=2027-02-30")
    assert bad.status_code == 400 and "日期格式" in bad.get_data(as_text=True)
    assert client.get("/console/audit?entity=drop table").status_code == 400


# ---- bounded queries ---------------------------------------------------------------------------------------


def _grow(cast, events: int, people: int) -> None:
    staff = [person(None, department=f"部门{i % 4}") for i in range(people)]
    for number in range(events):
        event = factories.make_event(title=f"活动{number}", starts_at=utcnow() - timedelta(days=number), checkout_required=True)
        for member in staff:
            checkins.manual_check_in(db.session, event.id, member, "in", "批量", cast["admin"], at=event.starts_at)
            checkins.manual_check_in(db.session, event.id, member, "out", "批量", cast["admin"], at=event.ends_at)


@pytest.mark.parametrize(
    "path",
    ["/console/", "/console/events", "/console/people", "/console/audit", "/console/events/{event}/attendance", "/console/events/{event}/attendance/live"],
)
def test_pages_run_a_bounded_number_of_queries(client, cast, path):
    sign_in(client, cast["admin"])
    target = url(path, cast)
    client.get(target)  # warm: the day's tip is chosen once

    def measure() -> list[str]:
        db.session.remove()  # a fresh session, as each request has outside tests
        with count_queries() as statements:
            assert client.get(target).status_code == 200
        return statements

    small = measure()
    _grow(cast, events=4, people=6)
    large = measure()
    assert len(large) == len(small) and len(large) <= 24, (path, [s[:90] for s in small], [s[:90] for s in large])


def test_admin_downloads_the_poster_as_png_and_a4_pdf_and_the_miniprogram_code(client, cast):
    import shutil
    import subprocess
    import tempfile

    sign_in(client, cast["admin"])
    event = cast["event"]
    png = client.get(f"/console/events/{event.id}/poster.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    pdf = client.get(f"/console/events/{event.id}/poster.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    if shutil.which("pdfinfo"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf.data)
            handle.flush()
            info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, check=True).stdout
        assert "(A4)" in info
    code = client.get(f"/console/events/{event.id}/wxacode.png")
    assert code.status_code == 200 and code.data.startswith(b"\x89PNG")
    refused = client.get(f"/console/events/{event.id}/poster.png?direction=out")  # no sign-out for this event
    assert refused.status_code == 400 and "签退" in refused.get_data(as_text=True)


def test_admin_adjusts_volunteer_hours_with_a_reason(client, cast):
    event = factories.make_event(title="志愿服务", checkout_required=True)
    checkins.manual_check_in(db.session, event.id, cast["other"], "in", "测试", cast["admin"])
    result = checkins.manual_check_in(db.session, event.id, cast["other"], "out", "测试", cast["admin"])
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/events/{event.id}/attendance")
    quarter = client.post(f"/console/checkins/{result.record.id}/hours", data={"csrf_token": token, "hours": "0.75", "reason": "x", "event_id": event.id}, follow_redirects=True)
    assert "0.5 的整数倍" in quarter.get_data(as_text=True)
    client.post(f"/console/checkins/{result.record.id}/hours", data={"csrf_token": token, "hours": "3.5", "reason": "提前到场布置", "event_id": event.id})
    db.session.expire_all()
    assert db.session.get(Checkin, result.record.id).credited_minutes == 210
    sign_in(client, cast["leader"])
    token = csrf_token(client, "/console/")
    assert client.post(f"/console/checkins/{result.record.id}/hours", data={"csrf_token": token, "hours": "1", "reason": "x"}).status_code == 403


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_DASHBOARD_CACHE_SECONDS": 30}])
def test_dashboard_statistics_are_cached_briefly(client, cast, app):
    sign_in(client, cast["admin"])
    client.get("/console/")
    with count_queries() as cached:
        client.get("/console/")
    app.extensions["console_dashboard_cache"].clear()
    with count_queries() as computed:
        client.get("/console/")
    # two participation reads (4 queries each), the top people and the 台账 panel (here: no plan this year)
    assert len(cached) + 10 == len(computed)
