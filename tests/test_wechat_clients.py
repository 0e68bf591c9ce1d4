"""The project's WeChat wrappers against the sandbox: base URLs, shared tokens, error mapping."""

from __future__ import annotations

import pytest

from app.wechat import WeChatError, get_miniprogram, get_robot, get_work
from app.wechat.clients import _SandboxableMiniProgramClient, redact
from app.wechat.storage import DatabaseStorage
from app.extensions import db
from sandbox import Fault


def test_token_is_fetched_once_and_shared_between_processes(app, sandbox):
    get_miniprogram().get_unlimited_code("a=1")
    # A second process is a second client on the same storage: it must reuse the stored token.
    other = _SandboxableMiniProgramClient(
        app.config["WECHAT_APPID"], app.config["WECHAT_SECRET"], sandbox.url, session=DatabaseStorage(db.engine)
    )
    assert other.access_token
    assert sandbox.state.requests["cgi-bin/token"] == 1


def test_expired_token_is_refetched_transparently(app, sandbox):
    get_miniprogram().get_unlimited_code("a=1")
    sandbox.state.tokens.clear()  # the platform forgets every token
    png = get_miniprogram().get_unlimited_code("a=2")
    assert png.startswith(b"\x89PNG")
    assert sandbox.state.requests["cgi-bin/token"] == 2


def test_work_app_message_goes_to_the_sandbox(app, sandbox):
    result = get_work().send_app_message({"touser": "zhangwei", "msgtype": "text", "text": {"content": "测试"}})
    assert result["errcode"] == 0
    [message] = sandbox.state.messages
    assert message["channel"] == "app" and message["body"]["agentid"] == 1000002


def test_robot_errors_are_classified(app, sandbox):
    sandbox.state.add_fault(Fault(kind="errcode", errcode=45009, count=1))
    with pytest.raises(WeChatError) as busy:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x"}})
    assert busy.value.errcode == 45009 and busy.value.transient
    assert str(busy.value).startswith("错误码 45009：")  # admins read it; WeChat's errmsg follows as is
    sandbox.state.add_fault(Fault(kind="http_503", count=1))
    with pytest.raises(WeChatError) as down:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x"}})
    assert down.value.http_status == 503 and down.value.transient
    assert str(down.value) == "群机器人接口返回 HTTP 503"
    with pytest.raises(WeChatError) as too_long:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x" * 3000}})
    assert too_long.value.errcode == 40058 and not too_long.value.transient


def test_work_http_error_names_its_status(app, sandbox):
    get_work().send_app_message({"touser": "zhangwei", "msgtype": "text", "text": {"content": "取令牌"}})
    sandbox.state.add_fault(Fault(kind="http_503", path="cgi-bin/message/send", count=1))
    with pytest.raises(WeChatError) as down:
        get_work().send_app_message({"touser": "zhangwei", "msgtype": "text", "text": {"content": "测试"}})
    assert down.value.http_status == 503 and down.value.transient
    assert str(down.value) == "接口返回 HTTP 503"


def test_secret_query_parameters_are_redacted_from_error_text():
    text = "url: /cgi-bin/webhook/send?key=abc-123 and /cgi-bin/gettoken?corpid=ww&corpsecret=s3cr3t&x=1 " \
           "/cgi-bin/message/send?access_token=TOKEN) /cgi-bin/token?appid=wx&secret=abc"
    assert redact(text) == (
        "url: /cgi-bin/webhook/send?key=*** and /cgi-bin/gettoken?corpid=ww&corpsecret=***&x=1 "
        "/cgi-bin/message/send?access_token=***) /cgi-bin/token?appid=wx&secret=***"
    )


def test_msg_sec_check_through_the_wrapper(app):
    assert get_miniprogram().msg_sec_check("o", "书包已经送到") == "pass"
    assert get_miniprogram().msg_sec_check("o", "诈骗") == "risky"


# ---- answers of the wrong shape (issue 10 item 6): a transient WeChatError, never a crash or a success ----

MALFORMED = ["<html>网关错误</html>", "[]", '"ok"', "null", '{"errcode": "busy"}', '{"errcode": 0}']


@pytest.mark.parametrize(
    "body",
    [*MALFORMED, '{"openid": 123, "session_key": null}', '{"openid": "o", "session_key": 5}', '{"session_key": "k"}',
     '{"openid": "", "session_key": "k"}', '{"openid": "o", "session_key": "k", "unionid": 7}',
     '{"openid": "' + "o" * 65 + '", "session_key": "k"}'],
)
def test_login_answered_in_the_wrong_shape_gets_503_and_creates_no_account(app, client, sandbox, body):
    from sqlalchemy import select

    from app.models import MiniProgramAccount

    sandbox.state.add_fault(Fault(kind="body", path="sns/jscode2session", body=body, count=1))
    response = client.post("/api/mp/login", json={"code": "test:o-shape"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"
    assert db.session.scalar(select(MiniProgramAccount)) is None


@pytest.mark.parametrize("path", ["cgi-bin/token", "wxa/msg_sec_check"])
@pytest.mark.parametrize("body", [*MALFORMED, '{"access_token": 5, "expires_in": 7200}', '{"result": {"suggest": 1}}'])
def test_mini_program_answers_in_the_wrong_shape_are_transient_errors(app, sandbox, path, body):
    sandbox.state.add_fault(Fault(kind="body", path=path, body=body, count=1))
    with pytest.raises(WeChatError) as error:
        get_miniprogram().msg_sec_check("o", "书包已经送到")
    assert error.value.transient and error.value.errcode is None
    assert get_miniprogram().msg_sec_check("o", "书包已经送到") == "pass"  # nothing bad was kept


@pytest.mark.parametrize("body", ['{"errcode": 0}', "<html></html>", "[]", '{"errcode": "x"}'])
def test_wxacode_that_is_neither_an_image_nor_an_error_is_a_transient_error(app, sandbox, body):
    sandbox.state.add_fault(Fault(kind="body", path="wxa/getwxacodeunlimit", body=body, count=1))
    with pytest.raises(WeChatError) as error:
        get_miniprogram().get_unlimited_code("a=1")
    assert error.value.transient


@pytest.mark.parametrize("path", ["cgi-bin/gettoken", "cgi-bin/message/send"])
@pytest.mark.parametrize("body", [*MALFORMED[:-1], '{"access_token": "", "expires_in": 7200}'])
def test_wecom_answers_in_the_wrong_shape_are_transient_errors(app, sandbox, path, body):
    sandbox.state.add_fault(Fault(kind="body", path=path, body=body, count=1))
    with pytest.raises(WeChatError) as error:
        get_work().send_app_message({"touser": "zhangwei", "msgtype": "text", "text": {"content": "测试"}})
    assert error.value.transient


@pytest.mark.parametrize("body", MALFORMED[:-1])
def test_robot_answers_in_the_wrong_shape_are_transient_errors(app, sandbox, body):
    sandbox.state.add_fault(Fault(kind="body", path="cgi-bin/webhook/send", body=body, count=1))
    with pytest.raises(WeChatError) as error:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x"}})
    assert error.value.transient
