"""Event reminders: queued at publishing for the groups and every registered person, moved by edits,
withdrawn by cancellations, configurable per event through the service, the admin API and the CLI."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Event, OutboxMessage
from app.models.messaging import STATUS_PENDING, STATUS_SENT
from app.services import audit, event_reminders, events
from tests import factories
from tests.events_helpers import error_code
from tests.scheduler_helpers import local, make_robots

NOW = local(date(2027, 3, 1), 10, 0)  # Monday
START = local(date(2027, 3, 10), 14, 30)  # Wednesday
DAY_BEFORE_NINE = local(date(2027, 3, 9), 9, 0)
HOUR_BEFORE = local(date(2027, 3, 10), 13, 30)


@pytest.fixture
def robots(app):
    return make_robots(2)


def lecture(now: datetime = NOW, starts_at: datetime = START, **fields) -> Event:
    values = dict(kind="道德讲堂", title="道德讲堂：诚信立身", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                  location="三楼会议室", registration_required=True)
    values.update(fields)
    return events.create_event(db.session, events.EventDraft(**values), audit.Actor.system(), now=now)


def person(name: str, userid: str):
    return factories.make_staff(name=name, wecom_userid=userid)


def reminders(event_id: int, status: str = STATUS_PENDING) -> list[tuple[str, datetime]]:
    """(address, due_at) of the event's reminder rows, sorted."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.dedup_key.like(f"event:{event_id}:remind:%"), OutboxMessage.status == status
        )
    ).all()
    return sorted((row.address, row.due_at) for row in rows)


def expected(addresses: list[str], *dues: datetime) -> list[tuple[str, datetime]]:
    return sorted((address, due) for address in addresses for due in dues)


def robot_addresses(robots) -> list[str]:
    return [str(robot.id) for robot in robots]


def test_publishing_queues_group_reminders_the_day_before_at_nine_and_an_hour_before(robots):
    event = lecture()
    assert reminders(event.id) == expected(robot_addresses(robots), DAY_BEFORE_NINE, HOUR_BEFORE)
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.due_at == HOUR_BEFORE)).first()
    content = row.payload["text"]["content"]
    assert "道德讲堂：诚信立身" in content and "3月10日（星期三）14:30" in content and "三楼会议室" in content
    assert "1小时后（14:30）" in content


def test_registered_person_gets_personal_reminders_and_others_do_not(robots):
    event = lecture()
    zhao, _qian = person("赵磊", "zhaolei"), person("钱芳", "qianfang")
    events.register(db.session, event.id, zhao, now=NOW)
    personal = [(a, d) for a, d in reminders(event.id) if a.startswith("touser:")]
    assert personal == expected(["touser:zhaolei"], DAY_BEFORE_NINE, HOUR_BEFORE)
    content = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.address == "touser:zhaolei", OutboxMessage.due_at == DAY_BEFORE_NINE)
    ).one().payload["text"]["content"]
    assert content.startswith("【活动提醒】您报名的活动“道德讲堂：诚信立身”将于明天 14:30开始。")


def test_registering_after_the_day_before_reminder_queues_only_the_hour_before(robots):
    event = lecture()
    zhao = person("赵磊", "zhaolei")
    events.register(db.session, event.id, zhao, now=local(date(2027, 3, 9), 17, 0))
    personal = [(a, d) for a, d in reminders(event.id) if a.startswith("touser:")]
    assert personal == [("touser:zhaolei", HOUR_BEFORE)]


def test_event_starting_in_thirty_minutes_queues_no_reminder(robots):
    event = lecture(now=local(date(2027, 3, 10), 14, 0))
    assert reminders(event.id) == []


def test_event_without_registration_reminds_only_the_groups(robots):
    event = lecture(registration_required=False)
    assert {address for address, _ in reminders(event.id)} == set(robot_addresses(robots))


def test_draft_queues_nothing_until_it_is_published(robots):
    event = lecture(publish=False)
    assert reminders(event.id) == []
    events.publish_event(db.session, event.id, audit.Actor.system(), now=NOW)
    assert reminders(event.id) == expected(robot_addresses(robots), DAY_BEFORE_NINE, HOUR_BEFORE)


def test_custom_rules_replace_the_defaults_and_an_empty_list_means_none(robots):
    custom = lecture(reminders=["2d@08:00", "30M", "2d@08:00"])
    assert custom.reminders == ["2d@08:00", "30m"]
    assert reminders(custom.id) == expected(
        robot_addresses(robots), local(date(2027, 3, 8), 8, 0), local(date(2027, 3, 10), 14, 0)
    )
    silent = lecture(reminders=[])
    assert reminders(silent.id) == []


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (["tomorrow"], "无法识别的提醒“tomorrow”"),
        (["31d@09:00"], "超出范围"),
        (["1d@25:00"], "超出范围"),
        (["0m"], "超出范围"),
        (["1m", "2m", "3m", "4m", "5m", "6m"], "最多设置 5 个提醒"),
    ],
)
def test_bad_reminder_rules_are_refused_in_chinese(app, rules, message):
    with pytest.raises(events.InvalidEvent) as refused:
        lecture(reminders=rules)
    assert message in refused.value.message


