"""The dispatcher against the sandbox: every channel, measured rate windows, retries, dead letters, locks."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import OutboxLease, OutboxMessage, PushTarget
from app.models.base import utcnow
from app.services import outbox
from app.services.dispatcher import Dispatcher
from sandbox import Fault
from sandbox.analysis import window_violations
from tests import factories
from tests.bot_helpers import FAST_OUTBOX, drain, sandbox_limits, settle
from tests.scheduler_helpers import wait_for


@pytest.fixture
def config_overrides():
    return dict(FAST_OUTBOX, OUTBOX_ROBOT_LIMIT=3, OUTBOX_ROBOT_WINDOW_SECONDS=0.5,
                OUTBOX_APP_LIMIT=2, OUTBOX_APP_WINDOW_SECONDS=0.5)


def add_target(name: str, address: str, kind: str = "robot", enabled: bool = True) -> PushTarget:
    target = PushTarget(name=name, kind=kind, address=address, enabled=enabled)
    db.session.add(target)
    db.session.commit()
    return target


def queue(key: str, channel: str, address: str, content: str) -> None:
    outbox.enqueue(db.session, dedup_key=key, channel=channel, address=address, payload=outbox.text(content))
    db.session.commit()


def statuses() -> dict[str, str]:
    db.session.expire_all()
    return {row.dedup_key: row.status for row in db.session.scalars(select(OutboxMessage))}


def test_dispatcher_delivers_to_robots_people_and_app_chats(app, sandbox):
    robot = add_target("一群", "key-1")
    chat = add_target("活动群", "chat-1", kind="appchat")
    queue("r", "robot", str(robot.id), "给群机器人")
    queue("p", "app", "touser:zhangwei|lina", "给两个人")
    queue("c", "appchat", str(chat.id), "给应用群聊")
    assert drain(app)["sent"] == 3
    received = {(m["channel"], m["target"]): m["body"]["text"]["content"] for m in sandbox.state.messages}
    assert received == {
        ("robot", "key-1"): "给群机器人",
        ("app", "touser:zhangwei|lina"): "给两个人",
        ("appchat", "chat-1"): "给应用群聊",
    }
    assert set(statuses().values()) == {"sent"}


def test_robot_never_gets_more_than_its_limit_in_any_rolling_window(app, sandbox):
    robot = add_target("一群", "key-1")
    for i in range(8):
        queue(f"m{i}", "robot", str(robot.id), f"第{i}条")
    started = time.monotonic()
    with sandbox_limits(sandbox, robot_limit=3, robot_window=0.5):
        drain(app)
    elapsed = time.monotonic() - started
    times = [m["received_at"] for m in sandbox.state.messages]
    assert len(times) == 8 and sandbox.state.rejections == {}
    assert window_violations(times, limit=3, window=0.5) == 0
    assert elapsed >= 1.0  # 8 messages at 3 per half second need two full windows
    assert [m["body"]["text"]["content"] for m in sandbox.state.messages] == [f"第{i}条" for i in range(8)]


def test_person_gets_app_messages_under_the_per_person_limit(app, sandbox):
    for i in range(5):
        queue(f"a{i}", "app", "touser:busy", f"提醒{i}")
    queue("other", "app", "touser:idle", "别人的")
    with sandbox_limits(sandbox, app_message_limit=2, app_message_window=0.5):
        drain(app)
    busy = [m["received_at"] for m in sandbox.state.messages if m["target"] == "touser:busy"]
    assert len(busy) == 5 and window_violations(busy, limit=2, window=0.5) == 0
    assert sandbox.state.rejections == {}


def test_permanent_failure_is_dead_and_admins_are_told_once(app, sandbox):
    factories.make_staff(name="管理员甲", admin=True, wecom_userid="admin-a")
    factories.make_staff(name="普通人", wecom_userid="member")
    robot = add_target("失效群", "key-gone")
    queue("x1", "robot", str(robot.id), "一")
    queue("x2", "robot", str(robot.id), "二")
    sandbox.state.add_fault(Fault(kind="errcode", errcode=93000, errmsg="invalid webhook url", path="cgi-bin/webhook"))
    drain(app)
    rows = {r.dedup_key: r for r in db.session.scalars(select(OutboxMessage))}
    assert rows["x1"].status == rows["x2"].status == "dead"
    assert rows["x1"].dead_at is not None and "93000" in rows["x1"].last_error
    notices = [m for m in sandbox.state.messages if m["channel"] == "app"]
    assert [m["target"] for m in notices] == ["touser:admin-a"]
    assert "失效群" in notices[0]["body"]["text"]["content"] and "93000" in notices[0]["body"]["text"]["content"]


@pytest.mark.parametrize("config_overrides", [dict(FAST_OUTBOX, OUTBOX_MAX_ATTEMPTS=3)])
def test_transient_failures_are_retried_with_growing_backoff_then_given_up(app, sandbox):
    robot = add_target("一群", "key-1")
    queue("busy", "robot", str(robot.id), "总是失败")
    sandbox.state.add_fault(Fault(kind="http_503", path="cgi-bin/webhook"))
    settle(app)
    assert sandbox.state.requests["cgi-bin/webhook/send"] == 3
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == "busy"))
    assert row.status == "dead" and row.attempts == 3 and "503" in row.last_error


def test_disabled_target_rows_are_dead_without_telling_admins(app, sandbox):
    factories.make_staff(admin=True, wecom_userid="admin-a")
    robot = add_target("停用群", "key-off", enabled=False)
    queue("off", "robot", str(robot.id), "不会发出")
    drain(app)
    assert statuses() == {"off": "dead"}
    assert sandbox.state.messages == []


def test_withdrawn_or_future_rows_are_not_sent(app, sandbox):
    robot = add_target("一群", "key-1")
    outbox.enqueue(db.session, dedup_key="later", channel="robot", address=str(robot.id),
                   payload=outbox.text("明天"), due_at=utcnow() + timedelta(days=1))
    queue("event:1:a", "robot", str(robot.id), "已撤回")
    outbox.withdraw(db.session, "event:1:")
    db.session.commit()
    drain(app)
    assert sandbox.state.messages == [] and statuses() == {"later": "pending"}


def test_rows_a_crashed_dispatcher_held_are_sent_once_its_lease_expires(app, sandbox):
    robot = add_target("一群", "key-1")
    queue("orphan", "robot", str(robot.id), "崩溃前领取的")
    db.session.add(OutboxLease(channel="robot", address=str(robot.id), holder="crashed",
                               locked_until=utcnow() + timedelta(seconds=0.6)))
    db.session.commit()
    dispatcher = Dispatcher(app)
    assert dispatcher.work_target("robot", str(robot.id)) is None
    assert sandbox.state.messages == []
    # The crashed holder's lease runs out.
    db.session.execute(update(OutboxLease).where(OutboxLease.holder == "crashed")
                       .values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    dispatcher.work_target("robot", str(robot.id))
    assert [m["body"]["text"]["content"] for m in sandbox.state.messages] == ["崩溃前领取的"]


def test_on_sqlite_a_second_dispatcher_waits_for_the_first(app, sandbox, caplog):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the single-dispatcher lock is only taken on SQLite; PostgreSQL runs several at once")
    robot = add_target("一群", "key-1")
    queue("m", "robot", str(robot.id), "等锁")
    first = Dispatcher(app, name="first")
    assert first._hold_dispatcher_lock()
    stop = threading.Event()
    second = threading.Thread(target=Dispatcher(app, name="second").run, kwargs={"once": True, "stop": stop})
    caplog.set_level(logging.INFO, logger="app.services.dispatcher")
    second.start()
    wait_for(lambda: any("holds the SQLite lock; second waits" in r.getMessage() for r in caplog.records))
    assert sandbox.state.messages == [] and second.is_alive()
    from app.services.dispatcher import _DISPATCHER_LOCK

    first._release(db.session, *_DISPATCHER_LOCK)
    second.join(timeout=5)
    assert not second.is_alive()
    assert len(sandbox.state.messages) == 1
