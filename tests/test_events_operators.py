"""What organisers set and see: the sign-in window, capacity and walk-ins on create and edit, the live-code
rule, the operator's list, the staff list's order, and drafts validated without being changed."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Event
from app.models.base import utcnow
from app.models.events import CAPACITY_RANGE, TITLE_MAX
from app.services import event_lists, events
from app.services.audit import Actor
from app.timeutil import to_local
from tests import factories
from tests.events_helpers import error_code, printed_qr, scan


@pytest.fixture
def admin(app):
    staff = factories.make_staff(name="张伟", employee_no="A0001", admin=True)
    return staff, factories.make_bound_account(staff)


def local_hm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


# ---- the command line ----------------------------------------------------------------------------------


def test_create_sets_the_window_walk_ins_and_printed_codes_and_prints_a_summary(runner):
    result = runner.invoke(args=[
        "events", "create", "--kind", "道德讲堂", "--title", "道德讲堂：敬业", "--start", "2030-03-05T14:30",
        "--end", "2030-03-05T16:00", "--location", "三楼会议室", "--capacity", "50", "--walk-ins",
        "--checkin-opens", "13:30", "--checkin-closes", "2030-03-05T15:30", "--printed-code-ok",
    ])
    assert result.exit_code == 0, result.output
    first, summary = result.output.splitlines()
    event = db.session.get(Event, int(first))
    assert local_hm(event.checkin_opens_at) == "13:30" and local_hm(event.checkin_closes_at) == "15:30"
    assert event.registration_required and event.walk_ins_allowed and not event.live_code_only
    assert summary.startswith(f"#{event.id} [道德讲堂] 道德讲堂：敬业 2030-03-05 14:30–16:00 三楼会议室 已发布")
    assert "报名 0/50，可现场签到" in summary


def test_a_moral_lecture_created_from_the_command_line_takes_live_codes_only(runner):
    result = runner.invoke(args=["events", "create", "--kind", "道德讲堂", "--title", "讲堂", "--start", "2030-03-05T14:30", "--end", "2030-03-05T16:00"])
    event = db.session.get(Event, int(result.output.splitlines()[0]))
    assert event.live_code_only and "仅大屏动态码" in result.output
    edited = runner.invoke(args=["events", "edit", str(event.id), "--printed-code-ok"])
    assert edited.exit_code == 0, edited.output
    db.session.expire_all()
    assert not db.session.get(Event, event.id).live_code_only


def test_edit_changes_capacity_and_window_but_never_below_the_registered(runner, app):
    event = factories.make_event(capacity=5, registration_required=True)
    for number in range(3):
        events.register(db.session, event.id, factories.make_staff(employee_no=f"R{number:04d}"))
    refused = runner.invoke(args=["events", "edit", str(event.id), "--capacity", "2"])
    assert refused.exit_code == 1 and "名额不能少于已报名人数（3 人）" in refused.output
    day = to_local(event.starts_at).date().isoformat()
    opens = (to_local(event.starts_at) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    changed = runner.invoke(args=["events", "edit", str(event.id), "--capacity", "3", "--checkin-opens", opens, "--walk-ins"])
    assert changed.exit_code == 0, changed.output
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.capacity == 3 and event.walk_ins_allowed
    assert to_local(event.checkin_opens_at).strftime("%Y-%m-%dT%H:%M") == opens and day in changed.output


def test_list_shows_drafts_to_operators_and_filters_by_kind_status_and_month(runner, app):
    start = datetime(2030, 3, 5, 14, 30)
    draft = factories.make_event(title="草稿讲堂", starts_at=start, ends_at=start + timedelta(hours=1), publish=False)
    service = factories.make_event(kind="志愿服务", title="三月志愿", starts_at=start, ends_at=start + timedelta(hours=2))
    april = factories.make_event(kind="志愿服务", title="四月志愿", starts_at=start + timedelta(days=31), ends_at=start + timedelta(days=31, hours=1))
    everything = runner.invoke(args=["events", "list"])
    assert everything.exit_code == 0
    assert [line.split()[0] for line in everything.output.splitlines()] == [f"#{draft.id}", f"#{service.id}", f"#{april.id}"]
    assert "草稿" in everything.output.splitlines()[0]
    march_services = runner.invoke(args=["events", "list", "--kind", "志愿服务", "--month", "2030-03"])
    assert march_services.output.splitlines() == [event_lists.summary(service)]
    drafts = runner.invoke(args=["events", "list", "--status", "draft"])
    assert "草稿讲堂" in drafts.output and "志愿" not in drafts.output
    assert runner.invoke(args=["events", "list", "--month", "2030-13"]).exit_code == 2


# ---- the API -------------------------------------------------------------------------------------------


def test_admin_api_sets_and_edits_live_code_only_walk_ins_capacity_and_window(client, admin):
    _admin, headers = admin
    start = utcnow() + timedelta(days=2)
    created = client.post("/api/mp/admin/events", json={
        "kind": "道德讲堂", "title": "道德讲堂：诚信", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(),
        "registration_required": True, "capacity": 10,
    }, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["live_code_only"] is True and body["walk_ins_allowed"] is False
    patched = client.patch(f"/api/mp/admin/events/{body['id']}", json={
        "live_code_only": False, "walk_ins_allowed": True, "capacity": 20,
        "checkin_closes_at": (start + timedelta(minutes=45)).isoformat(),
    }, headers=headers)
    assert patched.status_code == 200, patched.get_json()
    edited = patched.get_json()
    assert edited["live_code_only"] is False and edited["walk_ins_allowed"] is True and edited["capacity"] == 20
    assert edited["checkin_closes_at"].startswith((start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"))
    too_big = client.patch(f"/api/mp/admin/events/{body['id']}", json={"capacity": CAPACITY_RANGE[1] + 1}, headers=headers)
    assert too_big.status_code == 422


def test_staff_list_puts_upcoming_first_then_past_and_hides_cancelled_unless_asked(client, admin):
    _admin, headers = admin
    now = utcnow()
    past = factories.make_event(title="上周", starts_at=now - timedelta(days=7))
    long_ago = factories.make_event(title="上月", starts_at=now - timedelta(days=30))
    soon = factories.make_event(title="明天", starts_at=now + timedelta(days=1))
    later = factories.make_event(title="下周", starts_at=now + timedelta(days=7))
    cancelled = factories.make_event(title="取消的", starts_at=now + timedelta(days=2))
    events.cancel_event(db.session, cancelled.id, Actor.system(), "场地冲突")
    titles = [item["title"] for item in client.get("/api/mp/events", headers=headers).get_json()["items"]]
    assert titles == ["明天", "下周", "上周", "上月"]
    with_cancelled = client.get("/api/mp/events?include_cancelled=true", headers=headers).get_json()["items"]
    assert [item["title"] for item in with_cancelled] == ["明天", "取消的", "下周", "上周", "上月"]
    assert {past.id, long_ago.id, soon.id, later.id} <= {item["id"] for item in with_cancelled}


# ---- drafts and the event's own questions ---------------------------------------------------------------


def test_a_draft_returns_its_problems_and_is_never_changed(app):
    start = datetime(2030, 3, 5, 14, 30)
    draft = events.EventDraft(kind="篮球赛", title="x" * (TITLE_MAX + 1), starts_at=start, ends_at=start - timedelta(hours=1), capacity=0)
    problems = draft.aware().problems()
    assert any("活动类型" in problem for problem in problems) and any(f"不超过 {TITLE_MAX} 字" in p for p in problems)
    assert any("结束时间应晚于开始时间" in p for p in problems) and any(f"名额应在 {CAPACITY_RANGE[0]}" in p for p in problems)
    assert draft.checkin_opens_at is None and draft.starts_at.tzinfo is None  # nothing settled into the input
    with pytest.raises(FrozenInstanceError):
        draft.title = "改"  # type: ignore[misc]
    with pytest.raises(events.InvalidEvent):
        events.create_event(db.session, draft, Actor.system())
    assert db.session.scalar(select(Event)) is None


def test_the_event_answers_its_own_status_questions(app):
    event = factories.make_event(publish=False)
    assert event.is_draft and not event.is_visible and not event.is_published and not event.is_cancelled
    events.publish_event(db.session, event.id, Actor.system())
    assert event.is_published and event.is_visible
    events.cancel_event(db.session, event.id, Actor.system(), "天气原因")
    assert event.is_cancelled and event.is_visible


def test_the_schema_service_and_cli_share_the_capacity_limit(client, runner, admin):
    _admin, headers = admin
    start = utcnow() + timedelta(days=2)
    over = CAPACITY_RANGE[1] + 1
    api = client.post("/api/mp/admin/events", json={
        "kind": "志愿服务", "title": "志愿", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": over,
    }, headers=headers)
    assert api.status_code == 422 and "capacity" in api.get_json()["error"]["fields"]
    cli = runner.invoke(args=["events", "create", "--kind", "志愿服务", "--title", "志愿", "--start", "2030-03-05T09:00", "--end", "2030-03-05T10:00", "--capacity", str(over)])
    assert cli.exit_code == 2 and str(CAPACITY_RANGE[1]) in cli.output
    with pytest.raises(events.InvalidEvent, match=str(CAPACITY_RANGE[1])):
        events.create_event(db.session, events.EventDraft(kind="志愿服务", title="志愿", starts_at=start, ends_at=start + timedelta(hours=1), capacity=over), Actor.system())
    assert error_code(scan(client, headers, printed_qr(999))) == "event_not_found"
