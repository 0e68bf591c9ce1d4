"""Listing events, registering and cancelling, and my records and volunteer hours."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.models.base import utcnow
from app.timeutil import local_zone
from tests import factories
from tests.events_helpers import error_code, printed_qr, scan, sign_in


@pytest.fixture
def person():
    staff = factories.make_staff(name="赵磊", employee_no="R0001")
    return staff, factories.make_bound_account(staff)


def test_staff_lists_events_by_kind_and_date_without_drafts(client, person):
    _staff, headers = person
    day = datetime(2026, 3, 5, 14, 30, tzinfo=local_zone())
    lecture = factories.make_event(starts_at=day)
    factories.make_event(kind="志愿服务", title="学雷锋志愿服务", starts_at=day + timedelta(days=1))
    factories.make_event(title="草稿", starts_at=day, publish=False)

    everything = client.get("/api/mp/events", headers=headers).get_json()
    assert [item["title"] for item in everything["items"]] == ["学雷锋志愿服务", lecture.title]
    assert everything["meta"]["total"] == 2

    lectures = client.get("/api/mp/events", query_string={"kind": "道德讲堂"}, headers=headers).get_json()
    assert [item["id"] for item in lectures["items"]] == [lecture.id]

    on_the_day = client.get(
        "/api/mp/events", query_string={"date_from": "2026-03-05", "date_to": "2026-03-05"}, headers=headers
    ).get_json()
    assert [item["id"] for item in on_the_day["items"]] == [lecture.id]


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "篮球赛"},
        {"date_from": "2026-13-01"},
        {"per_page": 1000},
        {"date_from": "0001-01-01"},  # a day before which no local midnight exists in UTC
        {"date_to": "9999-12-31"},  # a day after which no next day exists
        {"date_from": "1999-12-31"},
        {"date_to": "2101-01-01"},
    ],
)
def test_bad_list_filters_get_422(client, person, query):
    _staff, headers = person
    response = client.get("/api/mp/events", query_string=query, headers=headers)
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert not any(re.search("[a-z]{3,}", text) for text in response.get_json()["error"]["fields"].values())  # no English


def test_list_filters_at_the_ends_of_the_supported_range_are_accepted(client, person):
    _staff, headers = person
    response = client.get("/api/mp/events", query_string={"date_from": "2000-01-01", "date_to": "2100-12-31"}, headers=headers)
    assert response.status_code == 200


def test_detail_shows_my_registration_and_sign_in(client, person):
    _staff, headers = person
    event = factories.make_event(registration_required=True, capacity=5)
    detail = client.get(f"/api/mp/events/{event.id}", headers=headers).get_json()
    assert detail["me"] == {"registered": False, "checked_in_at": None, "checked_out_at": None, "credited_hours": None}

    registered = client.post(f"/api/mp/events/{event.id}/registration", headers=headers)
    assert registered.status_code == 201
    assert registered.get_json() == {"registered": True, "registered_count": 1, "capacity": 5}
    assert scan(client, headers, printed_qr(event.id)).status_code == 201
    detail = client.get(f"/api/mp/events/{event.id}", headers=headers).get_json()
    assert detail["me"]["registered"] is True and detail["me"]["checked_in_at"]
    assert detail["registered_count"] == 1


def test_draft_and_missing_events_get_404(client, person):
    _staff, headers = person
    draft = factories.make_event(publish=False)
    assert error_code(client.get(f"/api/mp/events/{draft.id}", headers=headers)) == "event_not_found"
    assert client.get("/api/mp/events/999999", headers=headers).status_code == 404


def test_second_registration_gets_409_and_full_event_gets_409_event_full(client, person):
    _staff, headers = person
    event = factories.make_event(registration_required=True, capacity=1)
    assert client.post(f"/api/mp/events/{event.id}/registration", headers=headers).status_code == 201
    again = client.post(f"/api/mp/events/{event.id}/registration", headers=headers)
    assert again.status_code == 409 and error_code(again) == "already_registered"
    other = factories.make_staff()
    full = client.post(f"/api/mp/events/{event.id}/registration", headers=factories.make_bound_account(other))
    assert full.status_code == 409 and error_code(full) == "event_full"


def test_cancelling_a_registration_frees_the_place(client, person):
    _staff, headers = person
    event = factories.make_event(registration_required=True, capacity=1)
    client.post(f"/api/mp/events/{event.id}/registration", headers=headers)
    cancelled = client.delete(f"/api/mp/events/{event.id}/registration", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["registered_count"] == 0
    again = client.delete(f"/api/mp/events/{event.id}/registration", headers=headers)
    assert again.status_code == 409 and error_code(again) == "not_registered"
    other = factories.make_bound_account(factories.make_staff())
    assert client.post(f"/api/mp/events/{event.id}/registration", headers=other).status_code == 201


def test_registration_closes_when_the_event_starts(client, person):
    _staff, headers = person
    event = factories.make_event(starts_at=utcnow() - timedelta(minutes=5), registration_required=True)
    response = client.post(f"/api/mp/events/{event.id}/registration", headers=headers)
    assert response.status_code == 409 and error_code(response) == "registration_closed"


def test_signed_in_person_cannot_cancel_the_registration(client, person):
    _staff, headers = person
    event = factories.make_event(registration_required=True)
    client.post(f"/api/mp/events/{event.id}/registration", headers=headers)
    scan(client, headers, printed_qr(event.id))
    response = client.delete(f"/api/mp/events/{event.id}/registration", headers=headers)
    assert response.status_code == 409 and error_code(response) == "already_attended"


def test_my_checkins_and_volunteer_hours(client, person):
    staff, headers = person
    start = utcnow() - timedelta(hours=4)
    service = factories.make_event(kind="志愿服务", title="社区清扫", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True)
    sign_in(headers, printed_qr(service.id), at=start)
    sign_in(headers, printed_qr(service.id, "out"), at=start + timedelta(hours=2, minutes=40))
    lecture = factories.make_event()
    scan(client, headers, printed_qr(lecture.id))

    mine = client.get("/api/mp/me/checkins", headers=headers).get_json()
    assert mine["meta"]["total"] == 3
    assert [(item["event"]["title"], item["direction"]) for item in mine["items"]][0] == (lecture.title, "in")
    out = next(item for item in mine["items"] if item["direction"] == "out")
    assert out["credited_hours"] == 2.5

    hours = client.get("/api/mp/me/volunteer-hours", headers=headers).get_json()
    assert hours["hours"] == 2.5 and hours["events"] == 1 and hours["all_time_hours"] == 2.5
    last_year = client.get("/api/mp/me/volunteer-hours", query_string={"year": start.year - 1}, headers=headers)
    assert last_year.get_json()["hours"] == 0 and last_year.get_json()["all_time_hours"] == 2.5
    assert client.get("/api/mp/me/volunteer-hours", query_string={"year": 1900}, headers=headers).status_code == 422
