"""Rectifications: 待整改 → 已整改 (evidence by the responsible person) → 已验收 or back with a reason;
reminders before the deadline and when it passes, once; overdue ones in the weekly digest."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.services import audit, digest
from app.services.inspections import rectifications
from app.services.inspections.errors import (
    DeadlineInPast,
    EvidenceMissing,
    NotResponsible,
    RectificationWrongState,
)
from app.timeutil import local_datetime
from tests import factories
from tests.inspection_helpers import TODAY, make_inspector, make_round
from tests.wish_helpers import image_bytes


@pytest.fixture
def responsible(app):
    return factories.make_staff(name="王芳", department="财务科", wecom_userid="wangfang")


def add(found, person, deadline=date(2026, 12, 10), number: int | None = 14):
    return rectifications.add_rectification(
        db.session, found.id, requirement="整理办公室物品摆放", responsible_employee_no=person.employee_no,
        deadline=deadline, actor=audit.Actor.system(), number=number, today=TODAY)


def payloads(prefix: str) -> list[str]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix))).all()
    return [row.payload.get("text", row.payload.get("markdown", {})).get("content") for row in rows]


def test_a_deadline_in_the_past_is_refused(responsible):
    found = make_round()
    with pytest.raises(DeadlineInPast):
        add(found, responsible, deadline=date(2026, 11, 30))


def test_responsible_person_is_told_and_the_department_follows_the_person(responsible):
    found = make_round()
    rectification = add(found, responsible)
    assert rectification.department.name == "财务科" and rectification.status == "pending"
    assert "整理办公室物品摆放" in payloads(f"rectification:{rectification.id}:assigned")[0]


def test_rectification_is_done_accepted_or_returned_with_a_reason(responsible):
    found = make_round()
    inspector = make_inspector()
    rectification = add(found, responsible)
    with pytest.raises(NotResponsible):
        rectifications.submit_rectification(db.session, rectification.id, inspector, "已整改", [])
    with pytest.raises(EvidenceMissing):
        rectifications.submit_rectification(db.session, rectification.id, responsible, "", [])
    with pytest.raises(RectificationWrongState):
        rectifications.accept_rectification(db.session, rectification.id, inspector)
    done = rectifications.submit_rectification(db.session, rectification.id, responsible, "已清理",
                                               [io.BytesIO(image_bytes())])
    assert done.status == "done" and len(done.photos) == 1
    returned = rectifications.return_rectification(db.session, rectification.id, inspector, "照片看不清桌面")
    assert returned.status == "pending" and returned.returned_reason == "照片看不清桌面"
    assert any("照片看不清桌面" in text for text in payloads(f"rectification:{rectification.id}:returned"))
    rectifications.submit_rectification(db.session, rectification.id, responsible, "重新拍照", [])
    accepted = rectifications.accept_rectification(db.session, rectification.id, inspector)
    assert accepted.status == "accepted" and accepted.accepted_by_id == inspector.id


def test_reminders_go_once_before_the_deadline_and_once_when_it_passed(responsible):
    found = make_round()
    rectification = add(found, responsible, deadline=date(2026, 12, 10))
    assert rectifications.remind_rectifications(db.session, local_datetime(date(2026, 12, 6), time(9))) == 0
    assert rectifications.remind_rectifications(db.session, local_datetime(date(2026, 12, 7), time(9))) == 1
    assert rectifications.remind_rectifications(db.session, local_datetime(date(2026, 12, 8), time(9))) == 0
    assert rectifications.remind_rectifications(db.session, local_datetime(date(2026, 12, 11), time(9))) == 1
    assert rectifications.remind_rectifications(db.session, local_datetime(date(2026, 12, 11), time(15))) == 0
    assert "3 天后" in payloads(f"rectification:{rectification.id}:due-soon")[0]
    assert "已于 2026年12月10日到期" in payloads(f"rectification:{rectification.id}:overdue")[0]


def test_weekly_digest_lists_overdue_rectifications(responsible):
    db.session.add(PushTarget(name="创建群", kind="robot", address="00000000-0000-0000-0000-000000000001"))
    db.session.commit()
    found = make_round()
    add(found, responsible, deadline=date(2026, 12, 2))
    assert digest.send_weekly_digest(db.session, local_datetime(date(2026, 12, 7), time(9)))
    text = payloads("digest:")[0]
    assert "**整改逾期**：1 项" in text and "财务科 王芳：整理办公室物品摆放" in text


def test_a_responsible_person_without_wecom_is_told_through_the_admins(app):
    admin = factories.make_staff(name="管理员", admin=True, wecom_userid="admin1")
    person = factories.make_staff(name="赵强", department="办公室")
    rectification = add(make_round(), person)
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedup_key.startswith(f"rectification:{rectification.id}:assigned"))).all()
    assert [row.address for row in rows] == [f"touser:{admin.wecom_userid}"]
    assert "责任人赵强未绑定企业微信，请转告" in rows[0].payload["text"]["content"]