def test_cancelling_a_registration_withdraws_only_that_persons_pending_reminders(robots):
    event = lecture()
    zhao, qian = person("赵磊", "zhaolei"), person("钱芳", "qianfang")
    for someone in (zhao, qian):
        events.register(db.session, event.id, someone, now=NOW)
    events.cancel_registration(db.session, event.id, zhao, now=NOW)
    addresses = {address for address, _ in reminders(event.id)}
    assert addresses == {*robot_addresses(robots), "touser:qianfang"}
    events.register(db.session, event.id, zhao, now=NOW)  # changed their mind: queued again
    assert ("touser:zhaolei", HOUR_BEFORE) in reminders(event.id)


def test_moving_the_event_moves_pending_reminders_and_keeps_sent_ones(robots):
    event = lecture()
    zhao = person("赵磊", "zhaolei")
    events.register(db.session, event.id, zhao, now=NOW)
    # The day-before reminder went out; then the lecture moves to Friday 15:00.
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.due_at == DAY_BEFORE_NINE)
        .values(status=STATUS_SENT, sent_at=DAY_BEFORE_NINE)
    )
    db.session.commit()
    opens_before = event.checkin_opens_at - START
    moved_at = local(date(2027, 3, 9), 11, 0)
    new_start = local(date(2027, 3, 12), 15, 0)
    events.update_event(db.session, event.id, {"starts_at": new_start, "ends_at": local(date(2027, 3, 12), 17, 0)},
                        audit.Actor.system(), now=moved_at)
    everyone = [*robot_addresses(robots), "touser:zhaolei"]
    assert reminders(event.id) == expected(everyone, local(date(2027, 3, 11), 9, 0), local(date(2027, 3, 12), 14, 0))
    assert reminders(event.id, STATUS_SENT) == expected(everyone, DAY_BEFORE_NINE)
    event = db.session.get(Event, event.id)
    assert event.checkin_opens_at - new_start == opens_before
    change = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"event:{event.id}:changed:%")))
    notices = [(row.address, row.payload["text"]["content"]) for row in change]
    assert len(notices) == 1 and notices[0][0] == "touser:zhaolei"
    assert "时间改为 2027-03-12 15:00—17:00" in notices[0][1] and "原 2027-03-10 14:30" in notices[0][1]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "event.update")).one()
    assert entry.detail["starts_at"] == new_start.isoformat()


def test_renaming_requeues_pending_reminders_with_the_new_title_without_a_change_notice(robots):
    event = lecture()
    events.update_event(db.session, event.id, {"title": "道德讲堂：孝老爱亲"}, audit.Actor.system(), now=NOW)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"event:{event.id}:%"))).all()
    assert len(rows) == 4 and all("孝老爱亲" in row.payload["text"]["content"] for row in rows)


def test_cancelling_the_event_withdraws_reminders_and_keeps_the_cancellation_notice(robots):
    event = lecture()
    zhao = person("赵磊", "zhaolei")
    events.register(db.session, event.id, zhao, now=NOW)
    events.cancel_event(db.session, event.id, audit.Actor.system(), "场地检修")
    assert reminders(event.id) == []
    keys = db.session.scalars(select(OutboxMessage.dedup_key)).all()
    assert keys == [f"event:{event.id}:cancelled:user:zhaolei"]


def test_a_started_event_cannot_be_moved_and_a_cancelled_one_cannot_be_edited(robots):
    event = lecture()
    with pytest.raises(events.EventAlreadyStarted):
        events.update_event(db.session, event.id, {"starts_at": local(date(2027, 3, 11), 14, 30),
                                                   "ends_at": local(date(2027, 3, 11), 16, 0)},
                            audit.Actor.system(), now=local(date(2027, 3, 10), 15, 0))
    events.cancel_event(db.session, event.id, audit.Actor.system(), "场地检修")
    with pytest.raises(events.EventNotEditable):
        events.update_event(db.session, event.id, {"title": "新名称"}, audit.Actor.system(), now=NOW)


def test_event_reminder_rules_parse_and_describe_themselves():
    assert event_reminders.parse_rule("90m").phrase(START) == "1小时30分钟后（14:30）"
    assert event_reminders.parse_rule("3d@18:00").phrase(START) == "3天后 14:30"
    assert event_reminders.parse_rule("0d@08:00").due_at(START) == local(date(2027, 3, 10), 8, 0)


