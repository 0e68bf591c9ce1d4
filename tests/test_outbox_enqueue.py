"""Queueing pushes: de-duplicated, fanned out per robot and per person, withdrawable while pending."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.models.messaging import STATUS_SENT
from app.services import outbox
from tests import factories


def keys() -> list[str]:
    return sorted(db.session.scalars(select(OutboxMessage.dedup_key)))


def test_the_same_key_is_queued_once(app):
    assert outbox.enqueue(db.session, dedup_key="k", channel="app", address="touser:a", payload=outbox.text("一"))
    assert not outbox.enqueue(db.session, dedup_key="k", channel="app", address="touser:a", payload=outbox.text("二"))
    db.session.commit()
    [row] = db.session.scalars(select(OutboxMessage))
    assert row.payload == {"msgtype": "text", "text": {"content": "一"}}


def test_groups_get_one_row_per_enabled_robot(app):
    db.session.add_all([
        PushTarget(name="一群", kind="robot", address="key-one"),
        PushTarget(name="二群", kind="robot", address="key-two"),
        PushTarget(name="停用", kind="robot", address="key-off", enabled=False),
    ])
    db.session.commit()
    assert outbox.enqueue_to_groups(db.session, "notice:1", outbox.markdown("**通知**")) == 2
    assert outbox.enqueue_to_groups(db.session, "notice:1", outbox.markdown("**通知**")) == 0
    db.session.commit()
    assert len(keys()) == 2 and all(k.startswith("notice:1:robot:") for k in keys())


def test_people_without_wecom_accounts_are_skipped(app):
    people = [factories.make_staff(wecom_userid="zhang"), factories.make_staff(wecom_userid=None)]
    assert outbox.enqueue_to_staff(db.session, "remind:9", people, outbox.text("提醒")) == 1
    db.session.commit()
    assert keys() == ["remind:9:user:zhang"]
    assert db.session.scalar(select(OutboxMessage)).address == "touser:zhang"


def test_withdraw_removes_only_pending_rows_with_the_prefix(app):
    for key in ("event:1:a", "event:1:b", "event:10:a", "event_1:x"):
        outbox.enqueue(db.session, dedup_key=key, channel="app", address="touser:a", payload=outbox.text("x"))
    db.session.commit()
    sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == "event:1:b"))
    sent.status = STATUS_SENT
    db.session.commit()
    assert outbox.withdraw(db.session, "event:1:") == 1
    db.session.commit()
    assert keys() == sorted(["event:1:b", "event:10:a", "event_1:x"])


def test_masked_webhook_key_hides_the_middle(app):
    target = PushTarget(name="群", kind="robot", address="693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
    assert target.masked_address.startswith("693a") and target.masked_address.endswith("5aaa")
    assert "7xxx" not in target.masked_address
