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
    sandbox.state.faults.append(Fault(kind="errcode", errcode=45009, count=1))
    with pytest.raises(WeChatError) as busy:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x"}})
    assert busy.value.errcode == 45009 and busy.value.transient
    assert str(busy.value).startswith("错误码 45009：")  # admins read it; WeChat's errmsg follows as is
    sandbox.state.faults.append(Fault(kind="http_503", count=1))
    with pytest.raises(WeChatError) as down:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x"}})
    assert down.value.http_status == 503 and down.value.transient
    assert str(down.value) == "群机器人接口返回 HTTP 503"
    with pytest.raises(WeChatError) as too_long:
        get_robot().send("k", {"msgtype": "text", "text": {"content": "x" * 3000}})
    assert too_long.value.errcode == 40058 and not too_long.value.transient


def test_work_http_error_names_its_status(app, sandbox):
    get_work().send_app_message({"touser": "zhangwei", "msgtype": "text", "text": {"content": "取令牌"}})
    sandbox.state.faults.append(Fault(kind="http_503", path="cgi-bin/message/send", count=1))
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