# ---- admin API and CLI ----------------------------------------------------------------------------------


@pytest.fixture
def admin_headers(client):
    admin = factories.make_staff(name="管理员", admin=True)
    return factories.make_bound_account(admin)


def test_admin_creates_an_event_with_custom_reminders_and_edits_its_time(client, admin_headers, robots):
    body = {"kind": "志愿服务", "title": "文明交通劝导", "starts_at": "2030-05-06T08:00:00",
            "ends_at": "2030-05-06T10:00:00", "location": "人民路口", "reminders": ["2h"]}
    created = client.post("/api/mp/admin/events", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    event_id = created.get_json()["id"]
    assert created.get_json()["reminders"] == ["2h"]
    assert reminders(event_id) == expected(robot_addresses(robots), local(date(2030, 5, 6), 6, 0))

    edited = client.patch(f"/api/mp/admin/events/{event_id}", headers=admin_headers,
                          json={"starts_at": "2030-05-07T08:00:00", "ends_at": "2030-05-07T10:00:00",
                                "reminders": None})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["reminders"] is None
    assert reminders(event_id) == expected(
        robot_addresses(robots), local(date(2030, 5, 6), 9, 0), local(date(2030, 5, 7), 7, 0)
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reminders": ["明天"]}, 422, "invalid_event"),
        ({"reminders": ["1m", "2m", "3m", "4m", "5m", "6m"]}, 422, None),
        ({"kind": "其他"}, 422, None),
        ({"starts_at": "2000-01-01T08:00:00"}, 422, "invalid_event"),
        ({"title": ""}, 422, None),
        ({"title": "道德\u0000讲堂"}, 422, None),
        ({"reminders": ["1d@09:00\u0000"]}, 422, None),
        ({"location": 5}, 422, None),
        ({"created_by_id": 1}, 422, None),
    ],
)
def test_admin_edit_with_bad_input_is_refused(client, admin_headers, body, status, code):
    event = factories.make_event(starts_at=local(date(2030, 5, 6), 8, 0))
    answer = client.patch(f"/api/mp/admin/events/{event.id}", json=body, headers=admin_headers)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["error"]["message"]
    if code:
        assert error_code(answer) == code


def test_editing_a_missing_or_cancelled_event_answers_404_and_409(client, admin_headers):
    assert error_code(client.patch("/api/mp/admin/events/999", json={"title": "x"}, headers=admin_headers)) == \
        "event_not_found"
    event = factories.make_event(starts_at=local(date(2030, 5, 6), 8, 0))
    events.cancel_event(db.session, event.id, audit.Actor.system(), "天气原因")
    answer = client.patch(f"/api/mp/admin/events/{event.id}", json={"title": "新名称"}, headers=admin_headers)
    assert answer.status_code == 409 and error_code(answer) == "event_not_editable"


def test_staff_cannot_edit_events(client, bound_headers):
    event = factories.make_event(starts_at=local(date(2030, 5, 6), 8, 0))
    answer = client.patch(f"/api/mp/admin/events/{event.id}", json={"title": "x"}, headers=bound_headers)
    assert answer.status_code == 403


def test_cli_creates_with_reminders_and_edits_an_event(runner, robots):
    created = runner.invoke(args=["events", "create", "--kind", "道德讲堂", "--title", "道德讲堂：敬业奉献",
                                  "--start", "2030-06-03T14:30", "--end", "2030-06-03T16:30", "--remind", "1d@16:00"])
    assert created.exit_code == 0, created.output
    event_id = int(created.output.splitlines()[0])  # the id, then a one-line summary
    assert reminders(event_id) == expected(robot_addresses(robots), local(date(2030, 6, 2), 16, 0))
    edited = runner.invoke(args=["events", "edit", str(event_id), "--location", "二楼报告厅", "--no-reminders"])
    assert edited.exit_code == 0, edited.output
    assert reminders(event_id) == []
    assert db.session.get(Event, event_id).location == "二楼报告厅"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--kind", "道德讲堂", "--title", "t", "--start", "2030-06-03T14:30", "--end", "2030-06-03T16:30",
          "--remind", "soon"], "无法识别的提醒"),
        (["edit", "1"], "活动 1 不存在"),
    ],
)
def test_cli_refuses_bad_reminders_and_missing_events(runner, app, args, message):
    result = runner.invoke(args=["events", *args])
    assert result.exit_code != 0 and message in result.output


def test_cli_edit_without_changes_is_a_usage_error(runner, app):
    event = factories.make_event(starts_at=local(date(2030, 5, 6), 8, 0))
    result = runner.invoke(args=["events", "edit", str(event.id)])
    assert result.exit_code == 2 and "请至少指定一项" in result.output
