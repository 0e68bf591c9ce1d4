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
