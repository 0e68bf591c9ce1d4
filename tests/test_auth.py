"""Mini-program login, binding and the profile, through the sandbox over HTTP."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiSession, AuditLog, MiniProgramAccount
from app.models.base import utcnow
from app.services.auth import hash_token
from sandbox import Fault
from tests import factories


def error_code(response) -> str:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]["code"]


def test_staff_logs_in_binds_and_reads_profile(client, staff, sandbox):
    response = client.post("/api/mp/login", json={"code": "test:openid-alice"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["bound"] is False and body["staff"] is None
    assert body["token_type"] == "Bearer"
    assert "session_key" not in response.get_data(as_text=True)
    assert "openid-alice" not in response.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {body['token']}"}

    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["staff"]["employee_no"] == "T1001"

    response = client.get("/api/mp/me", headers=headers)
    assert response.status_code == 200
    me = response.get_json()
    assert me["bound"] is True
    assert me["staff"]["name"] == "李明"
    assert me["staff"]["department"]["name"] == "办公室"
    assert sandbox.state.requests["sns/jscode2session"] == 1


def test_token_is_random_hashed_and_expiring(client, app):
    token = client.post("/api/mp/login", json={"code": "test:o1"}).get_json()["token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    stored = db.session.scalar(select(ApiSession))
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    ttl = stored.expires_at - utcnow()
    assert timedelta(hours=app.config["MP_TOKEN_TTL_HOURS"] - 1) < ttl <= timedelta(hours=app.config["MP_TOKEN_TTL_HOURS"])
    account = db.session.scalar(select(MiniProgramAccount))
    assert account.openid == "o1" and account.session_key


def test_second_login_reuses_the_account_and_issues_a_new_token(client):
    first = client.post("/api/mp/login", json={"code": "test:o2"}).get_json()["token"]
    second = client.post("/api/mp/login", json={"code": "test:o2"}).get_json()["token"]
    assert first != second
    assert len(db.session.scalars(select(MiniProgramAccount)).all()) == 1


def test_invalid_code_gets_400_invalid_login_code(client):
    response = client.post("/api/mp/login", json={"code": "forged-openid"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_login_code"
    assert db.session.scalar(select(MiniProgramAccount)) is None


def test_wechat_down_gets_503_wechat_unavailable(client, sandbox):
    sandbox.state.add_fault(Fault(kind="http_503", path="sns/jscode2session"))
    response = client.post("/api/mp/login", json={"code": "test:o3"})
    assert response.status_code == 503
    assert error_code(response) == "wechat_unavailable"


def test_wechat_timeout_gets_503(client, sandbox, app):
    app.config["WECHAT_TIMEOUT"] = 0.3
    app.extensions["wechat"].clear()
    sandbox.state.add_fault(Fault(kind="timeout", path="sns/jscode2session", delay=1.0))
    response = client.post("/api/mp/login", json={"code": "test:o4"})
    assert response.status_code == 503
    assert error_code(response) == "wechat_unavailable"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "code"), ({"code": ""}, "code"), ({"code": 123}, "code"), ({"code": "test:x", "openid": "x"}, "openid")],
)
def test_login_with_bad_body_gets_422(client, payload, field):
    response = client.post("/api/mp/login", json=payload)
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert field in response.get_json()["error"]["fields"]


def test_login_with_malformed_json_gets_400(client):
    response = client.post("/api/mp/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


def test_login_with_a_json_array_gets_422(client):
    response = client.post("/api/mp/login", json=["test:x"])
    assert response.status_code == 422
    assert error_code(response) == "validation_error"


def test_login_with_form_body_gets_415(client):
    response = client.post("/api/mp/login", data="code=test:x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer    "])
def test_me_without_a_token_gets_401_auth_required(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/mp/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "auth_required"


def test_me_with_an_unknown_token_gets_401_invalid_token(client):
    response = client.get("/api/mp/me", headers={"Authorization": "Bearer not-a-real-token"})
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_expired_token_gets_401_invalid_token(client, login):
    headers = login("o-exp")
    api_session = db.session.scalar(select(ApiSession))
    api_session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/mp/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_logout_revokes_the_token(client, login):
    headers = login("o-out")
    assert client.post("/api/mp/logout", headers=headers).status_code == 204
    response = client.get("/api/mp/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


@pytest.mark.parametrize(
    "details",
    [{"name": "李明", "employee_no": "NOPE"}, {"name": "王明", "employee_no": "T1001"}],
    ids=["unknown-employee-no", "wrong-name"],
)
def test_bind_with_details_that_do_not_match_gets_422_bind_not_matched(client, login, staff, details):
    response = client.post("/api/mp/bind", json=details, headers=login())
    assert response.status_code == 422
    assert error_code(response) == "bind_not_matched"
    assert db.session.scalar(select(MiniProgramAccount)).staff_id is None


def test_bind_staff_bound_elsewhere_gets_the_same_422_as_an_unknown_employee(client, login, staff, bound_headers):
    """Issue 10 item 3: the refusals must not tell which 工号 exist and who already has an account."""
    taken = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=login("other"))
    unknown = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "NOPE"}, headers=login("third"))
    assert taken.status_code == unknown.status_code == 422
    assert taken.get_json() == unknown.get_json()
    assert error_code(taken) == "bind_not_matched"


def test_bind_account_already_bound_to_someone_else_gets_409(client, bound_headers):
    factories.make_staff(name="赵六", employee_no="T2002")
    response = client.post("/api/mp/bind", json={"name": "赵六", "employee_no": "T2002"}, headers=bound_headers)
    assert response.status_code == 409
    assert error_code(response) == "account_already_bound"


def test_binding_again_to_the_same_staff_is_idempotent(client, bound_headers):
    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=bound_headers)
    assert response.status_code == 200


def test_bind_is_audit_logged(client, bound_headers, staff):
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.bind"))
    assert entry.entity_id == str(staff.id) and entry.actor_type == "account"


def test_bind_requires_a_token(client, staff):
    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"})
    assert response.status_code == 401


def test_bind_with_missing_fields_gets_422(client, login):
    response = client.post("/api/mp/bind", json={"name": "李明"}, headers=login())
    assert response.status_code == 422
    assert "employee_no" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("config_overrides", [{"BIND_RATE_LIMIT_PER_TARGET": "100/hour"}])
def test_concurrent_binds_of_one_staff_member_have_one_winner(app, staff):
    clients = [app.test_client() for _ in range(8)]
    tokens = [
        c.post("/api/mp/login", json={"code": f"test:race-{i}"}).get_json()["token"] for i, c in enumerate(clients)
    ]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def bind(c, token):
        with app.app_context():
            barrier.wait()
            response = c.post(
                "/api/mp/bind",
                json={"name": "李明", "employee_no": "T1001"},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=bind, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [422] * 7  # the losers hear "not matched", like anyone else
    bound = db.session.scalars(select(MiniProgramAccount).where(MiniProgramAccount.staff_id == staff.id)).all()
    assert len(bound) == 1


@pytest.mark.parametrize("config_overrides", [{"LOGIN_RATE_LIMIT_PER_ACCOUNT": "3/minute"}])
def test_fourth_login_of_one_account_in_a_minute_gets_429(client):
    for _ in range(3):
        assert client.post("/api/mp/login", json={"code": "test:busy"}).status_code == 200
    response = client.post("/api/mp/login", json={"code": "test:busy"})
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    # Another person behind the same address is not affected.
    assert client.post("/api/mp/login", json={"code": "test:calm"}).status_code == 200


@pytest.mark.parametrize("config_overrides", [{"LOGIN_RATE_LIMIT_PER_ADDRESS": "5/minute"}])
def test_address_limit_answers_429_json(client):
    statuses = [client.post("/api/mp/login", json={"code": f"test:n{i}"}).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]


def test_a_whole_office_behind_one_nat_gets_in(client):
    """Three hundred people logging in from one address within a minute all succeed by default."""
    statuses = [client.post("/api/mp/login", json={"code": f"test:office-{i}"}).status_code for i in range(300)]
    assert statuses.count(200) == 300


# ---- security events (issue 10 item 10) ---------------------------------------------------------------


def security_events(caplog, event: str) -> list[dict]:
    return [r.security for r in caplog.records if r.name == "wenming.security" and r.security["event"] == event]


def test_a_refused_token_is_a_security_event_without_the_token(client, caplog):
    token = "not-a-real-token-but-secret-looking"
    with caplog.at_level(logging.WARNING, logger="wenming.security"):
        client.get("/api/mp/me", headers={"Authorization": f"Bearer {token}"})
    [event] = security_events(caplog, "token.refused")
    assert event["reason"] == "unknown" and event["address"] == "127.0.0.1" and event["path"] == "/api/mp/me"
    assert event["token"] == hash_token(token)[:12]
    assert token not in caplog.text
    assert security_events(caplog, "access.refused") == []  # not logged twice


def test_an_expired_token_is_logged_with_its_account(client, login, caplog):
    headers = login("o-exp-log")
    api_session = db.session.scalar(select(ApiSession))
    api_session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="wenming.security"):
        client.get("/api/mp/me", headers=headers)
    [event] = security_events(caplog, "token.refused")
    assert event["reason"] == "expired" and event["account"] == api_session.account_id


def test_authorization_refusals_are_security_events_with_who_what_and_where(client, login, bound_headers, staff, caplog):
    with caplog.at_level(logging.WARNING, logger="wenming.security"):
        assert client.get("/api/mp/bind/requests", headers=bound_headers).status_code == 403
        assert client.get("/api/mp/me/wishes", headers=login("unbound")).status_code == 403
        assert client.get("/api/mp/me").status_code == 401
    admin, unbound, anonymous = security_events(caplog, "access.refused")
    assert admin["code"] == "admin_required" and admin["staff"] == staff.id and admin["path"] == "/api/mp/bind/requests"
    assert unbound["code"] == "not_bound" and unbound["account"] and "staff" not in unbound
    assert anonymous["code"] == "auth_required" and anonymous["status"] == 401 and "account" not in anonymous
    assert all(event["address"] == "127.0.0.1" for event in (admin, unbound, anonymous))
    assert bound_headers["Authorization"].split()[1] not in caplog.text
