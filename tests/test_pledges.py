"""承诺: publish, sign once, rates against headcount, who has not signed, daily reminders, export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, OutboxMessage, PledgeSignature
from app.models.base import utcnow
from app.services import audit, pledges
from tests.selection_helpers import person
from tests.wish_helpers import error_code, race


def make_pledge(publish: bool = True, opens_in: timedelta = timedelta(hours=-1), **fields):
    now = utcnow()
    values = dict(title="诚信承诺书", body="本人承诺：诚实守信，依法办事。", work_item=18,
                  opens_at=now + opens_in, closes_at=now + opens_in + timedelta(days=7))
    values.update(fields)
    pledge = pledges.create_pledge(db.session, actor=audit.Actor.system(), **values)
    if publish:
        pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
    return pledge


@pytest.fixture
def admin_headers():
    return person("管理员", admin=True)[1]


def test_admin_publishes_a_pledge_that_staff_then_read(client, admin_headers):
    body = {"title": "文明餐桌倡议", "body": "光盘行动，从我做起。", "work_item": 8,
            "opens_at": "2026-12-01T09:00", "closes_at": "2026-12-31T17:00"}
    created = client.post("/api/mp/admin/pledges", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    pledge_id = created.get_json()["id"]
    _, headers = person()
    assert client.get(f"/api/mp/pledges/{pledge_id}", headers=headers).status_code == 404
    assert client.post(f"/api/mp/admin/pledges/{pledge_id}/publish", headers=admin_headers).status_code == 200
    detail = client.get(f"/api/mp/pledges/{pledge_id}", headers=headers).get_json()
    assert detail["pledge"]["body"] == "光盘行动，从我做起。" and detail["my_signature"] is None


def test_pledge_closing_before_it_opens_is_refused(client, admin_headers):
    body = {"title": "承诺", "body": "内容", "opens_at": "2026-12-31T09:00", "closes_at": "2026-12-01T17:00"}
    response = client.post("/api/mp/admin/pledges", json=body, headers=admin_headers)
    assert response.status_code == 422 and error_code(response) == "invalid_pledge"
    assert "截止时间应晚于开始时间" in response.get_json()["error"]["message"]


def test_signing_twice_answers_the_first_signature(client):
    pledge = make_pledge()
    staff, headers = person("周签")
    first = client.post(f"/api/mp/pledges/{pledge.id}/sign", headers=headers)
    assert first.status_code == 201 and first.get_json()["signed_name"] == "周签"
    again = client.post(f"/api/mp/pledges/{pledge.id}/sign", headers=headers)
    assert again.status_code == 200 and again.get_json()["signed_at"] == first.get_json()["signed_at"]
    mine = client.get("/api/mp/me/pledges", headers=headers).get_json()
    assert mine["meta"]["total"] == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "pledge.sign")) == 1


def test_concurrent_signatures_of_one_person_store_one(app):
    pledge = make_pledge()
    staff, headers = person()
    responses = race(app, [lambda c: c.post(f"/api/mp/pledges/{pledge.id}/sign", headers=headers)] * 6)
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert db.session.scalar(select(func.count()).select_from(PledgeSignature)) == 1


def test_signing_outside_the_window_is_refused(client):
    pledge = make_pledge(opens_in=timedelta(days=1))
    _, headers = person()
    response = client.post(f"/api/mp/pledges/{pledge.id}/sign", headers=headers)
    assert response.status_code == 409 and error_code(response) == "pledge_not_open"
    assert "签署时间为" in response.get_json()["error"]["message"]


def test_rates_per_department_count_active_people_only(client, admin_headers):
    pledge = make_pledge()
    signers = [person(department="财务科") for _ in range(2)]
    person(department="财务科")
    person(department="财务科")
    left, left_headers = person(department="财务科")
    for _, headers in signers + [(left, left_headers)]:
        client.post(f"/api/mp/pledges/{pledge.id}/sign", headers=headers)
    left.active = False
    db.session.commit()
    rates = client.get(f"/api/mp/admin/pledges/{pledge.id}/rates", headers=admin_headers).get_json()["items"]
    finance = next(rate for rate in rates if rate["department"] == "财务科")
    assert (finance["signed"], finance["headcount"], finance["rate"]) == (2, 4, 0.5)
    unsigned = client.get(f"/api/mp/admin/pledges/{pledge.id}/unsigned?department_id={finance['department_id']}",
                          headers=admin_headers).get_json()
    assert unsigned["meta"]["total"] == 2


def test_rates_and_unsigned_list_are_for_admins_only(client):
    pledge = make_pledge()
    _, headers = person()
    for url in (f"/api/mp/admin/pledges/{pledge.id}/rates", f"/api/mp/admin/pledges/{pledge.id}/unsigned"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403 and error_code(response) == "admin_required"


def test_reminder_goes_to_those_who_have_not_signed_at_most_once_a_day(client, admin_headers):
    pledge = make_pledge()
    signed, signed_headers = person(wecom=True)
    not_yet, _ = person(wecom=True)
    client.post(f"/api/mp/pledges/{pledge.id}/sign", headers=signed_headers)
    first = client.post(f"/api/mp/admin/pledges/{pledge.id}/remind", headers=admin_headers)
    assert first.status_code == 200
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"pledge:{pledge.id}:remind:%"))).all()
    assert [row.address for row in rows] == [f"touser:{not_yet.wecom_userid}"]
    assert "诚信承诺书" in rows[0].payload["text"]["content"]
    again = client.post(f"/api/mp/admin/pledges/{pledge.id}/remind", headers=admin_headers)
    assert again.get_json()["queued"] == 0


def test_signed_list_exports_to_xlsx(app, tmp_path):
    pledge = make_pledge()
    staff, _ = person("吴签")
    pledges.sign_pledge(db.session, pledge.id, staff)
    path = tmp_path / "签署.xlsx"
    assert pledges.export_signatures(db.session, pledge.id, path) == 1
    sheet = load_workbook(path).active
    assert sheet["B3"].value == "吴签"


def test_withdrawn_pledge_disappears_for_staff(client, admin_headers):
    pledge = make_pledge()
    _, headers = person()
    response = client.post(f"/api/mp/admin/pledges/{pledge.id}/withdraw", json={"reason": "内容有误"}, headers=admin_headers)
    assert response.status_code == 200
    assert client.get(f"/api/mp/pledges/{pledge.id}", headers=headers).status_code == 404
    assert client.get("/api/mp/pledges", headers=headers).get_json()["items"] == []
