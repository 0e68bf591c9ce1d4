"""Failed sends end well: secrets never reach stored errors or notices, and any failure, expected or
not, goes through back-off and ends dead instead of blocking its target."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.services import outbox
from app.services.dispatcher import DEAD_NOTICE_PREFIX
from sandbox import Fault
from tests import factories
from tests.bot_helpers import FAST_OUTBOX, settle
from tests.conftest import WECOM_SECRET

ROBOT_KEY = "robot-key-that-must-stay-secret"
CLOSED_PORT = 9811  # in this suite's port range; nothing listens there


def queue_robot_message(address: str = ROBOT_KEY) -> PushTarget:
    robot = PushTarget(name="机关一支部", kind="robot", address=address)
    db.session.add(robot)
    db.session.commit()
    outbox.enqueue(db.session, dedup_key="n:1", channel="robot", address=str(robot.id), payload=outbox.text("通知"))
    db.session.commit()
    return robot


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize(
    "config_overrides",
    [dict(FAST_OUTBOX, OUTBOX_MAX_ATTEMPTS=2, WECHAT_API_BASE=f"http://127.0.0.1:{CLOSED_PORT}")],
)
def test_unreachable_robot_dies_without_its_key_in_errors_notices_or_logs(app, runner, caplog):
    factories.make_staff(name="张伟", employee_no="A0001", admin=True, wecom_userid="zhangwei")
    queue_robot_message()
    with caplog.at_level(logging.INFO):
        totals = settle(app, timeout=20)
    assert totals["dead"] >= 1
    robot_row, notice = rows()
    assert robot_row.status == "dead" and robot_row.attempts == 2
    assert "ConnectionError" in robot_row.last_error and "key=***" in robot_row.last_error
    assert notice.dedup_key.startswith(DEAD_NOTICE_PREFIX)
    notice_text = notice.payload["text"]["content"]
    assert "推送失败" in notice_text
    status = runner.invoke(args=["outbox", "status"]).output
    for text in [robot_row.last_error, notice.last_error or "", notice_text, caplog.text, status]:
        assert ROBOT_KEY not in text
        assert WECOM_SECRET not in text


def queue(target: str, count: int, channel: str = "robot") -> None:
    for i in range(count):
        outbox.enqueue(db.session, dedup_key=f"m:{i}", channel=channel, address=target,
                       payload=outbox.text(f"消息{i}"))
    db.session.commit()


def delivered(sandbox) -> list[str]:
    return [m["body"]["text"]["content"] for m in sandbox.state.messages]


RETRYING = dict(FAST_OUTBOX, OUTBOX_MAX_ATTEMPTS=3)


@pytest.mark.parametrize("config_overrides", [RETRYING])
def test_robot_answering_a_json_array_is_retried_and_then_sent(app, sandbox):
    """Issue 10 item 6: a malformed answer is a transient failure (it was given up after one attempt)."""
    robot = queue_robot_message("array-key")
    queue(str(robot.id), 1)
    sandbox.state.add_fault(Fault(kind="body", body="[]", status=200, path="cgi-bin/webhook", count=1))
    totals = settle(app, timeout=10)
    first, second = rows()
    assert totals["retried"] == 1 and totals["dead"] == 0
    assert first.status == "sent" and first.attempts == 2
    assert second.status == "sent"
    assert delivered(sandbox) == ["通知", "消息0"]


@pytest.mark.parametrize("config_overrides", [RETRYING])
def test_robot_answering_json_arrays_every_time_is_given_up_and_the_next_message_goes_through(app, sandbox):
    robot = queue_robot_message("array-key")
    queue(str(robot.id), 1)
    sandbox.state.add_fault(Fault(kind="body", body="[]", status=200, path="cgi-bin/webhook", count=3))
    settle(app, timeout=10)
    first, second = rows()
    assert first.status == "dead" and first.attempts == 3 and "JSON" in first.last_error
    assert second.status == "sent"
    assert delivered(sandbox) == ["消息0"]


@pytest.mark.parametrize("config_overrides", [RETRYING])
def test_malformed_errcode_is_retried_with_back_off_then_dead_and_admins_told(app, sandbox, caplog):
    factories.make_staff(name="张伟", employee_no="A0001", admin=True, wecom_userid="zhangwei")
    robot = queue_robot_message("odd-errcode-key")
    queue(str(robot.id), 1)
    sandbox.state.add_fault(Fault(kind="body", body='{"errcode": "busy"}', path="cgi-bin/webhook", count=3))
    with caplog.at_level(logging.WARNING):
        totals = settle(app, timeout=10)
    assert totals["retried"] == 2 and totals["dead"] == 1
    first, second, notice = rows()
    assert first.status == "dead" and first.attempts == 3 and "errcode 不是数字" in first.last_error
    assert second.status == "sent" and delivered(sandbox)[0] == "消息0"
    assert notice.dedup_key.startswith(DEAD_NOTICE_PREFIX) and notice.status == "sent"
    assert any("outbox row" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("config_overrides", [RETRYING])
@pytest.mark.parametrize("body", ["<html>网关</html>", "[]"], ids=["not-json", "array"])
def test_app_message_answered_with_a_200_that_is_not_an_object_is_not_marked_sent(app, sandbox, body):
    queue("touser:zhangwei", 1, channel="app")
    sandbox.state.add_fault(Fault(kind="body", body=body, status=200, path="cgi-bin/message/send", count=3))
    totals = settle(app, timeout=10)
    [row] = rows()
    assert totals["retried"] == 2  # malformed answers are retried like an outage
    assert row.status == "dead" and row.sent_at is None and row.attempts == 3
    assert delivered(sandbox) == []
