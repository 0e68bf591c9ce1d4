"""Fault tests over HTTP against the sandbox: an outage, frequency limits, two dispatchers at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.services import outbox
from app.services.dispatcher import DispatchSettings, Dispatcher
from sandbox import Fault
from sandbox.analysis import duplicates, violations_by_target
from tests.bot_helpers import FAST_OUTBOX, sandbox_limits, settle

SCALED = dict(FAST_OUTBOX, OUTBOX_ROBOT_LIMIT=5, OUTBOX_ROBOT_WINDOW_SECONDS=0.6)


@pytest.fixture
def config_overrides():
    return dict(SCALED)


def robots(count: int) -> list[PushTarget]:
    targets = [PushTarget(name=f"群{i}", kind="robot", address=f"fault-key-{i}") for i in range(count)]
    db.session.add_all(targets)
    db.session.commit()
    return targets


def queue_many(targets: list[PushTarget], per_target: int, people: int = 0) -> int:
    for target in targets:
        for i in range(per_target):
            outbox.enqueue(db.session, dedup_key=f"n:{target.id}:{i}", channel="robot", address=str(target.id),
                           payload=outbox.text(f"{target.name}-{i}"))
    for i in range(people):
        outbox.enqueue(db.session, dedup_key=f"p:{i}", channel="app", address=f"touser:user{i}",
                       payload=outbox.text(f"个人-{i}"))
    db.session.commit()
    return len(targets) * per_target + people


def content(message: dict) -> str:
    return message["body"]["text"]["content"]


def test_sandbox_down_for_a_while_then_up_every_message_arrives_once(app, sandbox):
    total = queue_many(robots(2), per_target=4, people=3)
    sandbox.state.add_fault(Fault(kind="http_503"))
    threading.Timer(0.5, sandbox.state.clear_faults).start()
    with sandbox_limits(sandbox, robot_limit=5, robot_window=0.6):
        totals = settle(app, timeout=20)
    assert totals["retried"] >= 1 and totals["dead"] == 0
    assert len(sandbox.state.messages) == total
    assert duplicates(sandbox.state.messages, content) == 0
    assert {r.status for r in db.session.scalars(select(OutboxMessage))} == {"sent"}


def test_sandbox_answering_45009_makes_the_dispatcher_back_off_and_deliver_later(app, sandbox):
    [robot] = robots(1)
    total = queue_many([robot], per_target=3)
    sandbox.state.add_fault(Fault(kind="errcode", errcode=45009, errmsg="api freq out of limit",
                                      path="cgi-bin/webhook", count=3))
    started = time.monotonic()
    with sandbox_limits(sandbox, robot_limit=5, robot_window=0.6):
        settle(app, timeout=20)
    elapsed = time.monotonic() - started
    assert sandbox.state.rejections == {45009: 3}
    # Three refusals in a row wait base, 2×base and 4×base (±20 %): at least 0.8 × 7 × 0.05 s.
    assert elapsed >= 0.8 * 7 * SCALED["OUTBOX_RETRY_BASE_SECONDS"]
    assert [content(m) for m in sandbox.state.messages] == [f"{robot.name}-{i}" for i in range(total)]
    first = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == f"n:{robot.id}:0"))
    assert first.attempts == 4 and first.status == "sent" and first.last_error is None


def test_backoff_grows_and_is_capped():
    settings = DispatchSettings.from_config({**SCALED, "WECHAT_TIMEOUT": 2.0, "OUTBOX_THREADS": 1,
                                            "OUTBOX_MAX_ATTEMPTS": 9, "OUTBOX_APP_LIMIT": 29,
                                            "OUTBOX_APP_WINDOW_SECONDS": 60.0})
    delays = [settings.backoff(n).total_seconds() for n in range(1, 8)]
    assert delays[0] <= 0.06 and delays[2] >= 0.16
    assert max(delays) <= 0.4 * 1.2


def test_two_dispatchers_on_postgresql_send_nothing_twice(app, build_app, sandbox):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several dispatchers run at once only on PostgreSQL; SQLite runs one (see the lock test)")
    total = queue_many(robots(4), per_target=12, people=16)
    other_app = build_app(**SCALED)
    first, second = Dispatcher(app, name="first"), Dispatcher(other_app, name="second")
    with sandbox_limits(sandbox, robot_limit=5, robot_window=0.6):
        workers = [threading.Thread(target=d.run, kwargs={"once": True}) for d in (first, second)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    messages = sandbox.state.messages
    assert len(messages) == total and duplicates(messages, content) == 0
    robot_messages = [m for m in messages if m["channel"] == "robot"]
    assert violations_by_target(robot_messages, limit=5, window=0.6) == {}
    assert sandbox.state.rejections == {}
    assert first.totals["sent"] + second.totals["sent"] == total
    assert first.totals["sent"] > 0 and second.totals["sent"] > 0  # both really worked
    with other_app.app_context():
        db.engine.dispose()
