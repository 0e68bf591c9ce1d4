"""Sign-in rules added after the first trial: one entry point that reads the event once, a later
sign-out replacing an accidental one, walk-ins, codes that must be live, and distances people read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Checkin
from app.models.base import utcnow
from app.services import checkin_codes, checkins, events
from app.services.audit import Actor
from tests import factories
from tests.events_helpers import error_code, printed_qr, scan, sign_in
from tests.test_events_quick_checkin import scan_alone


@pytest.fixture
def person(app):
    staff = factories.make_staff(name="王芳", employee_no="C0001")
    return staff, factories.make_bound_account(staff)


def live_qr(event_id: int, direction: str = "in") -> str:
    return checkin_codes.code_url(checkin_codes.live_token(event_id, direction))


def reads_of_the_event(sent: list[str]) -> int:
    return sum(1 for statement in sent if statement.lstrip().upper().startswith("SELECT") and "FROM EVENT " in statement.upper() + " ")


# ---- one entry point ---------------------------------------------------------------------------------


def test_a_scan_that_goes_the_full_way_reads_the_event_and_parses_the_code_once(client, person, monkeypatch):
    _staff, headers = person
    event = factories.make_event(registration_required=True)  # unregistered: the one statement writes nothing
    parsed = []
    real_parse = checkin_codes.parse_code
    monkeypatch.setattr(checkin_codes, "parse_code", lambda *args: parsed.append(args) or real_parse(*args))
    response, sent = scan_alone(client, headers, printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "registration_required"
    assert reads_of_the_event(sent) == 1, sent
    assert len(parsed) == 1


def test_the_view_and_a_service_caller_get_the_same_answer_through_sign_in(app, person):
    _staff, headers = person
    start = utcnow() - timedelta(minutes=5)
    event = factories.make_event(starts_at=start)
    first = sign_in(headers, printed_qr(event.id), at=start)
    again = sign_in(headers, printed_qr(event.id), at=start + timedelta(minutes=1))
    assert first.created and first.status == "checked_in"
    assert not again.created and again.status == "already_checked_in" and again.record.at == start


def test_a_bad_token_is_answered_before_a_bad_code(client):
    response = scan(client, {"Authorization": "Bearer not-a-token"}, "garbage")
    assert response.status_code == 401


# ---- an accidental sign-out is not final ---------------------------------------------------------------


def test_a_later_sign_out_replaces_an_accidental_one_and_says_so(client, person):
    staff, headers = person
    start = utcnow() - timedelta(hours=2)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True)
    sign_in(headers, printed_qr(event.id), at=start)
    accidental = sign_in(headers, printed_qr(event.id, "out"), at=start + timedelta(minutes=2))
    assert accidental.status == "checked_out" and accidental.record.credited_minutes == 0

    response = scan(client, headers, printed_qr(event.id, "out"))  # now: two hours in
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "checkout_updated"
    assert body["hours"] == 2.0 and body["duration_minutes"] >= 120
    assert body["previous_checked_out_at"].startswith((start + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M"))
    records = db.session.scalars(select(Checkin).where(Checkin.direction == "out")).all()
    assert len(records) == 1 and records[0].credited_minutes == 120
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.checkout_replaced"))
    assert entry.detail["before_minutes"] == 0 and entry.detail["after_minutes"] == 120
    assert entry.actor_id == str(staff.id)


def test_an_earlier_or_manual_sign_out_is_never_replaced_by_a_scan(person):
    staff, headers = person
    admin = factories.make_staff(name="张伟", employee_no="A0001", admin=True)
    start = utcnow() - timedelta(hours=2)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True)
    sign_in(headers, printed_qr(event.id), at=start)
    checkins.manual_check_in(db.session, event.id, staff, "out", "纸质签退表", admin, at=start + timedelta(minutes=90))
    later = sign_in(headers, printed_qr(event.id, "out"), at=start + timedelta(minutes=100))
    assert later.status == "already_checked_out" and later.record.credited_minutes == 90


# ---- walk-ins and live codes ---------------------------------------------------------------------------


def test_an_unregistered_walk_in_signs_in_when_the_organiser_allows_it(client, person):
    _staff, headers = person
    closed = factories.make_event(registration_required=True)
    open_door = factories.make_event(registration_required=True, walk_ins_allowed=True)
    assert error_code(scan(client, headers, printed_qr(closed.id))) == "registration_required"
    response, sent = scan_alone(client, headers, printed_qr(open_door.id))
    assert response.status_code == 201 and response.get_json()["status"] == "checked_in"
    assert reads_of_the_event(sent) == 1


def test_a_moral_lecture_refuses_printed_codes_by_default_and_takes_the_live_one(client, person):
    _staff, headers = person
    start = utcnow() + timedelta(minutes=10)
    lecture = events.create_event(
        db.session,
        events.EventDraft(kind="道德讲堂", title="道德讲堂：诚信", starts_at=start, ends_at=start + timedelta(hours=1)),
        Actor.system(),
    )
    assert lecture.live_code_only
    printed = scan(client, headers, printed_qr(lecture.id))
    assert printed.status_code == 403 and error_code(printed) == "live_code_required"
    assert "大屏" in printed.get_json()["error"]["message"]
    live = scan(client, headers, live_qr(lecture.id))
    assert live.status_code == 201 and live.get_json()["status"] == "checked_in"
    service = factories.make_event(kind="志愿服务", live_code_only=None)
    assert not service.live_code_only and scan(client, headers, printed_qr(service.id)).status_code == 201


# ---- distances ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "text"), [(850.4, "850 米"), (999.6, "1,000 米"), (1_112.0, "1.1 公里"), (2_044_682.0, "2,044.7 公里"), (5_000.0, "5 公里")]
)
def test_distances_above_a_kilometre_read_in_kilometres(metres, text):
    from app.services.checkins.scanning import distance_text

    assert distance_text(metres) == text


def test_a_faraway_phone_is_told_the_distance_in_kilometres(client, person):
    _staff, headers = person
    event = factories.make_event(latitude=39.9055, longitude=116.3976, radius_m=300)
    far = scan(client, headers, printed_qr(event.id), lat=22.8170, lng=108.3665)  # Nanning
    message = far.get_json()["error"]["message"]
    assert "公里" in message and " 米，" not in message and "需在 300 米内" in message


def test_printed_codes_of_a_live_code_only_event_are_refused_where_they_are_made(app, runner, client):
    lecture = factories.make_event(live_code_only=True)
    address = runner.invoke(args=["events", "checkin-url", str(lecture.id)])
    assert address.exit_code == 1 and "错误：" in address.output and "动态签到码" in address.output
    admin = factories.make_staff(name="张伟", employee_no="A0001", admin=True)
    response = client.get(f"/api/mp/admin/events/{lecture.id}/wxacode", headers=factories.make_bound_account(admin))
    assert response.status_code == 409 and error_code(response) == "live_code_required"


def service_files_entered(request) -> dict[str, int]:
    """How often a request enters each product file of the services and the view (from another file)."""
    import sys
    from collections import Counter
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent) + "/"
    watched = (root + "app/services/", root + "miniprogram_api/events_views.py")
    counts: Counter[str] = Counter()

    def profile(frame, event, _arg):
        name = frame.f_code.co_filename
        if event == "call" and name.startswith(watched) and (frame.f_back is None or frame.f_back.f_code.co_filename != name):
            counts[name.removeprefix(root)] += 1

    sys.setprofile(profile)
    try:
        request()
    finally:
        sys.setprofile(None)
    return dict(counts)


def test_one_request_enters_each_file_once_on_the_one_statement_and_at_most_twice_on_the_full_way(client, person):
    _staff, headers = person
    other = factories.make_staff(employee_no="C0002")
    other_headers = factories.make_bound_account(other)
    open_event = factories.make_event()
    gated = factories.make_event(registration_required=True)
    qr_open, qr_gated = printed_qr(open_event.id), printed_qr(gated.id)
    assert scan_alone(client, headers, qr_open)[0].status_code == 201  # warms the copy and the statement
    db.session.rollback()
    fast = service_files_entered(lambda: client.post("/api/mp/checkins", json={"qr": qr_open, "nonce": "n" * 16}, headers=other_headers))
    assert fast and max(fast.values()) == 1, fast
    assert {"app/services/checkins/scanning.py", "app/services/checkin_codes.py", "app/services/auth.py"} <= set(fast)
    db.session.rollback()
    scan_alone(client, headers, qr_gated)  # warms the gated statement
    db.session.rollback()
    full = service_files_entered(lambda: client.post("/api/mp/checkins", json={"qr": qr_gated, "nonce": "m" * 16}, headers=headers))
    assert max(full.values()) <= 2, full
    assert full["miniprogram_api/events_views.py"] == 1 and full["app/services/checkins/scanning.py"] == 1
