"""Items behind: the responsible person is reminded 30 days before the half-year ends (once), and
the weekly digest lists the items behind."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import audit, digest
from app.services.ledger import plan, reminders
from tests import factories
from tests.ledger_helpers import add_document, held_event, image_png, init_plan
from tests.scheduler_helpers import local, make_robots


def app_messages() -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("ledger-behind:%"))).all()
    return {row.dedup_key: row.payload["text"]["content"] for row in rows}


@pytest.fixture
def owner(app):
    init_plan(2026)
    person = factories.make_staff(name="王主任", employee_no="E7001", wecom_userid="wangzr")
    plan.update_item(db.session, 2026, 6, audit.Actor.system(), owner_employee_no="E7001")
    factories.make_staff(name="管理员", admin=True, wecom_userid="admin1")
    return person


def test_owner_of_an_item_behind_is_reminded_once_on_1_december(owner):
    assert reminders.remind_items_behind(db.session, local(date(2026, 11, 30))) == 0
    assert app_messages() == {}
    count = reminders.remind_items_behind(db.session, local(date(2026, 12, 1)))
    messages = app_messages()
    assert count == len({key.rsplit(":user:", 1)[0] for key in messages}) == 18
    text = messages["ledger-behind:2026-H2:item:6:user:wangzr"]
    assert "【创建台账提醒】第 6 项“认真开展道德讲堂活动”下半年进度：未开展。缺少：下半年道德讲堂。请在 12月31日前补齐。" == text
    assert "该项尚未指定责任人" in messages["ledger-behind:2026-H2:item:15:user:admin1"]
    assert reminders.remind_items_behind(db.session, local(date(2026, 12, 3))) == 0
    assert len(app_messages()) == len(messages)


def test_item_on_track_is_not_reminded_and_a_missed_day_is_caught_up(owner):
    lecture = held_event("道德讲堂", date(2026, 10, 15))
    add_document(2026, 6, "照片", image_png(), "讲堂.png", event_id=lecture.id)
    assert reminders.remind_items_behind(db.session, local(date(2026, 12, 6))) == 17
    assert not any(":item:6:" in key for key in app_messages())
    assert reminders.remind_items_behind(db.session, local(date(2026, 12, 8))) == 0  # grace over


def test_first_half_reminder_falls_on_31_may(owner):
    assert reminders.reminder_day(2026, 1) == date(2026, 5, 31)
    assert reminders.remind_items_behind(db.session, local(date(2026, 5, 31))) > 0
    assert "ledger-behind:2026-H1:item:6:user:wangzr" in app_messages()


def test_weekly_digest_lists_the_items_behind(owner):
    make_robots(1)
    key = digest.send_weekly_digest(db.session, local(date(2026, 11, 30), hour=8))
    content = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"{key}:%"))).first()
    text = content.payload["markdown"]["content"]
    assert "**创建台账**：下半年尚有 18 项未达标" in text
    assert "> 6. 认真开展道德讲堂活动（未开展）缺少：下半年道德讲堂" in text
    assert "等 18 项" in text


def test_digest_without_a_plan_has_no_ledger_section(app):
    assert digest.ledger_lines(db.session, date(2026, 11, 30)) == []


def test_owner_without_wecom_is_reported_to_the_admins(owner):
    factories.make_staff(name="赵科长", employee_no="E7002")
    plan.update_item(db.session, 2026, 15, audit.Actor.system(), owner_employee_no="E7002")
    reminders.remind_items_behind(db.session, local(date(2026, 12, 1)))
    text = app_messages()["ledger-behind:2026-H2:item:15:user:admin1"]
    assert text.endswith("（责任人赵科长未绑定企业微信，请转告）")
