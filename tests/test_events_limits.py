"""Event input at the edges: dates Python or the database cannot hold, and the columns' limits, refused
with a Chinese ``invalid_event`` by the service for the API and the CLI alike."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event
from app.services import events
from app.services.audit import Actor
from tests import factories
from tests.events_helpers import error_code

RANGE_MESSAGE = "活动时间应在 2000-01-01 到 2100-12-31 之间"


@pytest.fixture
def admin_headers():
    return factories.make_bound_account(factories.make_staff(name="张伟", employee_no="A0001", admin=True))


def events_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def create(client, headers, **change):
    body = {"kind": "志愿服务", "title": "志愿服务", "starts_at": "2026-12-05T09:00:00", "ends_at": "2026-12-05T11:00:00"}
    return client.post("/api/mp/admin/events", json={**body, **change}, headers=headers)


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "0001-01-01T00:00:00", "ends_at": "0001-01-01T02:00:00"},
        {"starts_at": "9999-12-31T20:00:00", "ends_at": "9999-12-31T22:00:00", "checkout_required": True},
        {"starts_at": "1999-12-31T09:00:00", "ends_at": "1999-12-31T10:00:00"},
        {"starts_at": "2100-12-31T22:00:00", "ends_at": "2101-01-01T01:00:00"},
        {"checkin_opens_at": "0001-01-01T00:00:00"},
        {"checkin_closes_at": "9999-12-31T23:59:59"},
    ],
)
def test_admin_creating_an_event_outside_the_supported_years_gets_422(client, admin_headers, change):
    response = create(client, admin_headers, **change)
    assert response.status_code == 422 and error_code(response) == "invalid_event", response.get_json()
    assert RANGE_MESSAGE in response.get_json()["error"]["message"]
    assert events_count() == 0


def test_admin_creating_an_event_at_the_ends_of_the_supported_years_gets_201(client, admin_headers):
    first = create(client, admin_headers, starts_at="2000-01-01T08:00:00", ends_at="2000-01-01T09:00:00")
    last = create(client, admin_headers, starts_at="2100-12-31T20:00:00", ends_at="2100-12-31T22:00:00")
    assert first.status_code == 201 and last.status_code == 201, (first.get_json(), last.get_json())


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "9999-12-31T20:00:00", "ends_at": "9999-12-31T22:00:00"},
        {"starts_at": "0001-01-01T00:00:00", "ends_at": "0001-01-01T02:00:00"},
    ],
)
def test_admin_moving_a_draft_event_outside_the_supported_years_gets_422(client, admin_headers, change):
    event = factories.make_event(publish=False, checkout_required=True)
    response = client.patch(f"/api/mp/admin/events/{event.id}", json=change, headers=admin_headers)
    assert response.status_code == 422 and error_code(response) == "invalid_event", response.get_json()
    assert RANGE_MESSAGE in response.get_json()["error"]["message"]


def test_operator_creating_an_event_in_year_one_sees_the_chinese_reason(runner):
    result = runner.invoke(args=[
        "events", "create", "--kind", "道德讲堂", "--title", "讲堂", "--start", "0001-01-01T00:00", "--end", "0001-01-01T01:00",
    ])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert RANGE_MESSAGE in result.output and "Traceback" not in result.output
    assert events_count() == 0


def cli_create(runner, *extra: str):
    return runner.invoke(args=[
        "events", "create", "--kind", "道德讲堂", "--title", "讲堂", "--start", "2026-12-05T09:00", "--end", "2026-12-05T10:00",
        *extra,
    ])


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (("--location", "会" * 250), "地点不能超过 200 字"),
        (("--description", "简" * 5001), "简介不能超过 5000 字"),
        (("--title", "讲" * 101), "活动名称不能为空，且不超过 100 字"),
    ],
)
def test_operator_creating_an_event_beyond_a_column_limit_sees_the_chinese_reason(runner, extra, fragment):
    result = cli_create(runner, *extra)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert events_count() == 0


def test_operator_editing_an_event_beyond_a_column_limit_sees_the_chinese_reason(runner):
    event = factories.make_event()
    result = runner.invoke(args=["events", "edit", str(event.id), "--location", "会" * 201])
    assert result.exit_code == 1 and "地点不能超过 200 字" in result.output, result.output
    result = runner.invoke(args=["events", "edit", str(event.id), "--description", "简" * 5001])
    assert result.exit_code == 1 and "简介不能超过 5000 字" in result.output, result.output


def test_operator_giving_a_capacity_beyond_the_limit_gets_a_usage_error(runner):
    result = cli_create(runner, "--capacity", "99999999999")
    assert result.exit_code == 2 and "--capacity" in result.output and "Traceback" not in result.output
    assert events_count() == 0
    assert cli_create(runner, "--capacity", "100000").exit_code == 0


@pytest.mark.parametrize("capacity", [0, 100_001, 99_999_999_999])
def test_service_refuses_a_capacity_the_api_would_refuse(app, capacity):
    draft = events.EventDraft(
        kind="道德讲堂", title="讲堂", starts_at=datetime(2026, 12, 5, 9), ends_at=datetime(2026, 12, 5, 10), capacity=capacity
    )
    with pytest.raises(events.InvalidEvent, match="名额应在 1 到 100000 之间"):
        events.create_event(db.session, draft, Actor.cli())
    assert events_count() == 0
