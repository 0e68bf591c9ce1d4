"""推送 in the console: targets with masked addresses, test sends through the outbox, requeue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.services import outbox
from tests.console_helpers import count_queries, csrf_token, person, sign_in

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-secret-5678-wxyz"


@pytest.fixture
def cast(app):
    return {"admin": person("admin"), "leader": person("leader"), "liaison": person("liaison")}


@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("leader", 200), ("liaison", 403)])
def test_push_page_for_each_role(client, cast, role, expected):
    sign_in(client, cast[role])
    assert client.get("/console/push").status_code == expected


def test_admin_adds_a_robot_whose_key_is_never_shown(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/push")
    response = client.post("/console/push/targets", data={"csrf_token": token, "name": "一支部群", "kind": "robot", "address": WEBHOOK})
    assert response.status_code == 302
    target = db.session.scalars(select(PushTarget)).one()
    assert target.address == "abcd-1234-secret-5678-wxyz"
    page = client.get("/console/push").get_data(as_text=True)
    assert "一支部群" in page and "secret" not in page and target.masked_address in page
    again = client.post("/console/push/targets", data={"csrf_token": token, "name": "重复", "kind": "robot", "address": WEBHOOK})
    assert again.status_code == 400 and "该推送目标已存在" in again.get_data(as_text=True)
    bad = client.post("/console/push/targets", data={"csrf_token": token, "name": "", "kind": "robot", "address": "https://x/y"})
    assert bad.status_code == 400 and "请填写名称" in bad.get_data(as_text=True)


def test_test_send_is_queued_not_sent_from_the_request(client, cast, sandbox):
    target = PushTarget(name="群", kind="robot", address="key-1")
    db.session.add(target)
    db.session.commit()
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/push")
    client.post(f"/console/push/targets/{target.id}/test", data={"csrf_token": token})
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "pending")) == 1
    assert sandbox.state.messages == []
    client.post(f"/console/push/targets/{target.id}/disable", data={"csrf_token": token})
    refused = client.post(f"/console/push/targets/{target.id}/test", data={"csrf_token": token}, follow_redirects=True)
    assert "已停用" in refused.get_data(as_text=True)


def test_admin_requeues_given_up_messages_and_leader_cannot(client, cast):
    outbox.enqueue(db.session, dedup_key="k1", channel="robot", address="9", payload=outbox.text("你好"))
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage)).one()
    row.status, row.last_error = "dead", "错误码 93000：invalid webhook url"
    db.session.commit()
    sign_in(client, cast["leader"])
    token = csrf_token(client, "/console/push")
    assert "invalid webhook url" in client.get("/console/push").get_data(as_text=True)
    assert client.post("/console/push/outbox/requeue", data={"csrf_token": token}).status_code == 403
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/push")
    assert client.post("/console/push/outbox/requeue", data={"csrf_token": token, "message_id": "abc"}, follow_redirects=True).status_code == 200
    client.post("/console/push/outbox/requeue", data={"csrf_token": token, "message_id": str(row.id)})
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).status == "pending"


def test_push_page_runs_bounded_queries(client, cast):
    sign_in(client, cast["admin"])

    def measure() -> int:
        db.session.remove()
        with count_queries() as statements:
            assert client.get("/console/push").status_code == 200
        return len(statements)

    small = measure()
    for number in range(30):
        db.session.add(PushTarget(name=f"群{number}", kind="robot", address=f"key-{number}"))
        outbox.enqueue(db.session, dedup_key=f"m{number}", channel="robot", address=str(number + 1), payload=outbox.text("x"))
    db.session.commit()
    assert measure() == small <= 10
