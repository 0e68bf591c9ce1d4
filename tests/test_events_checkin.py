"""Signing in and out by QR code over the API: the first scan counts, every refusal has its own code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Checkin
from app.models.base import utcnow
from app.services import checkin_codes, checkins, events
from app.services.audit import Actor
from tests import factories
from tests.events_helpers import error_code, nonce, printed_qr, scan, sign_in


@pytest.fixture
def person():
    staff = factories.make_staff(name="王芳", employee_no="C0001")
    return staff, factories.make_bound_account(staff)


def records() -> int:
    return db.session.scalar(select(func.count()).select_from(Checkin))


def test_first_scan_gets_201_and_later_scans_get_200_with_the_original_time(client, person):
    staff, headers = person
    event = factories.make_event(location="三楼会议室")
    first = scan(client, headers, printed_qr(event.id))
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "checked_in"
    assert body["event"]["id"] == event.id and body["event"]["title"] == event.title
    again = scan(client, headers, printed_qr(event.id))
    assert again.status_code == 200
    assert again.get_json()["status"] == "already_checked_in"
    assert again.get_json()["checked_in_at"] == body["checked_in_at"]
    assert records() == 1


def test_retry_with_the_same_nonce_creates_no_second_record(client, person):
    _staff, headers = person
    event = factories.make_event()
    key = nonce()
    assert scan(client, headers, printed_qr(event.id), nonce=key).status_code == 201
    assert scan(client, headers, printed_qr(event.id), nonce=key).status_code == 200
    other = factories.make_event(title="另一场活动")
    reused = scan(client, headers, printed_qr(other.id), nonce=key)
    assert reused.status_code == 409 and error_code(reused) == "nonce_reused"
    assert records() == 1


def test_bare_token_and_miniprogram_scene_are_accepted_like_the_url(client, person):
    _staff, headers = person
    event = factories.make_event()
    token = checkin_codes.printed_token(event.id, "in")
    assert len(token) <= checkin_codes.SCENE_MAX_CHARS
    assert scan(client, headers, token).status_code == 201


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered signature
        lambda t: t.replace("p.", "p.9", 1),  # another event id, same signature
        lambda t: t.replace(".i.", ".o.", 1),  # sign-in code turned into a sign-out code
        lambda t: "p.1.i.AAAAAAAAAAAAAAAA",  # guessed
        lambda t: "not a code at all",
        lambda t: "https://evil.example/qr?t=" + t[:-2],
    ],
)
def test_forged_or_altered_code_gets_400_invalid_code(client, person, tamper):
    _staff, headers = person
    event = factories.make_event(checkout_required=True)
    response = scan(client, headers, tamper(checkin_codes.printed_token(event.id, "in")))
    assert response.status_code == 400 and error_code(response) == "invalid_code"
    assert records() == 0


def test_code_signed_with_another_secret_is_refused(app, client, person, monkeypatch):
    _staff, headers = person
    event = factories.make_event()
    with monkeypatch.context() as patch:
        patch.setitem(app.config, "SECRET_KEY", "another-deployment-secret")
        foreign = checkin_codes.printed_token(event.id, "in")
    response = scan(client, headers, foreign)
    assert response.status_code == 400 and error_code(response) == "invalid_code"


def test_live_code_from_two_periods_ago_gets_410_code_expired(client, person):
    _staff, headers = person
    event = factories.make_event()
    stale = checkin_codes.live_token(event.id, "in", checkin_codes.current_step() - 2)
    response = scan(client, headers, checkin_codes.code_url(stale))
    assert response.status_code == 410 and error_code(response) == "code_expired"
    previous = checkin_codes.live_token(event.id, "in", checkin_codes.current_step() - 1)
    response = scan(client, headers, checkin_codes.code_url(previous))
    assert response.status_code == 201
    assert db.session.scalar(select(Checkin)).method == "live"


def test_scan_before_the_window_gets_403_checkin_not_open(client, person):
    _staff, headers = person
    event = factories.make_event(starts_at=utcnow() + timedelta(hours=3))
    response = scan(client, headers, printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "checkin_not_open"
    assert "起可签到" in response.get_json()["error"]["message"]


def test_scan_after_the_window_gets_403_checkin_closed(client, person):
    _staff, headers = person
    event = factories.make_event(starts_at=utcnow() - timedelta(hours=1))
    response = scan(client, headers, printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "checkin_closed"


def test_scan_for_a_cancelled_event_gets_409_event_cancelled(client, person):
    _staff, headers = person
    event = factories.make_event()
    events.cancel_event(db.session, event.id, Actor.system(), "天气原因")
    response = scan(client, headers, printed_qr(event.id))
    assert response.status_code == 409 and error_code(response) == "event_cancelled"


def test_scan_for_a_draft_event_gets_404(client, person):
    _staff, headers = person
    event = factories.make_event(publish=False)
    response = scan(client, headers, printed_qr(event.id))
    assert response.status_code == 404 and error_code(response) == "event_not_found"


def test_unregistered_person_gets_403_when_registration_is_required(client, person):
    staff, headers = person
    event = factories.make_event(registration_required=True, capacity=10)
    response = scan(client, headers, printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "registration_required"
    events.register(db.session, event.id, staff)
    assert scan(client, headers, printed_qr(event.id)).status_code == 201


def test_geofence_refuses_far_away_and_missing_coordinates(client, person):
    _staff, headers = person
    # Tiananmen Square, 300 m.
    event = factories.make_event(latitude=39.9055, longitude=116.3976, radius_m=300)
    missing = scan(client, headers, printed_qr(event.id))
    assert missing.status_code == 400 and error_code(missing) == "location_required"
    far = scan(client, headers, printed_qr(event.id), lat=39.9155, lng=116.3976)  # about 1.1 km north
    assert far.status_code == 403 and error_code(far) == "outside_geofence"
    assert "约 1.1 公里" in far.get_json()["error"]["message"]  # issue 11 item 17: km above 1,000 m (was "1,112 米")
    near = scan(client, headers, printed_qr(event.id), lat=39.9065, lng=116.3980)
    assert near.status_code == 201
    assert 100 < db.session.scalar(select(Checkin)).distance_m < 130


def test_haversine_matches_a_known_distance():
    # Beijing to Shanghai (city centres) is about 1,067 km.
    assert checkins.haversine_m(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


def test_unbound_account_gets_403_not_bound(client, login):
    event = factories.make_event()
    response = scan(client, login("openid-unbound"), printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "not_bound"


def test_no_token_gets_401(client):
    response = client.post("/api/mp/checkins", json={"qr": "x", "nonce": nonce()})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"nonce": "abcdefgh12"}, "qr"),
        ({"qr": "p.1.i.x"}, "nonce"),
        ({"qr": "p.1.i.x", "nonce": "short"}, "nonce"),
        ({"qr": "p.1.i.x", "nonce": "abcdefgh12", "lat": 91}, "lat"),
        ({"qr": "p.1.i.x", "nonce": "abcdefgh12", "lng": "东经"}, "lng"),
        ({"qr": "x" * 600, "nonce": "abcdefgh12"}, "qr"),
        ({"qr": "p.1.i.x", "nonce": "abcdefgh12", "extra": 1}, "extra"),
    ],
)
def test_bad_input_gets_422_with_the_field(client, person, body, field):
    _staff, headers = person
    response = client.post("/api/mp/checkins", json=body, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_sign_out_answers_duration_and_whole_half_hours(app, person):
    _staff, headers = person
    start = utcnow() - timedelta(hours=1)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True)
    signed_in = sign_in(headers, printed_qr(event.id), at=start - timedelta(minutes=5))
    assert signed_in.created
    out = sign_in(headers, printed_qr(event.id, "out"), at=start + timedelta(minutes=99))
    answer = checkins.describe(db.session, out)
    assert answer["status"] == "checked_out"
    assert answer["duration_minutes"] == 104
    assert answer["hours"] == 1.5  # 104 minutes: three whole half-hours


def test_sign_out_hours_are_capped_at_the_planned_length(app, person):
    _staff, headers = person
    start = utcnow() - timedelta(hours=3)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=2), checkout_required=True)
    sign_in(headers, printed_qr(event.id), at=start - timedelta(minutes=25))
    out = sign_in(headers, printed_qr(event.id, "out"), at=start + timedelta(hours=2, minutes=50))
    assert out.record.credited_minutes == 120


def test_sign_out_over_http_answers_200_for_a_second_scan(client, person):
    staff, headers = person
    start = utcnow() - timedelta(minutes=20)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=1), checkout_required=True)
    assert scan(client, headers, printed_qr(event.id)).status_code == 201
    first = scan(client, headers, printed_qr(event.id, "out"))
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "checked_out" and body["hours"] == 0.0 and body["duration_minutes"] == 0
    again = scan(client, headers, printed_qr(event.id, "out"))
    assert again.status_code == 200 and again.get_json()["status"] == "already_checked_out"


def test_sign_out_before_sign_in_gets_409_not_checked_in(client, person):
    _staff, headers = person
    start = utcnow() - timedelta(minutes=20)
    event = factories.make_event(kind="志愿服务", starts_at=start, ends_at=start + timedelta(hours=1), checkout_required=True)
    response = scan(client, headers, printed_qr(event.id, "out"))
    assert response.status_code == 409 and error_code(response) == "not_checked_in"


def test_sign_out_code_for_an_event_without_sign_out_gets_400(client, person):
    _staff, headers = person
    event = factories.make_event()
    response = scan(client, headers, printed_qr(event.id, "out"))
    assert response.status_code == 400 and error_code(response) == "checkout_not_required"


def test_someone_already_signed_in_gets_200_even_with_an_expired_code_or_after_the_window(app, client, person):
    staff, headers = person
    start = utcnow() - timedelta(minutes=20)
    event = factories.make_event(starts_at=start)
    sign_in(headers, printed_qr(event.id), at=start)
    stale = checkin_codes.code_url(checkin_codes.live_token(event.id, "in", checkin_codes.current_step() - 5))
    response = scan(client, headers, stale)
    assert response.status_code == 200 and response.get_json()["status"] == "already_checked_in"
    late = sign_in(headers, printed_qr(event.id), at=start + timedelta(hours=5))
    assert not late.created and late.record.at == start


@pytest.mark.parametrize("qr", ["https://[abc/?t=x", "http://[::1", "https://[::1/qr?t=p.1.i.x"])
def test_scanned_address_python_cannot_split_gets_400_invalid_code(client, person, qr):
    _staff, headers = person
    response = scan(client, headers, qr)
    assert response.status_code == 400 and error_code(response) == "invalid_code"


def test_genuinely_signed_code_for_an_event_id_beyond_the_database_integer_gets_400(client, person):
    _staff, headers = person
    response = scan(client, headers, printed_qr(2**31))
    assert response.status_code == 400 and error_code(response) == "invalid_code"
    largest = scan(client, headers, printed_qr(2**31 - 1))
    assert largest.status_code == 404
