"""The encrypted WeCom callback, end to end: WeCom-shaped requests in, pushes out through the sandbox."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Announcement, InboundMessage, OutboxMessage, PushTarget
from tests import factories
from tests.bot_helpers import FAST_OUTBOX, WECOM_TOKEN, drain, encrypt, post_message, send_text, text_message_xml


@pytest.fixture
def config_overrides():
    return dict(FAST_OUTBOX)


@pytest.fixture
def robots(app):
    targets = [
        PushTarget(name="机关一支部", kind="robot", address="robot-key-one"),
        PushTarget(name="机关二支部", kind="robot", address="robot-key-two"),
        PushTarget(name="已停用群", kind="robot", address="robot-key-off", enabled=False),
    ]
    db.session.add_all(targets)
    db.session.commit()
    return targets


@pytest.fixture
def admin(app):
    return factories.make_staff(name="张伟", employee_no="A0001", admin=True, wecom_userid="zhangwei")


@pytest.fixture
def member(app):
    return factories.make_staff(name="王芳", employee_no="A0002", wecom_userid="wangfang")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def replies_to(sandbox, user: str) -> list[str]:
    return [m["body"]["text"]["content"] for m in sandbox.state.messages if m["target"] == f"touser:{user}"]


def test_url_verification_answers_the_decrypted_echostr(client):
    signed = encrypt("echo-1234567890")
    query = {"msg_signature": signed["msg_signature"], "timestamp": signed["timestamp"],
             "nonce": signed["nonce"], "echostr": signed["encrypt"]}
    response = client.get("/wecom/callback", query_string=query)
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.get_data(as_text=True) == "echo-1234567890"


def test_url_verification_with_a_forged_signature_gets_403(client, caplog):
    signed = encrypt("echo")
    query = {"msg_signature": "0" * 40, "timestamp": signed["timestamp"], "nonce": "n", "echostr": signed["encrypt"]}
    with caplog.at_level("WARNING", logger="wenming.security"):
        response = client.get("/wecom/callback", query_string=query)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "callback_rejected"
    assert [r.security["event"] for r in caplog.records if r.name == "wenming.security"] == ["wecom_callback_refused"]


def test_admin_announcement_reaches_every_enabled_robot_as_markdown(app, client, sandbox, robots, admin, bound_headers):
    response = send_text(client, "zhangwei", "公告 明天下午三点道德讲堂，请准时参加")
    assert response.status_code == 200 and response.get_data() == b""
    assert sandbox.state.messages == []  # nothing is sent while answering WeCom

    drain(app)
    robot_messages = [m for m in sandbox.state.messages if m["channel"] == "robot"]
    assert sorted(m["target"] for m in robot_messages) == ["robot-key-one", "robot-key-two"]
    for message in robot_messages:
        assert message["msgtype"] == "markdown"
        assert "明天下午三点道德讲堂，请准时参加" in message["body"]["markdown"]["content"]
        assert "张伟" in message["body"]["markdown"]["content"]
    assert replies_to(sandbox, "zhangwei") == ["公告已发布，正在推送到 2 个群，小程序公告栏同步可见。"]

    board = client.get("/api/mp/announcements", headers=bound_headers).get_json()
    assert board["meta"]["total"] == 1
    assert board["items"][0]["content"] == "明天下午三点道德讲堂，请准时参加"
    assert board["items"][0]["author_name"] == "张伟"


def test_announcement_with_no_enabled_robot_says_nothing_was_pushed(app, client, sandbox, admin):
    send_text(client, "zhangwei", "公告：周五大扫除")
    drain(app)
    [reply] = replies_to(sandbox, "zhangwei")
    assert "没有启用的群机器人" in reply
    assert db.session.scalar(select(Announcement.content)) == "周五大扫除"


@pytest.mark.parametrize("text", ["公告 第一行\n第二行\n\n第三行", "公告\n第一行\n第二行\n\n第三行", "/notice  第一行\n第二行\n\n第三行\n"])
def test_admin_announcement_over_several_lines_keeps_its_line_breaks(app, client, sandbox, robots, admin, text):
    assert send_text(client, "zhangwei", text).status_code == 200
    drain(app)
    assert db.session.scalar(select(Announcement.content)) == "第一行\n第二行\n\n第三行"
    for message in (m for m in sandbox.state.messages if m["channel"] == "robot"):
        assert "第一行\n第二行\n\n第三行" in message["body"]["markdown"]["content"]


def test_member_announcement_is_refused_and_nothing_is_pushed(app, client, sandbox, robots, member):
    assert send_text(client, "wangfang", "公告 我也想发公告").status_code == 200
    drain(app)
    assert [m for m in sandbox.state.messages if m["channel"] == "robot"] == []
    assert replies_to(sandbox, "wangfang") == ["「公告」仅限管理员使用。"]
    assert count(Announcement) == 0


def test_replayed_msgid_runs_once(app, client, sandbox, robots, admin):
    for _ in range(3):  # WeCom retries a message it got no answer for three times
        assert send_text(client, "zhangwei", "公告 只发一次", msg_id="778899").status_code == 200
    drain(app)
    assert count(Announcement) == 1
    assert len([m for m in sandbox.state.messages if m["channel"] == "robot"]) == 2
    assert len(replies_to(sandbox, "zhangwei")) == 1


def test_stale_message_runs_nothing(app, client, robots, admin, caplog):
    old = int(time.time()) - 301
    with caplog.at_level(logging.WARNING, logger="bot.crypto"):
        response = send_text(client, "zhangwei", "公告 过期的消息", timestamp=old)
    assert response.status_code == 403
    assert "stale timestamp" in caplog.text
    assert count(InboundMessage) == 0 and count(Announcement) == 0 and count(OutboxMessage) == 0


def test_forged_signature_runs_nothing(app, client, robots, admin):
    forged = {"msg_signature": encrypt("other")["msg_signature"]}
    assert send_text(client, "zhangwei", "公告 伪造", tamper=forged).status_code == 403
    assert count(InboundMessage) == 0 and count(OutboxMessage) == 0


def test_message_encrypted_for_another_corp_is_refused(app, client, admin):
    response = post_message(client, text_message_xml("zhangwei", "公告 串号", "5", corp_id="ww-other"), corp_id="ww-other")
    assert response.status_code == 403
    assert count(InboundMessage) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<xml><Encrypt>abc</Encrypt>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        b"<other><Encrypt>abc</Encrypt></other>",
    ],
    ids=["text", "truncated", "entity", "wrong-root"],
)
def test_malformed_body_gets_400(app, client, body):
    query = {"msg_signature": "x", "timestamp": str(int(time.time())), "nonce": "n"}
    response = client.post("/wecom/callback", query_string=query, data=body, content_type="text/xml")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "callback_malformed"
    assert count(InboundMessage) == 0


def test_correctly_signed_garbage_ciphertext_gets_400(app, client):
    import hashlib

    stamp, nonce, garbage = str(int(time.time())), "n", "bm90LWNpcGhlcnRleHQ="
    sign = hashlib.sha1("".join(sorted([WECOM_TOKEN, stamp, nonce, garbage])).encode()).hexdigest()
    body = f"<xml><Encrypt>{garbage}</Encrypt></xml>".encode()
    query = {"msg_signature": sign, "timestamp": stamp, "nonce": nonce}
    assert client.post("/wecom/callback", query_string=query, data=body).status_code == 400


def test_missing_query_parameters_get_400(client):
    assert client.post("/wecom/callback", data=b"<xml><Encrypt>a</Encrypt></xml>").status_code == 400
    assert client.get("/wecom/callback").status_code == 400


@pytest.mark.parametrize("timestamp", ["²", "١٧٠٠٠٠٠٠٠٠", "１７００００００００", "9" * 400, "-1", " 1"],
                         ids=["superscript", "arabic-indic", "fullwidth", "400-digits", "negative", "space"])
def test_odd_timestamp_gets_400(client, timestamp):
    query = {"msg_signature": "x", "timestamp": timestamp, "nonce": "n", "echostr": "abc"}
    response = client.get("/wecom/callback", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "callback_malformed"
    body = b"<xml><Encrypt>abc</Encrypt></xml>"
    response = client.post("/wecom/callback", query_string={k: v for k, v in query.items() if k != "echostr"}, data=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "callback_malformed"


def test_sender_missing_from_the_roster_is_told_to_ask_an_admin(app, client, sandbox):
    send_text(client, "stranger", "帮助")
    drain(app)
    [reply] = replies_to(sandbox, "stranger")
    assert "尚未登记在花名册中" in reply


def test_events_such_as_entering_the_app_are_recorded_and_ignored(app, client, sandbox, admin):
    plain = (
        "<xml><ToUserName><![CDATA[ww-test-corp]]></ToUserName><FromUserName><![CDATA[zhangwei]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[enter_agent]]></Event><AgentID>1000002</AgentID></xml>"
    )
    assert post_message(client, plain).status_code == 200
    assert post_message(client, plain).status_code == 200
    assert db.session.scalar(select(InboundMessage.outcome)) == "ignored"
    assert count(InboundMessage) == 1 and count(OutboxMessage) == 0


@pytest.mark.parametrize("config_overrides", [dict(FAST_OUTBOX, WECOM_TOKEN="")])
def test_callback_without_configuration_answers_503(client):
    response = client.get("/wecom/callback", query_string={"echostr": "x"})
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == "企业微信回调尚未配置"


def test_oversized_body_gets_400(app, client):
    query = {"msg_signature": "x", "timestamp": str(int(time.time())), "nonce": "n"}
    body = b"<xml><Encrypt>" + b"A" * 70000 + b"</Encrypt></xml>"
    assert client.post("/wecom/callback", query_string=query, data=body).status_code == 400
