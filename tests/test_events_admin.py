"""Admins: create and cancel events, attendance with absentees, manual sign-in, undo, hours, codes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Checkin, OutboxMessage
from app.models.base import utcnow
from app.services import events
from tests import factories
from tests.events_helpers import error_code, printed_qr, scan, sign_in


@pytest.fixture
def admin():
    staff = factories.make_staff(name="张伟", employee_no="A0001", admin=True)
    return staff, factories.make_bound_account(staff)


@pytest.fixture
def member():
    staff = factories.make_staff(name="李娜", employee_no="M0001", department="机关党委", wecom_userid="lina")
    return staff, factories.make_bound_account(staff)


def test_member_gets_403_admin_required_on_admin_endpoints(client, member):
    _staff, headers = member
    event = factories.make_event()
    for method, path in [
        ("get", f"/api/mp/admin/events/{event.id}/attendance"),
        ("post", f"/api/mp/admin/events/{event.id}/checkins"),
        ("get", f"/api/mp/admin/events/{event.id}/screen-link"),
        ("post", "/api/mp/admin/events"),
    ]:
        response = getattr(client, method)(path, headers=headers, json={} if method == "post" else None)
        assert response.status_code == 403 and error_code(response) == "admin_required", path


def test_admin_creates_an_event_with_local_times_and_default_window(client, admin):
    _staff, headers = admin
    response = client.post(
        "/api/mp/admin/events",
        json={"kind": "志愿服务", "title": "学雷锋志愿服务", "starts_at": "2026-03-05T09:00:00", "ends_at": "2026-03-05T11:30:00",
              "location": "幸福社区", "checkout_required": True, "capacity": 30, "registration_required": True},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["starts_at"] == "2026-03-05T01:00:00+00:00"  # 09:00 Beijing time
    assert body["checkin_opens_at"] == "2026-03-05T00:30:00+00:00"
    assert body["checkin_closes_at"] == "2026-03-05T01:30:00+00:00"
    assert body["checkout_closes_at"] == "2026-03-05T04:30:00+00:00"
    assert body["status"] == "published"


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"ends_at": "2026-03-05T08:00:00"}, "结束时间应晚于开始时间"),
        ({"latitude": 39.9}, "同时提供纬度、经度和半径"),
        ({"title": "   "}, "活动名称不能为空"),
        # A custom window on one side only, against the default on the other (opens 08:30, closes 09:30).
        ({"checkin_opens_at": "2026-03-05T10:00:00"}, "签到截止时间应晚于签到开始时间"),
        ({"checkin_closes_at": "2026-03-05T08:00:00"}, "签到截止时间应晚于签到开始时间"),
        ({"checkin_opens_at": "2026-03-05T09:30:00"}, "签到截止时间应晚于签到开始时间"),
    ],
)
def test_admin_gets_422_invalid_event_for_inconsistent_input(client, admin, change, fragment):
    _staff, headers = admin
    body = {"kind": "道德讲堂", "title": "讲堂", "starts_at": "2026-03-05T09:00:00", "ends_at": "2026-03-05T10:00:00", **change}
    response = client.post("/api/mp/admin/events", json=body, headers=headers)
    assert response.status_code == 422 and error_code(response) == "invalid_event"
    assert fragment in response.get_json()["error"]["message"]


def test_cancelling_notifies_registered_people_through_the_outbox(client, admin, member):
    _admin, headers = admin
    person, member_headers = member
    event = factories.make_event(registration_required=True)
    client.post(f"/api/mp/events/{event.id}/registration", headers=member_headers)
    response = client.post(f"/api/mp/admin/events/{event.id}/cancel", json={"reason": "场地临时占用"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    message = db.session.scalar(select(OutboxMessage))
    assert message.address == "touser:lina" and "场地临时占用" in message.payload["text"]["content"]
    again = client.post(f"/api/mp/admin/events/{event.id}/cancel", json={"reason": "场地临时占用"}, headers=headers)
    assert again.status_code == 409 and error_code(again) == "event_cancelled"


def test_attendance_lists_present_people_and_registered_absentees(client, admin, member):
    _admin, headers = admin
    person, member_headers = member
    absent = factories.make_staff(name="缺席者", employee_no="M0002")
    event = factories.make_event(registration_required=True)
    events.register(db.session, event.id, person)
    events.register(db.session, event.id, absent)
    scan(client, member_headers, printed_qr(event.id))

    body = client.get(f"/api/mp/admin/events/{event.id}/attendance", headers=headers).get_json()
    assert body["present_count"] == 1 and body["absent_count"] == 1
    assert body["present"][0]["staff"]["name"] == "李娜" and body["present"][0]["department"] == "机关党委"
    assert body["present"][0]["method"] == "printed" and body["present"][0]["checked_in_at"]
    assert body["absent"][0]["staff"]["employee_no"] == "M0002" and body["absent"][0]["registered"] is True


def test_manual_sign_in_is_audited_with_the_reason_and_undo_removes_it(client, admin, member):
    admin_staff, headers = admin
    person, _ = member
    event = factories.make_event()
    response = client.post(
        f"/api/mp/admin/events/{event.id}/checkins",
        json={"employee_no": "M0001", "reason": "手机没电，现场核实本人"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    record_id = response.get_json()["id"]
    record = db.session.get(Checkin, record_id)
    assert record.method == "manual" and record.recorded_by_id == admin_staff.id
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.manual"))
    assert entry.detail["reason"] == "手机没电，现场核实本人" and entry.actor_id == str(admin_staff.id)

    again = client.post(f"/api/mp/admin/events/{event.id}/checkins", json={"employee_no": "M0001", "reason": "重复补签"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["status"] == "already_checked_in"

    undone = client.post(f"/api/mp/admin/checkins/{record_id}/undo", json={"reason": "补签错人"}, headers=headers)
    assert undone.status_code == 204
    assert db.session.scalar(select(Checkin)) is None
    undo_entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.undo"))
    assert undo_entry.detail["reason"] == "补签错人" and undo_entry.detail["staff_id"] == person.id
    missing = client.post(f"/api/mp/admin/checkins/{record_id}/undo", json={"reason": "补签错人"}, headers=headers)
    assert missing.status_code == 404 and error_code(missing) == "checkin_not_found"


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"employee_no": "NOPE", "reason": "现场核实"}, 404, "staff_not_found"),
        ({"employee_no": "M0001"}, 422, "validation_error"),
        ({"employee_no": "M0001", "reason": "x"}, 422, "validation_error"),
        ({"employee_no": "M0001", "reason": "现场核实", "direction": "sideways"}, 422, "validation_error"),
        ({"employee_no": "M0001", "reason": "现场核实", "direction": "out"}, 400, "checkout_not_required"),
    ],
)
def test_manual_sign_in_refuses_bad_input(client, admin, member, body, status, code):
    _admin, headers = admin
    event = factories.make_event()
    response = client.post(f"/api/mp/admin/events/{event.id}/checkins", json=body, headers=headers)
    assert response.status_code == status and error_code(response) == code


def test_undoing_a_sign_in_that_has_a_sign_out_gets_409(client, admin, member):
    _admin, headers = admin
    person, person_headers = member
    start = utcnow() - timedelta(hours=2)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True)
    signed_in = sign_in(person_headers, printed_qr(event.id), at=start)
    sign_in(person_headers, printed_qr(event.id, "out"), at=start + timedelta(hours=1))
    response = client.post(f"/api/mp/admin/checkins/{signed_in.record.id}/undo", json={"reason": "测试撤销"}, headers=headers)
    assert response.status_code == 409 and error_code(response) == "checkout_exists"


def test_admin_adjusts_hours_beyond_the_planned_length_in_half_hours(client, admin, member):
    _admin, headers = admin
    person, person_headers = member
    start = utcnow() - timedelta(hours=5)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=2), checkout_required=True)
    signed_in = sign_in(person_headers, printed_qr(event.id), at=start)
    out = sign_in(person_headers, printed_qr(event.id, "out"), at=start + timedelta(hours=2, minutes=55))
    assert out.record.credited_minutes == 120
    response = client.post(f"/api/mp/admin/checkins/{out.record.id}/hours", json={"hours": 3.5, "reason": "提前布置场地"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["credited_hours"] == 3.5
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.adjust_hours"))
    assert entry.detail == {"before": 120, "after": 210, "reason": "提前布置场地"}
    wrong = client.post(f"/api/mp/admin/checkins/{signed_in.record.id}/hours", json={"hours": 1, "reason": "测试调整"}, headers=headers)
    assert wrong.status_code == 400 and error_code(wrong) == "not_a_checkout"
    too_many = client.post(f"/api/mp/admin/checkins/{out.record.id}/hours", json={"hours": 30, "reason": "测试调整"}, headers=headers)
    assert too_many.status_code == 422


@pytest.mark.parametrize("hours", [0.75, 1.25, 1.75, 3.7, 0.1])
def test_admin_giving_hours_that_are_not_whole_half_hours_gets_422_and_nothing_changes(client, admin, member, hours):
    _admin, headers = admin
    person, person_headers = member
    start = utcnow() - timedelta(hours=5)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=2), checkout_required=True)
    sign_in(person_headers, printed_qr(event.id), at=start)
    out = sign_in(person_headers, printed_qr(event.id, "out"), at=start + timedelta(hours=1))
    response = client.post(f"/api/mp/admin/checkins/{out.record.id}/hours", json={"hours": hours, "reason": "测试调整"}, headers=headers)
    assert response.status_code == 422 and error_code(response) == "invalid_hours"
    assert "0.5 的整数倍" in response.get_json()["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Checkin, out.record.id).credited_minutes == 60
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.adjust_hours")) is None
    zero = client.post(f"/api/mp/admin/checkins/{out.record.id}/hours", json={"hours": 0, "reason": "未实际参加"}, headers=headers)
    assert zero.status_code == 200 and zero.get_json()["credited_hours"] == 0


def test_screen_link_opens_the_live_page_without_login(client, admin):
    _admin, headers = admin
    event = factories.make_event()
    body = client.get(f"/api/mp/admin/events/{event.id}/screen-link", headers=headers).get_json()
    parts = urlsplit(body["url"])
    page = client.get(f"{parts.path}?{parts.query}")
    # The signature is in the fragment; the page's script sends it in a header, as here.
    signature = parse_qs(parts.fragment)["sig"][0]
    shown = client.get(f"{parts.path}/code?{parts.query}", headers={"X-Screen-Signature": signature})
    assert page.status_code == 200 and shown.status_code == 200 and shown.get_json()["event"]["title"] == event.title
    out = client.get(f"/api/mp/admin/events/{event.id}/screen-link", query_string={"direction": "out"}, headers=headers)
    assert out.status_code == 400 and error_code(out) == "checkout_not_required"


def test_miniprogram_code_comes_from_wechat_as_a_png(client, admin, sandbox):
    _admin, headers = admin
    event = factories.make_event()
    response = client.get(f"/api/mp/admin/events/{event.id}/wxacode", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/png"
    Image.open(__import__("io").BytesIO(response.data)).verify()
    assert sandbox.state.requests["wxa/getwxacodeunlimit"] == 1


def test_miniprogram_code_answers_503_when_wechat_is_down(client, admin, sandbox):
    from sandbox import Fault

    _admin, headers = admin
    event = factories.make_event()
    sandbox.state.add_fault(Fault(kind="http_503", path="wxa/getwxacodeunlimit"))
    response = client.get(f"/api/mp/admin/events/{event.id}/wxacode", headers=headers)
    assert response.status_code == 503 and error_code(response) == "wechat_unavailable"
