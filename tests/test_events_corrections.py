"""补录 with the real times, from the API and the command line; undo and hours from the command line."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Checkin
from app.timeutil import local_datetime, to_local
from tests import factories
from tests.events_helpers import error_code


@pytest.fixture
def admin(app):
    staff = factories.make_staff(name="张伟", employee_no="A0001", admin=True)
    return staff, factories.make_bound_account(staff)


@pytest.fixture
def member(app):
    return factories.make_staff(name="李娜", employee_no="M0001", department="机关党委")


def past_service():
    """A volunteer service on 2026-11-20, 09:00–12:00 Beijing time, with sign-out."""
    start = local_datetime(date(2026, 11, 20), datetime.min.time().replace(hour=9))
    return factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True)


def test_admin_enters_a_paper_sheet_with_real_times_and_hours_follow(client, admin, member):
    _admin, headers = admin
    event = past_service()
    response = client.post(
        f"/api/mp/admin/events/{event.id}/checkins",
        json={"employee_no": "M0001", "reason": "纸质签到表补录", "at": "2026-11-20T08:55", "out_at": "2026-11-20T11:10"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "checked_in" and body["credited_hours"] == 2.0  # 135 minutes: four half-hours
    assert body["checkout_id"] and body["checked_out_at"]
    records = {record.direction: record for record in db.session.scalars(select(Checkin))}
    assert to_local(records["in"].at).strftime("%Y-%m-%d %H:%M") == "2026-11-20 08:55"
    assert to_local(records["out"].at).strftime("%H:%M") == "11:10" and records["out"].credited_minutes == 120
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "checkin.manual")).all()) == 2


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ({"at": "2026-11-21T09:00"}, "活动当天"),
        ({"at": "2026-11-20T10:00", "out_at": "2026-11-20T09:30"}, "不能早于签到时间"),
    ],
)
def test_manual_times_off_the_event_day_or_backwards_get_422(client, admin, member, times, message):
    _admin, headers = admin
    event = past_service()
    response = client.post(
        f"/api/mp/admin/events/{event.id}/checkins", json={"employee_no": "M0001", "reason": "纸质签到表补录", **times}, headers=headers
    )
    assert response.status_code == 422 and error_code(response) == "invalid_checkin_time"
    assert message in response.get_json()["error"]["message"]
    assert db.session.scalar(select(Checkin)) is None


def test_operator_enters_undoes_and_adjusts_from_the_command_line(runner, member):
    event = past_service()
    entered = runner.invoke(args=["events", "checkin-manual", str(event.id), "M0001", "--at", "9:05", "--out", "11:40", "--reason", "纸质签到表"])
    assert entered.exit_code == 0, entered.output
    assert "签到 2026-11-20 09:05 已补录" in entered.output and "志愿时长 2.5 小时" in entered.output
    out = db.session.scalar(select(Checkin).where(Checkin.direction == "out"))
    assert out.recorded_by_id is None and out.credited_minutes == 150
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.manual"))
    assert entry.actor_type == "cli"

    adjusted = runner.invoke(args=["events", "adjust-hours", str(event.id), "M0001", "3", "--reason", "提前布置场地"])
    assert adjusted.exit_code == 0, adjusted.output
    assert "2.5 → 3 小时" in adjusted.output
    wrong = runner.invoke(args=["events", "adjust-hours", str(event.id), "M0001", "0.75", "--reason", "测试调整"])
    assert wrong.exit_code == 1 and "错误：" in wrong.output and "0.5 的整数倍" in wrong.output

    refused = runner.invoke(args=["events", "checkin-undo", str(event.id), "M0001", "--reason", "录错人"])
    assert refused.exit_code == 1 and "请先撤销签退记录" in refused.output
    assert runner.invoke(args=["events", "checkin-undo", str(event.id), "M0001", "--direction", "out", "--reason", "录错人"]).exit_code == 0
    assert runner.invoke(args=["events", "checkin-undo", str(event.id), "M0001", "--reason", "录错人"]).exit_code == 0
    assert db.session.scalar(select(Checkin)) is None


def test_command_line_refuses_a_time_off_the_event_day_and_an_unknown_person(runner, member):
    event = past_service()
    off_day = runner.invoke(args=["events", "checkin-manual", str(event.id), "M0001", "--at", "2026-11-22T09:00", "--reason", "纸质签到表"])
    assert off_day.exit_code == 1 and "活动当天" in off_day.output
    nobody = runner.invoke(args=["events", "checkin-manual", str(event.id), "Z9999", "--at", "9:00", "--reason", "纸质签到表"])
    assert nobody.exit_code == 1 and "错误：花名册中没有工号 Z9999" in nobody.output
    garbled = runner.invoke(args=["events", "checkin-manual", str(event.id), "M0001", "--at", "九点", "--reason", "纸质签到表"])
    assert garbled.exit_code == 2 and "14:30" in garbled.output


def test_a_sign_out_entered_alone_before_the_sign_in_is_refused_with_the_sign_in_time(runner, member):
    event = past_service()
    assert runner.invoke(args=["events", "checkin-manual", str(event.id), "M0001", "--at", "10:00", "--reason", "纸质签到表"]).exit_code == 0
    early = runner.invoke(args=["events", "checkin-manual", str(event.id), "M0001", "--out", "9:30", "--reason", "纸质签到表"])
    assert early.exit_code == 1 and "签退时间不能早于签到时间 10:00" in early.output
    later = runner.invoke(args=["events", "checkin-manual", str(event.id), "M0001", "--out", "11:00", "--reason", "纸质签到表"])
    assert later.exit_code == 0 and "签退 2026-11-20 11:00 已补录，志愿时长 1 小时" in later.output
