"""Binding by the phone number WeChat verifies, the name + 工号 fallback (open, approval, off), one
refusal for every mismatch, and limits per account, address and target (issue 10 item 3)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, BindRequest, MiniProgramAccount
from sandbox import Fault
from tests import factories

PHONE = "13912345678"


def error_code(response) -> str:
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["code"]


@pytest.fixture
def person(app):
    staff = factories.make_staff(name="李明", employee_no="T1001")
    staff.phone = PHONE
    db.session.commit()
    return staff


@pytest.fixture
def admin_headers(client, login):
    admin = factories.make_staff(name="管理员", employee_no="A0001", admin=True)
    admin.phone = "13700000001"
    db.session.commit()
    headers = login("openid-admin")
    response = bind_phone(client, headers, "phone:13700000001")
    assert response.status_code == 200, response.get_json()
    return headers


def bind_phone(client, headers, code: str):
    return client.post("/api/mp/bind/phone", json={"code": code}, headers=headers)


def test_signed_in_person_reads_the_bind_options(client, login):
    response = client.get("/api/mp/bind/options", headers=login())
    assert response.status_code == 200
    assert response.get_json() == {"phone": True, "name": "open"}
    assert client.get("/api/mp/bind/options").status_code == 401


@pytest.mark.parametrize("config_overrides", [{"BIND_BY_PHONE": False, "BIND_BY_NAME": "approval"}])
def test_bind_options_follow_the_settings(client, login):
    assert client.get("/api/mp/bind/options", headers=login()).get_json() == {"phone": False, "name": "approval"}


def test_person_binds_by_the_phone_number_wechat_verified(client, login, person, sandbox):
    headers = login()
    response = bind_phone(client, headers, f"phone:{PHONE}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["bound"] is True and body["status"] == "bound" and body["staff"]["employee_no"] == "T1001"
    assert PHONE not in response.get_data(as_text=True)
    me = client.get("/api/mp/me", headers=headers)
    assert me.get_json()["bound"] is True and PHONE not in me.get_data(as_text=True)
    assert sandbox.state.requests["wxa/business/getuserphonenumber"] == 1
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.bind"))
    assert entry.entity_id == str(person.id) and entry.detail["method"] == "phone"


def test_a_verified_number_with_the_country_code_matches_the_roster(client, login, person):
    assert bind_phone(client, login(), f"phone:+86 {PHONE}").status_code == 200


def test_a_number_wechat_verified_abroad_does_not_match(client, login, person):
    response = bind_phone(client, login(), f"phone:+852 {PHONE}")
    assert response.status_code == 422 and error_code(response) == "bind_not_matched"


def test_a_phone_number_not_on_the_roster_gets_the_same_refusal_as_wrong_details(client, login, person):
    by_phone = bind_phone(client, login("a"), "phone:13800000000")
    by_name = client.post("/api/mp/bind", json={"name": "王明", "employee_no": "T1001"}, headers=login("b"))
    assert by_phone.status_code == by_name.status_code == 422
    assert by_phone.get_json() == by_name.get_json()
    assert error_code(by_phone) == "bind_not_matched"


def test_the_phone_of_someone_bound_elsewhere_gets_the_same_refusal(client, login, person):
    assert bind_phone(client, login("first"), f"phone:{PHONE}").status_code == 200
    response = bind_phone(client, login("second"), f"phone:+86 {PHONE}")  # a fresh code for the same number
    assert response.status_code == 422 and error_code(response) == "bind_not_matched"


def test_two_roster_entries_with_one_phone_are_refused(client, login, person):
    other = factories.make_staff(name="李明", employee_no="T1002")
    other.phone = PHONE
    db.session.commit()
    response = bind_phone(client, login(), f"phone:{PHONE}")
    assert response.status_code == 422 and error_code(response) == "bind_not_matched"


@pytest.mark.parametrize("code", ["forged", f"phone:{PHONE}x"])
def test_an_invalid_phone_code_gets_400(client, login, person, code):
    response = bind_phone(client, login(), code)
    assert response.status_code == 400 and error_code(response) == "invalid_phone_code"


def test_a_phone_code_is_single_use(client, login, person):
    headers = login()
    assert bind_phone(client, headers, f"phone:{PHONE}").status_code == 200
    response = bind_phone(client, login("thief"), f"phone:{PHONE}")
    assert response.status_code == 400 and error_code(response) == "invalid_phone_code"


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="errcode", path="wxa/business/getuserphonenumber", errcode=-1, errmsg="system error", count=1),
        Fault(kind="errcode", path="wxa/business/getuserphonenumber", errcode=40013, errmsg="invalid appid", count=1),
        Fault(kind="body", path="wxa/business/getuserphonenumber", body='{"errcode": 0, "phone_info": []}', count=1),
        Fault(kind="body", path="wxa/business/getuserphonenumber",
              body='{"errcode": 0, "phone_info": {"purePhoneNumber": 139, "countryCode": "86"}}', count=1),
        Fault(kind="body", path="wxa/business/getuserphonenumber", body="<html></html>", count=1),
    ],
    ids=["busy", "invalid-appid", "array", "number-not-a-string", "html"],
)
def test_wechat_failing_or_answering_nonsense_gets_503(client, login, person, sandbox, fault):
    headers = login()
    sandbox.state.add_fault(fault)
    response = bind_phone(client, headers, f"phone:{PHONE}")
    assert response.status_code == 503 and error_code(response) == "wechat_unavailable"
    assert db.session.scalar(select(MiniProgramAccount)).staff_id is None


def test_a_watermark_for_another_app_is_refused(client, login, person, sandbox):
    body = ('{"errcode": 0, "errmsg": "ok", "phone_info": {"phoneNumber": "%s", "purePhoneNumber": "%s", '
            '"countryCode": "86", "watermark": {"timestamp": 1, "appid": "wx-someone-else"}}}') % (PHONE, PHONE)
    headers = login()
    sandbox.state.add_fault(Fault(kind="body", path="wxa/business/getuserphonenumber", body=body, count=1))
    assert bind_phone(client, headers, f"phone:{PHONE}").status_code == 503


@pytest.mark.parametrize("config_overrides", [{"BIND_BY_PHONE": False}])
def test_phone_binding_switched_off_gets_403(client, login, person, sandbox):
    response = bind_phone(client, login(), f"phone:{PHONE}")
    assert response.status_code == 403 and error_code(response) == "bind_method_disabled"
    assert sandbox.state.requests.get("wxa/business/getuserphonenumber", 0) == 0


@pytest.mark.parametrize("config_overrides", [{"BIND_BY_NAME": "off"}])
def test_name_binding_switched_off_gets_403_and_the_phone_still_works(client, login, person):
    headers = login()
    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers)
    assert response.status_code == 403 and error_code(response) == "bind_method_disabled"
    assert bind_phone(client, headers, f"phone:{PHONE}").status_code == 200


def test_the_name_bind_answer_never_carries_the_phone(client, login, person):
    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=login())
    assert response.status_code == 200 and response.get_json()["status"] == "bound"
    assert PHONE not in response.get_data(as_text=True)
    assert "phone" not in response.get_json()["staff"]


# ---- approval ---------------------------------------------------------------------------------------

APPROVAL = {"BIND_BY_NAME": "approval"}


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_name_bind_under_approval_is_a_pending_request_an_admin_approves(client, login, person, admin_headers):
    headers = login("applicant")
    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending" and body["bound"] is False and body["staff"] is None
    again = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers)
    assert again.status_code == 202 and again.get_json()["request_id"] == body["request_id"]
    assert client.get("/api/mp/me", headers=headers).get_json()["bound"] is False

    listed = client.get("/api/mp/bind/requests", headers=admin_headers)
    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert item["id"] == body["request_id"] and item["staff"]["employee_no"] == "T1001" and "phone" not in item["staff"]

    approved = client.post(f"/api/mp/bind/requests/{body['request_id']}/approve", headers=admin_headers)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    me = client.get("/api/mp/me", headers=headers).get_json()
    assert me["bound"] is True and me["staff"]["employee_no"] == "T1001"
    twice = client.post(f"/api/mp/bind/requests/{body['request_id']}/approve", headers=admin_headers)
    assert twice.status_code == 404 and error_code(twice) == "bind_request_not_found"
    assert client.get("/api/mp/bind/requests", headers=admin_headers).get_json()["items"] == []


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_a_rejected_request_binds_nothing_and_a_new_one_can_be_filed(client, login, person, admin_headers):
    headers = login("applicant")
    request_id = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers).get_json()["request_id"]
    rejected = client.post(f"/api/mp/bind/requests/{request_id}/reject", headers=admin_headers)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert client.get("/api/mp/me", headers=headers).get_json()["bound"] is False
    again = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers)
    assert again.status_code == 202 and again.get_json()["request_id"] != request_id


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_under_approval_wrong_details_are_refused_without_a_request(client, login, person):
    response = client.post("/api/mp/bind", json={"name": "王明", "employee_no": "T1001"}, headers=login())
    assert response.status_code == 422 and error_code(response) == "bind_not_matched"
    assert db.session.scalar(select(BindRequest)) is None


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_a_second_request_for_someone_else_while_one_is_pending_gets_409(client, login, person):
    factories.make_staff(name="赵六", employee_no="T2002")
    headers = login()
    assert client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=headers).status_code == 202
    response = client.post("/api/mp/bind", json={"name": "赵六", "employee_no": "T2002"}, headers=headers)
    assert response.status_code == 409 and error_code(response) == "bind_request_pending"


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_approving_a_request_for_someone_bound_meanwhile_gets_409(client, login, person, admin_headers):
    request_id = client.post(
        "/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=login("applicant")
    ).get_json()["request_id"]
    assert bind_phone(client, login("the-real-one"), f"phone:{PHONE}").status_code == 200
    response = client.post(f"/api/mp/bind/requests/{request_id}/approve", headers=admin_headers)
    assert response.status_code == 409 and error_code(response) == "staff_already_bound"
    assert db.session.scalar(select(BindRequest)).status == "pending"  # nothing half-done


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_only_admins_decide_bind_requests(client, login, person):
    bound_headers = login("member")
    assert bind_phone(client, bound_headers, f"phone:{PHONE}").status_code == 200
    assert client.get("/api/mp/bind/requests", headers=bound_headers).status_code == 403
    assert client.post("/api/mp/bind/requests/1/approve", headers=bound_headers).status_code == 403
    assert client.get("/api/mp/bind/requests", headers=login("unbound")).status_code == 403


@pytest.mark.parametrize("config_overrides", [APPROVAL])
def test_operator_lists_approves_and_rejects_bind_requests_at_the_cli(client, login, person, runner):
    factories.make_staff(name="赵六", employee_no="T2002")
    first = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=login("a")).get_json()
    second = client.post("/api/mp/bind", json={"name": "赵六", "employee_no": "T2002"}, headers=login("b")).get_json()
    listed = runner.invoke(args=["bind-requests", "list"])
    assert listed.exit_code == 0 and "T1001 李明" in listed.output and "待审核" in listed.output
    approved = runner.invoke(args=["bind-requests", "approve", str(first["request_id"])])
    assert approved.exit_code == 0 and "已批准" in approved.output
    rejected = runner.invoke(args=["bind-requests", "reject", str(second["request_id"])])
    assert rejected.exit_code == 0 and "已驳回" in rejected.output
    again = runner.invoke(args=["bind-requests", "approve", str(first["request_id"])])
    assert again.exit_code == 1 and again.output.startswith("错误：")
    db.session.expire_all()
    assert db.session.scalar(select(MiniProgramAccount).where(MiniProgramAccount.staff_id == person.id)) is not None
    assert "已批准" in runner.invoke(args=["bind-requests", "list", "--status", "all"]).output


# ---- limits -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"BIND_RATE_LIMIT_PER_TARGET": "3/hour"}])
def test_guessing_one_persons_name_from_many_accounts_is_stopped_per_target(client, login, person):
    for i, name in enumerate(["王明", "张明", "赵明"]):
        response = client.post("/api/mp/bind", json={"name": name, "employee_no": "T1001"}, headers=login(f"g{i}"))
        assert response.status_code == 422
    response = client.post("/api/mp/bind", json={"name": "李明", "employee_no": "T1001"}, headers=login("g9"))
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    other = factories.make_staff(name="赵六", employee_no="T2002")
    assert client.post("/api/mp/bind", json={"name": other.name, "employee_no": "T2002"}, headers=login("g10")).status_code == 200


@pytest.mark.parametrize("config_overrides", [{"BIND_RATE_LIMIT_PER_ADDRESS": "3/minute"}])
def test_binding_attempts_from_one_address_are_limited_across_both_ways(client, login, person):
    statuses = [
        client.post("/api/mp/bind", json={"name": "王明", "employee_no": f"X{i}"}, headers=login(f"a{i}")).status_code
        for i in range(2)
    ]
    statuses.append(bind_phone(client, login("a2"), "phone:13800000000").status_code)
    statuses.append(bind_phone(client, login("a3"), f"phone:{PHONE}").status_code)
    assert statuses == [422, 422, 422, 429]


@pytest.mark.parametrize("config_overrides", [{"BIND_RATE_LIMIT_PER_ACCOUNT": "2/minute"}])
def test_phone_binding_attempts_per_account_are_limited(client, login, person):
    headers = login()
    assert [bind_phone(client, headers, f"phone:1380000000{i}").status_code for i in range(3)] == [422, 422, 429]


def test_a_failed_bind_is_a_security_event_without_secrets(client, login, person, caplog):
    headers = login("o-attacker")
    with caplog.at_level(logging.WARNING, logger="wenming.security"):
        client.post("/api/mp/bind", json={"name": "王明", "employee_no": "T1001"}, headers=headers)
        bind_phone(client, headers, "phone:13800000000")
    events = [r for r in caplog.records if r.name == "wenming.security" and r.security["event"] == "bind.refused"]
    assert len(events) == 2
    by_name, by_phone = (r.security for r in events)
    assert by_name["target"] == "T1001" and by_name["via"] == "name" and by_name["address"] == "127.0.0.1"
    assert by_phone["via"] == "phone" and by_name["account"] == by_phone["account"]
    text = caplog.text
    assert "13800000000" not in text and headers["Authorization"].split()[1] not in text
