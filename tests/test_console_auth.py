"""Console sign-in: passwords (argon2id, limited failures, one message), WeCom QR login and the
in-client OAuth redirect through the sandbox, session lifetime, and access lost on the next request."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, ConsoleCredential
from app.services import audit, console_auth, roles
from tests.console_helpers import csrf_token, person, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(app):
    staff = person("admin", name="管理员甲", employee_no="A0001", wecom_userid="admin-a")
    console_auth.set_password(db.session, staff, PASSWORD, audit.Actor.system())
    return staff


def post_login(client, employee_no, password, **extra):
    token = csrf_token(client)
    return client.post("/console/login", data={"csrf_token": token, "employee_no": employee_no, "password": password, **extra})


def test_admin_signs_in_with_password_and_session_is_renewed(client, admin):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before login"
    response = post_login(client, "A0001", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"] == str(admin.id)
    cookie = response.headers.getlist("Set-Cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/console/")
    assert page.status_code == 200 and "管理员甲" in page.get_data(as_text=True)


def test_password_is_stored_as_argon2id(admin):
    credential = db.session.get(ConsoleCredential, admin.id)
    assert credential.password_hash.startswith("$argon2id$") and PASSWORD not in credential.password_hash


def test_wrong_password_and_unknown_employee_no_get_the_same_message(client, admin):
    wrong = post_login(client, "A0001", "not the password at all")
    unknown = post_login(client, "Z9999", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "工号或密码不正确" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_failed_console_logins_and_refusals_are_security_events(client, admin, caplog):
    with caplog.at_level("WARNING", logger="wenming.security"):
        post_login(client, "Z9999", "not the password at all")
    [record] = [r for r in caplog.records if r.name == "wenming.security"]
    assert record.security["event"] == "console_login_failed" and record.security["employee_no"] == "Z9999"
    assert "not the password" not in record.getMessage()


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_LOGIN_FAILURES_PER_ACCOUNT": "3/15 minutes"}])
def test_repeated_failures_lock_the_account_even_for_the_right_password(client, admin):
    for _ in range(3):
        assert post_login(client, "A0001", "wrong password!!").status_code == 401
    locked = post_login(client, "A0001", PASSWORD)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_LOGIN_FAILURES_PER_ADDRESS": "4/15 minutes"}])
def test_failures_across_accounts_lock_the_address(client, admin):
    for number in range(4):
        assert post_login(client, f"X{number:04d}", "wrong password!!").status_code == 401
    assert post_login(client, "A0001", PASSWORD).status_code == 429


def test_person_without_a_console_role_cannot_sign_in_with_a_password(client, app):
    staff = person(None, employee_no="N0001")
    console_auth.set_password(db.session, staff, PASSWORD, audit.Actor.system())
    response = post_login(client, "N0001", PASSWORD)
    assert response.status_code == 401 and "工号或密码不正确" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, admin):
    response = client.post("/console/login", data={"employee_no": "A0001", "password": PASSWORD})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_logout_ends_the_session(client, admin):
    post_login(client, "A0001", PASSWORD)
    token = csrf_token(client, "/console/")
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_IDLE_MINUTES": 30, "CONSOLE_SESSION_HOURS": 12}])
def test_idle_session_expires(client, admin):
    sign_in(client, admin)
    with client.session_transaction() as session:
        session["console_seen"] = int(time.time()) - 31 * 60
    response = client.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_session_expires_after_its_absolute_lifetime_even_when_active(client, admin):
    sign_in(client, admin)
    with client.session_transaction() as session:
        session["console_started"] = int(time.time()) - 12 * 3600 - 5
    assert client.get("/console/").status_code == 302


def test_deactivated_person_loses_access_on_the_next_request(client, admin):
    sign_in(client, admin)
    assert client.get("/console/").status_code == 200
    admin.active = False
    db.session.commit()
    assert client.get("/console/").status_code == 302


def test_revoked_role_loses_access_on_the_next_request(client, admin):
    sign_in(client, admin)
    assert client.get("/console/events/new").status_code == 200
    roles.grant_role(db.session, admin, "leader", audit.Actor.system())
    roles.revoke_role(db.session, admin, "admin", audit.Actor.system())
    assert client.get("/console/events/new").status_code == 403
    roles.revoke_role(db.session, admin, "leader", audit.Actor.system())
    assert client.get("/console/").status_code == 302


def test_next_parameter_never_leaves_the_console(client, admin):
    token = csrf_token(client)
    response = client.post(
        "/console/login", data={"csrf_token": token, "employee_no": "A0001", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert response.headers["Location"].endswith("/console/")


# ---- WeCom single sign-on through the sandbox ---------------------------------------------------------


def set_directory(sandbox, *people):
    users = [{"userid": p.wecom_userid, "name": p.name, "department": "办公室"} for p in people]
    assert requests.put(f"{sandbox.url}/_sandbox/wecom/users", json={"users": users}, timeout=5).status_code == 200


def start_wecom_login(client, **headers):
    response = client.get("/console/login/wecom", headers=headers)
    assert response.status_code == 302
    return response.headers["Location"]


def confirm_in_sandbox(location: str, userid: str) -> str:
    """What the member's click on the sandbox's QR login page does: back to our callback with a code."""
    query = parse_qs(urlsplit(location).query)
    answer = requests.post(
        f"{location.split('/wwlogin')[0]}/_sandbox/wecom/confirm",
        data={"redirect_uri": query["redirect_uri"][0], "state": query["state"][0], "appid": query["appid"][0], "userid": userid},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_admin_signs_in_by_wecom_qr_login(client, sandbox, admin):
    set_directory(sandbox, admin)
    location = start_wecom_login(client)
    assert location.startswith(f"{sandbox.url}/wwlogin/sso/login?") and "login_type=CorpApp" in location
    assert "管理员甲" in requests.get(location, timeout=5).text  # the sandbox lists the directory
    callback = confirm_in_sandbox(location, "admin-a")
    response = client.get(path_of(callback))
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "console.login")).one()
    assert entry.detail["method"] == "wecom"


def test_wecom_callback_with_another_state_is_refused(client, sandbox, admin):
    set_directory(sandbox, admin)
    callback = confirm_in_sandbox(start_wecom_login(client), "admin-a")
    forged = path_of(callback).replace("state=", "state=x")
    response = client.get(forged, follow_redirects=True)
    assert "登录请求已失效" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_wecom_callback_in_a_browser_that_did_not_start_it_is_refused(client, app, sandbox, admin):
    set_directory(sandbox, admin)
    callback = confirm_in_sandbox(start_wecom_login(client), "admin-a")
    other = app.test_client()
    other.get(path_of(callback))
    assert other.get("/console/").status_code == 302


def test_a_reused_wecom_code_is_refused(client, app, sandbox, admin):
    set_directory(sandbox, admin)
    callback = confirm_in_sandbox(start_wecom_login(client), "admin-a")
    assert client.get(path_of(callback)).status_code == 302
    replay = app.test_client()
    location = start_wecom_login(replay)
    state = parse_qs(urlsplit(location).query)["state"][0]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = replay.get(f"/console/login/wecom/callback?code={code}&state={state}", follow_redirects=True)
    assert "企业微信登录失败" in response.get_data(as_text=True)
    assert replay.get("/console/").status_code == 302
    assert sandbox.state.rejections[40029] >= 1


def test_wecom_member_not_on_the_roster_with_a_role_is_refused(client, sandbox, app):
    staff = person(None, wecom_userid="plain-member")
    set_directory(sandbox, staff)
    callback = confirm_in_sandbox(start_wecom_login(client), "plain-member")
    response = client.get(path_of(callback), follow_redirects=True)
    assert "没有使用管理后台的权限" in response.get_data(as_text=True)


def test_inside_the_wecom_client_login_uses_the_silent_oauth_redirect(client, sandbox, admin):
    set_directory(sandbox, admin)
    first = client.get("/console/login", headers={"User-Agent": "Mozilla/5.0 wxwork/4.1.0 MicroMessenger/7.0.1"})
    assert first.status_code == 302 and "/console/login/wecom" in first.headers["Location"]
    location = start_wecom_login(client, **{"User-Agent": "Mozilla/5.0 wxwork/4.1.0"})
    assert "/connect/oauth2/authorize?" in location and "scope=snsapi_base" in location
    browser = requests.Session()
    browser.get(f"{sandbox.url}/_sandbox/wecom/client?userid=admin-a", timeout=5)  # "signed in to WeCom"
    silent = browser.get(location.split("#")[0], allow_redirects=False, timeout=5)
    assert silent.status_code == 302 and "/console/login/wecom/callback?" in silent.headers["Location"]
    assert client.get(path_of(silent.headers["Location"])).status_code == 302
    assert client.get("/console/").status_code == 200


def test_sandbox_getuserinfo_answers_wecom_shapes(sandbox, app, admin):
    set_directory(sandbox, admin)
    token = requests.get(
        f"{sandbox.url}/cgi-bin/gettoken", params={"corpid": "ww-test-corp", "corpsecret": "ww-test-secret"}, timeout=5
    ).json()["access_token"]
    code = requests.post(f"{sandbox.url}/_sandbox/wecom/codes", json={"userid": "admin-a"}, timeout=5).json()["code"]
    url = f"{sandbox.url}/cgi-bin/auth/getuserinfo"
    first = requests.get(url, params={"access_token": token, "code": code}, timeout=5).json()
    assert first["errcode"] == 0 and first["userid"] == "admin-a"
    assert requests.get(url, params={"access_token": token, "code": code}, timeout=5).json()["errcode"] == 40029
    assert requests.get(url, params={"access_token": token, "code": "made-up"}, timeout=5).json()["errcode"] == 40029
    assert requests.get(url, params={"access_token": "bad", "code": code}, timeout=5).json()["errcode"] == 40014


# ---- commands -----------------------------------------------------------------------------------------


def test_operator_sets_a_password_typed_twice(runner, app):
    staff = person("admin", employee_no="C0001")
    result = runner.invoke(args=["console", "set-password", "C0001"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "已为" in result.output and db.session.get(ConsoleCredential, staff.id) is not None


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [("short pass", "short pass", "密码至少 12 个字符"), (PASSWORD, PASSWORD + "x", "两次输入的密码不一致")],
)
def test_operator_password_refused(runner, app, first, second, message):
    staff = person("admin", employee_no="C0002")
    result = runner.invoke(args=["console", "set-password", "C0002"], input=f"{first}\n{second}\n")
    assert result.exit_code == 1 and f"错误：{message}" in result.output
    assert db.session.get(ConsoleCredential, staff.id) is None


def test_operator_grants_and_revokes_a_liaison_for_a_department(runner, app):
    staff = person(None, employee_no="C0003", department="办公室")
    person(None, department="机关党委")
    result = runner.invoke(args=["roster", "grant-role", "C0003", "部门联络员", "--department", "机关党委"])
    assert result.exit_code == 0 and "负责部门：机关党委" in result.output, result.output
    db.session.refresh(staff)
    viewer = roles.Viewer.of(staff)
    assert viewer.roles == {"liaison"} and len(viewer.liaison_departments) == 1
    assert staff.department_id not in viewer.liaison_departments
    result = runner.invoke(args=["roster", "revoke-role", "C0003", "部门联络员"])
    assert result.exit_code == 0 and "已撤销" in result.output
    again = runner.invoke(args=["roster", "revoke-role", "C0003", "部门联络员"])
    assert again.exit_code == 1 and "没有部门联络员角色" in again.output


def test_operator_role_commands_refuse_bad_input(runner, app):
    person(None, employee_no="C0004")
    assert "不是可选值" in runner.invoke(args=["roster", "grant-role", "C0004", "超级用户"]).output
    assert "没有部门“不存在”" in runner.invoke(args=["roster", "grant-role", "C0004", "部门联络员", "--department", "不存在"]).output
    assert "只有部门联络员需要指定部门" in runner.invoke(args=["roster", "grant-role", "C0004", "领导", "--department", "办公室"]).output
    assert "花名册中没有工号" in runner.invoke(args=["roster", "grant-role", "Z0000", "领导"]).output


def test_operator_tells_the_sandbox_the_roster_wecom_members(runner, sandbox, app):
    person("admin", name="成员甲", wecom_userid="member-a")
    person(None, name="成员乙", wecom_userid="member-b", department="机关党委")
    person(None, name="无企业微信")
    result = runner.invoke(args=["console", "sandbox-users"])
    assert result.exit_code == 0 and "登记 2 名" in result.output, result.output
    users = requests.get(f"{sandbox.url}/_sandbox/wecom/users", timeout=5).json()["users"]
    assert {(u["userid"], u["name"], u["department"]) for u in users} == {("member-a", "成员甲", "办公室"), ("member-b", "成员乙", "机关党委")}


def test_session_cookie_is_secure_in_production_only(monkeypatch):
    from config import DevelopmentConfig, ProductionConfig

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert ProductionConfig().SESSION_COOKIE_SECURE is True
    assert DevelopmentConfig().SESSION_COOKIE_SECURE is False
    production = ProductionConfig()
    assert production.SESSION_COOKIE_HTTPONLY is True and production.SESSION_COOKIE_SAMESITE == "Lax"
