"""The console under bad requests and growing data: Chinese HTML error pages (400 CSRF, 403, 404, 405,
413, 429, 500) with the security headers and no traceback; bad roster uploads refused with a Chinese
form error and nothing written; room for phone photos; a bounded number of queries on the pages the
other tests do not measure."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.exceptions import TooManyRequests

from app.extensions import db
from app.models import AuditLog, CalendarOverride, CivilityTip, Event, OutboxMessage, PushTarget, Staff, Wish
from app.models.base import utcnow
from app.services import audit, console_auth, events, outbox, people, scheduling, wishes
from app.timeutil import local_today
from tests import factories
from tests.console_helpers import assert_console_headers, count_queries, csrf_token, person, sign_in
from tests.wish_helpers import claimed_with_proof, image_bytes, make_wish, post_multipart


@pytest.fixture
def config_overrides() -> dict[str, object]:
    return {"CONSOLE_DASHBOARD_CACHE_SECONDS": 0}  # every request computes: the query counts are the real ones


@pytest.fixture
def cast(app):
    scheduling.install_defaults(db.session)
    return {
        "admin": person("admin", name="管理员", employee_no="H0001"),
        "leader": person("leader", name="领导", employee_no="H0002"),
        "liaison": person("liaison", name="联络员", employee_no="H0003"),
    }


# ---- error pages -----------------------------------------------------------------------------------------


def _raise(exc: Exception) -> Callable:
    def service(*args, **kwargs):
        raise exc

    return service


def csrf_missing(client, cast, monkeypatch):
    sign_in(client, cast["admin"])
    event = factories.make_event()
    response = client.post(f"/console/events/{event.id}/cancel", data={"reason": "下雨"})
    assert db.session.get(Event, event.id).status == "published"
    return response


def forbidden(client, cast, monkeypatch):
    sign_in(client, cast["leader"])
    return client.get("/console/events/new")


def no_such_page(client, cast, monkeypatch):
    sign_in(client, cast["admin"])
    return client.get("/console/no-such-page")


def no_such_record(client, cast, monkeypatch):
    sign_in(client, cast["liaison"])
    return client.get("/console/events/999999")


def anonymous_no_such_page(client, cast, monkeypatch):
    return client.get("/console/nowhere/at/all")


def wrong_method(client, cast, monkeypatch):
    sign_in(client, cast["admin"])
    response = client.get("/console/logout")
    assert response.headers["Allow"].split(", ").count("POST") == 1
    return response


def too_large(client, cast, monkeypatch):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/notices")
    return client.post("/console/notices", data={"csrf_token": token, "content": "长" * (2 * 1024 * 1024), "audience": "all"})


def rate_limited(client, cast, monkeypatch):
    from app.services import dashboard

    monkeypatch.setattr(dashboard, "build_dashboard", _raise(TooManyRequests(retry_after=30)))  # as Flask-Limiter raises
    sign_in(client, cast["admin"])
    response = client.get("/console/")
    assert response.headers["Retry-After"] == "30"
    return response


def service_refuses_too_often(client, cast, monkeypatch):
    from app.services import dashboard

    monkeypatch.setattr(dashboard, "build_dashboard", _raise(console_auth.LoginLocked()))  # a service's own 429
    sign_in(client, cast["admin"])
    return client.get("/console/")


def crashed(client, cast, monkeypatch):
    from app.services import dashboard

    monkeypatch.setattr(dashboard, "build_dashboard", _raise(RuntimeError("secret-internal-detail")))
    sign_in(client, cast["admin"])
    return client.get("/console/")


@pytest.mark.parametrize(
    ("provoke", "status", "title", "message"),
    [
        (csrf_missing, 400, "请求有误", "页面已过期或请求来源无效"),
        (forbidden, 403, "没有权限", "您的角色不能查看或修改这里的内容"),
        (no_such_page, 404, "页面不存在", "您访问的页面或记录不存在"),
        (no_such_record, 404, "页面不存在", ""),
        (anonymous_no_such_page, 404, "页面不存在", "您访问的页面或记录不存在"),
        (wrong_method, 405, "不支持的操作", "请从页面上的按钮操作"),
        (too_large, 413, "内容过大", "没有保存任何内容"),
        (rate_limited, 429, "操作过于频繁", "请稍后再试"),
        (service_refuses_too_often, 429, "操作过于频繁", "登录失败次数过多"),
        (crashed, 500, "系统出错了", "已记录日志"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_console_errors_are_chinese_html_pages(client, cast, monkeypatch, provoke, status, title, message):
    response = provoke(client, cast, monkeypatch)
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[-500:]
    assert response.mimetype == "text/html" and '<html lang="zh-CN">' in body
    assert f"<h1 class=\"h3 mt-3\">{title}</h1>" in body and message in body
    for leak in ("Traceback", "werkzeug", "Werkzeug", "Error:", "secret-internal-detail", "File \""):
        assert leak not in body, leak
    assert_console_headers(response, provoke.__name__)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_LOGIN_FAILURES_PER_ACCOUNT": "2/15 minutes"}])
def test_locked_password_login_answers_429_in_chinese_with_the_headers(client, app):
    staff = person("admin", employee_no="H0009")
    console_auth.set_password(db.session, staff, "correct horse battery", audit.Actor.system())
    for _ in range(2):
        client.post("/console/login", data={"csrf_token": csrf_token(client), "employee_no": "H0009", "password": "wrong password!!"})
    locked = client.post("/console/login", data={"csrf_token": csrf_token(client), "employee_no": "H0009", "password": "correct horse battery"})
    body = locked.get_data(as_text=True)
    assert locked.status_code == 429 and "登录失败次数过多，请稍后再试" in body and "Traceback" not in body
    assert_console_headers(locked, "locked login")


# ---- roster uploads --------------------------------------------------------------------------------------


def _zip_without_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是工作簿")
    return buffer.getvalue()


def _truncated_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["姓名", "工号", "部门"])
    workbook.active.append(["甲", "N1", "办公室"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()[:600]  # cut off mid-archive, as an interrupted download


def imported_nothing(app, before: int) -> None:
    assert db.session.scalar(select(func.count(Staff.id))) == before
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "roster.import")) == 0
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "roster-imports")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("花名册.xlsx", b"PK\x03\x04 this is not really a workbook", "无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式"),
        ("花名册.xlsx", _zip_without_a_workbook(), "无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式"),
        ("花名册.xlsx", _truncated_xlsx(), "无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式"),
        ("花名册.xlsx", "姓名,工号,部门\n甲,N1,办公室\n".encode(), "无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式"),
        ("roster.pdf", b"%PDF-1.4", "只支持 .csv 或 .xlsx 文件"),
        ("roster.xls", b"\xd0\xcf\x11\xe0", "只支持 .csv 或 .xlsx 文件"),
        ("roster", "姓名,工号,部门\n".encode(), "只支持 .csv 或 .xlsx 文件"),
        ("roster.csv", b"x" * (people.IMPORT_MAX_BYTES + 1), "文件过大：花名册文件不能超过 5 MB"),
    ],
    ids=["garbage", "zip-without-workbook", "truncated", "csv-named-xlsx", "pdf", "old-xls", "no-extension", "oversize"],
)
def test_bad_roster_upload_is_refused_with_a_form_error_and_writes_nothing(client, cast, app, filename, content, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/people/import")
    before = db.session.scalar(select(func.count(Staff.id)))
    response = post_multipart(client, "/console/people/import", {}, {"csrf_token": token, "file": (io.BytesIO(content), filename)})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body and "未导入任何数据" in body
    assert 'data-testid="import-errors"' in body and 'data-testid="confirm-import"' not in body
    imported_nothing(app, before)
    again = client.post("/console/people/import/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "导入预览已过期" in again.get_data(as_text=True)
    imported_nothing(app, before)


@pytest.mark.parametrize("who", ["admin", "leader", None])
def test_roster_far_past_the_limit_gets_the_413_page_and_only_the_admin_gets_room(client, cast, app, who):
    """Room past MAX_CONTENT_LENGTH is for the people who may import; others are cut off at the usual limit."""
    if who:
        sign_in(client, cast[who])
    token = csrf_token(client, "/console/login" if who is None else "/console/")
    before = db.session.scalar(select(func.count(Staff.id)))
    size = people.IMPORT_MAX_BYTES + 2 * 1024 * 1024 if who == "admin" else app.config["MAX_CONTENT_LENGTH"] + 1024
    response = post_multipart(client, "/console/people/import", {}, {"csrf_token": token, "file": (io.BytesIO(b"x" * size), "roster.csv")})
    assert response.status_code == 413 and "内容过大" in response.get_data(as_text=True)
    assert_console_headers(response, "413")
    imported_nothing(app, before)


def test_admin_creates_a_wish_with_a_photo_larger_than_the_usual_request_limit(client, cast, app):
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    photo = buffer.getvalue()
    assert app.config["MAX_CONTENT_LENGTH"] < len(photo) < app.config["PHOTO_MAX_BYTES"]  # a phone photo
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/wishes/new")
    data = {"csrf_token": token, "title": "一套冬衣", "story": "天冷了，想要一套冬衣。", "category": "goods", "beneficiary_name": "李奶奶",
            "village": "红旗村", "claim_deadline": (local_today() + timedelta(days=30)).isoformat(), "photos": [(io.BytesIO(photo), "a.png")]}
    response = post_multipart(client, "/console/wishes/new", {}, data)
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    assert len(db.session.scalars(select(Wish)).one().photos) == 1


# ---- bounded queries ------------------------------------------------------------------------------------


def assert_bounded(client, path: str, grow: Callable[[], None], most: int) -> None:
    client.get(path)  # warm: the day's tip is chosen once

    def measure() -> list[str]:
        db.session.remove()  # a fresh session, as each request has outside tests
        with count_queries() as statements:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return statements

    small = measure()
    grow()
    db.session.remove()
    large = measure()
    assert len(large) == len(small) <= most, (path, [s[:100] for s in small], [s[:100] for s in large])


def _more_schedule(year: int) -> None:
    for offset in range(25):
        db.session.add(CalendarOverride(day=date(year, 1, 1) + timedelta(days=offset * 7), working=offset % 2 == 0, note=f"调整{offset}"))
    for number in range(30):
        db.session.add(CivilityTip(theme=f"主题{number}", content=f"{year} 年文明提示第 {number} 条：讲文明，树新风。"))
    db.session.commit()


def test_schedule_page_runs_a_bounded_number_of_queries(client, cast):
    sign_in(client, cast["admin"])
    year = local_today().year
    assert_bounded(client, f"/console/schedule?year={year}", lambda: _more_schedule(year), most=10)


def test_tips_and_festival_pages_run_a_bounded_number_of_queries(client, cast):
    sign_in(client, cast["admin"])
    assert_bounded(client, "/console/schedule/tips", lambda: _more_schedule(local_today().year), most=8)
    assert_bounded(client, "/console/schedule/festivals/中秋", lambda: _more_schedule(local_today().year + 1), most=8)


def test_dashboard_stays_bounded_as_wishes_messages_and_events_grow(client, cast):
    sign_in(client, cast["admin"])

    def grow() -> None:
        for number in range(4):
            make_wish(title=f"心愿{number}", publish=number % 2 == 0)
            factories.make_event(title=f"活动{number}", starts_at=utcnow() + timedelta(days=number + 1))
            outbox.enqueue(db.session, dedup_key=f"d{number}", channel="robot", address=str(number), payload=outbox.text("x"))
        db.session.commit()
        for row in db.session.scalars(select(OutboxMessage).limit(2)):
            row.status = "dead"
        db.session.commit()

    assert_bounded(client, "/console/", grow, most=30)


def test_audit_log_stays_bounded_with_many_different_actors(client, cast):
    sign_in(client, cast["admin"])

    def grow() -> None:
        for number in range(12):
            actor = person(None, department=f"部门{number % 3}")
            audit.record(db.session, audit.Actor.staff(actor.id), "staff.update", "staff", actor.id)
        db.session.commit()

    assert_bounded(client, "/console/audit", grow, most=8)


def test_event_detail_stays_bounded_as_registrations_grow(client, cast):
    sign_in(client, cast["admin"])
    event = factories.make_event(title="报名活动", registration_required=True, starts_at=utcnow() + timedelta(days=3))

    def grow() -> None:
        for number in range(10):
            events.register(db.session, event.id, person(None, department=f"部门{number % 4}"))

    assert_bounded(client, f"/console/events/{event.id}", grow, most=10)


def test_wish_detail_stays_bounded_as_proofs_and_history_grow(client, cast):
    sign_in(client, cast["admin"])
    wish = claimed_with_proof()
    claimer = db.session.scalars(select(Staff).where(Staff.name == "认领人")).one()

    def grow() -> None:
        for number in range(3):
            wishes.return_proof(db.session, wish.id, audit.Actor.system(), f"照片不清楚{number}")
            wishes.submit_proof(db.session, wish.id, db.session.get(Staff, claimer.id), "openid-x", f"再次提交{number}",
                                [io.BytesIO(image_bytes(colour=(number * 40, 90, 200)))])

    assert_bounded(client, f"/console/wishes/{wish.id}", grow, most=12)


def test_notices_page_stays_bounded_with_many_groups_and_deliveries(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/notices")
    client.post("/console/notices", data={"csrf_token": token, "content": "第一条公告", "audience": "all"})

    def grow() -> None:
        for number in range(8):
            db.session.add(PushTarget(name=f"群{number}", kind="robot", address=f"key-{number}"))
        db.session.commit()
        for number in range(3):
            client.post("/console/notices", data={"csrf_token": token, "content": f"公告{number}", "audience": "all"})

    assert_bounded(client, "/console/notices", grow, most=12)


@pytest.mark.parametrize("query", ["date_from=9999-12-31", "date_to=9999-12-31", "date_from=0001-01-01", "date_to=1999-12-31"])
def test_audit_dates_outside_what_a_datetime_holds_are_a_form_error_not_a_500(client, cast, query):
    sign_in(client, cast["admin"])
    response = client.get(f"/console/audit?{query}")
    assert response.status_code == 400 and "日期应在 2000-01-01 至 2100-12-31 之间" in response.get_data(as_text=True)


def test_tip_library_is_paginated_and_counts_the_whole_library(client, cast):
    for tip in db.session.scalars(select(CivilityTip)):
        db.session.delete(tip)
    for number in range(25):
        db.session.add(CivilityTip(theme="文明用语", content=f"第 {number:02d} 条：请、谢谢、对不起。", enabled=number % 5 != 0))
    db.session.commit()
    sign_in(client, cast["leader"])
    first = client.get("/console/schedule/tips").get_data(as_text=True)
    second = client.get("/console/schedule/tips?page=2").get_data(as_text=True)
    assert 'data-testid="tip-counts">20 / 25 条启用<' in first and "第 1 / 2 页，共 25 条" in first
    assert first.count("：请、谢谢、对不起。") == 20 and "第 00 条" in first and "第 20 条" not in first
    assert "第 20 条" in second and "第 24 条" in second and "第 00 条" not in second
