"""The WeChat sandbox plays the official endpoints with their real errors and limits, over HTTP."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from sandbox import Fault, SandboxSettings
from sandbox.server import SandboxServer
from tests.conftest import WECHAT_APPID, WECHAT_SECRET, WECOM_CORP_ID, WECOM_SECRET


@pytest.fixture
def sb(sandbox):
    yield sandbox
    sandbox.state.reset()


def mp_token(sb) -> str:
    params = {"grant_type": "client_credential", "appid": WECHAT_APPID, "secret": WECHAT_SECRET}
    return requests.get(f"{sb.url}/cgi-bin/token", params=params, timeout=5).json()["access_token"]


def work_token(sb) -> str:
    params = {"corpid": WECOM_CORP_ID, "corpsecret": WECOM_SECRET}
    return requests.get(f"{sb.url}/cgi-bin/gettoken", params=params, timeout=5).json()["access_token"]


def robot(sb, content: str, msgtype: str = "text", key: str = "k1") -> dict:
    body = {"msgtype": msgtype, msgtype: {"content": content}}
    return requests.post(f"{sb.url}/cgi-bin/webhook/send", params={"key": key}, json=body, timeout=5).json()


def test_token_with_wrong_secret_gets_40125(sb):
    params = {"grant_type": "client_credential", "appid": WECHAT_APPID, "secret": "wrong"}
    assert requests.get(f"{sb.url}/cgi-bin/token", params=params, timeout=5).json()["errcode"] == 40125


def test_wecom_token_with_wrong_corp_gets_40013(sb):
    params = {"corpid": "nope", "corpsecret": WECOM_SECRET}
    assert requests.get(f"{sb.url}/cgi-bin/gettoken", params=params, timeout=5).json()["errcode"] == 40013


def test_jscode2session_accepts_only_test_codes(sb):
    params = {"appid": WECHAT_APPID, "secret": WECHAT_SECRET, "grant_type": "authorization_code"}
    ok = requests.get(f"{sb.url}/sns/jscode2session", params={**params, "js_code": "test:abc"}, timeout=5).json()
    assert ok["openid"] == "abc" and ok["session_key"]
    bad = requests.get(f"{sb.url}/sns/jscode2session", params={**params, "js_code": "abc"}, timeout=5).json()
    assert bad["errcode"] == 40029


def test_robot_accepts_twenty_per_minute_then_answers_45009(sb):
    results = [robot(sb, f"第{i}条")["errcode"] for i in range(21)]
    assert results == [0] * 20 + [45009]
    assert robot(sb, "另一个机器人", key="k2")["errcode"] == 0
    listed = requests.get(f"{sb.url}/_sandbox/messages", params={"channel": "robot", "target": "k1"}, timeout=5)
    assert listed.json()["count"] == 20


def test_robot_window_is_configurable_and_slides():
    with SandboxServer(SandboxSettings(robot_limit=2, robot_window=0.5)) as server:
        assert [robot(server, "x")["errcode"] for _ in range(3)] == [0, 0, 45009]
        import time

        time.sleep(0.6)
        assert robot(server, "y")["errcode"] == 0


def test_text_over_2048_bytes_and_markdown_over_4096_bytes_are_refused(sb):
    assert robot(sb, "字" * 682)["errcode"] == 0  # 2046 bytes
    assert robot(sb, "字" * 683)["errcode"] == 40058  # 2049 bytes
    assert robot(sb, "字" * 1365, msgtype="markdown")["errcode"] == 0
    assert robot(sb, "字" * 1366, msgtype="markdown")["errcode"] == 40058


def test_app_message_needs_a_token_and_a_recipient(sb):
    body = {"agentid": 1, "msgtype": "text", "text": {"content": "你好"}}
    assert requests.post(f"{sb.url}/cgi-bin/message/send", json=body, timeout=5).json()["errcode"] == 41001
    url = f"{sb.url}/cgi-bin/message/send?access_token={work_token(sb)}"
    assert requests.post(url, json=body, timeout=5).json()["errcode"] == 40035
    sent = requests.post(url, json={**body, "touser": "zhangsan"}, timeout=5).json()
    assert sent["errcode"] == 0 and sent["msgid"]


def test_app_messages_to_one_person_are_limited_to_30_a_minute(sb):
    url = f"{sb.url}/cgi-bin/message/send?access_token={work_token(sb)}"
    body = {"agentid": 1, "touser": "busy", "msgtype": "text", "text": {"content": "提醒"}}
    codes = [requests.post(url, json=body, timeout=5).json()["errcode"] for _ in range(31)]
    assert codes == [0] * 30 + [45009]


def test_wxacode_returns_a_real_png_and_checks_scene_length(sb):
    url = f"{sb.url}/wxa/getwxacodeunlimit?access_token={mp_token(sb)}"
    response = requests.post(url, json={"scene": "e=12&d=in", "width": 300}, timeout=5)
    assert response.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (300, 300)
    assert requests.post(url, json={"scene": "x" * 33}, timeout=5).json()["errcode"] == 40169


def test_msg_sec_check_flags_configured_words(sb):
    url = f"{sb.url}/wxa/msg_sec_check?access_token={mp_token(sb)}"
    base = {"version": 2, "scene": 2, "openid": "o"}
    assert requests.post(url, json={**base, "content": "已送达书包"}, timeout=5).json()["result"]["suggest"] == "pass"
    assert requests.post(url, json={**base, "content": "网络赌博"}, timeout=5).json()["result"]["suggest"] == "risky"
    assert requests.post(url, json={**base, "content": "有点敏感"}, timeout=5).json()["result"]["suggest"] == "review"
    assert requests.post(url, json={"content": "x", "version": 1}, timeout=5).json()["errcode"] == 40097


def test_faults_fail_on_purpose_then_clear(sb):
    control = f"{sb.url}/_sandbox/faults"
    requests.post(control, json={"kind": "http_503", "path": "cgi-bin/webhook", "count": 1}, timeout=5)
    first = requests.post(f"{sb.url}/cgi-bin/webhook/send?key=k", json={"msgtype": "text", "text": {"content": "a"}}, timeout=5)
    assert first.status_code == 503
    assert robot(sb, "b", key="k")["errcode"] == 0  # count exhausted
    requests.post(control, json={"kind": "errcode", "errcode": 45009}, timeout=5)
    assert robot(sb, "c", key="k")["errcode"] == 45009
    requests.delete(control, timeout=5)
    assert robot(sb, "d", key="k")["errcode"] == 0


def test_body_fault_answers_the_given_raw_body_and_status(sb):
    control = f"{sb.url}/_sandbox/faults"
    requests.post(control, json={"kind": "body", "body": "[]", "status": 200, "count": 1}, timeout=5)
    answer = requests.post(f"{sb.url}/cgi-bin/webhook/send?key=k", json={"msgtype": "text", "text": {"content": "a"}}, timeout=5)
    assert answer.status_code == 200 and answer.text == "[]"
    assert requests.get(f"{sb.url}/_sandbox/messages", timeout=5).json()["count"] == 0
    assert robot(sb, "b", key="k")["errcode"] == 0  # count exhausted


def test_timeout_fault_makes_the_client_give_up(sb):
    requests.post(f"{sb.url}/_sandbox/faults", json={"kind": "timeout", "delay": 1.0, "count": 1}, timeout=5)
    with pytest.raises(requests.Timeout):
        robot_body = {"msgtype": "text", "text": {"content": "slow"}}
        requests.post(f"{sb.url}/cgi-bin/webhook/send?key=k", json=robot_body, timeout=0.2)


def test_messages_can_be_listed_and_cleared(sb):
    robot(sb, "记录我")
    assert requests.get(f"{sb.url}/_sandbox/messages", timeout=5).json()["messages"][0]["body"]["text"]["content"] == "记录我"
    requests.delete(f"{sb.url}/_sandbox/messages", timeout=5)
    assert requests.get(f"{sb.url}/_sandbox/messages", timeout=5).json()["count"] == 0


def test_reset_forgets_messages_windows_counters_media_faults_and_spent_codes(sb):
    robot(sb, "记录我")
    upload = requests.post(
        f"{sb.url}/cgi-bin/media/upload",
        params={"type": "image", "access_token": work_token(sb)},
        files={"media": ("a.png", io.BytesIO(b"\x89PNG\r\n\x1a\n0000"), "image/png")},
        timeout=5,
    ).json()
    phone(sb, "phone:13800138000")
    sb.state.add_fault(Fault(kind="http_503", path="nowhere"))
    state = sb.state
    assert state.messages and state.media and state.faults and state.requests and state.robot_sends
    state.reset()
    assert requests.get(f"{sb.url}/_sandbox/media/{upload['media_id']}", timeout=5).status_code == 404
    assert (state.messages, state.faults, dict(state.robot_sends), state.media) == ([], [], {}, {})
    assert dict(state.requests) == {} and dict(state.rejections) == {}
    assert phone(sb, "phone:13800138000")["errcode"] == 0  # a spent code is usable again after a reset


def test_a_new_part_is_one_blueprint_registered_beside_the_others():
    import sandbox
    from flask import Blueprint

    extra = Blueprint("sandbox_extra", __name__)
    extra.add_url_rule("/extra/ping", view_func=lambda: sandbox.answers.ok(pong=True))
    original = sandbox.BLUEPRINTS
    sandbox.BLUEPRINTS = (*original, extra)
    try:
        with SandboxServer() as server:
            requests.post(f"{server.url}/_sandbox/faults", json={"kind": "errcode", "errcode": -1, "count": 1}, timeout=5)
            assert requests.get(f"{server.url}/extra/ping", timeout=5).json()["errcode"] == -1  # faults apply
            assert requests.get(f"{server.url}/extra/ping", timeout=5).json() == {"errcode": 0, "errmsg": "ok", "pong": True}
    finally:
        sandbox.BLUEPRINTS = original


def phone(sb, code: object, token: str | None = None) -> dict:
    params = {"access_token": token if token is not None else mp_token(sb)}
    return requests.post(f"{sb.url}/wxa/business/getuserphonenumber", params=params, json={"code": code}, timeout=5).json()


def test_phone_number_code_answers_wechats_phone_info_once(sb):
    answer = phone(sb, "phone:13912345678")
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    info = answer["phone_info"]
    assert (info["phoneNumber"], info["purePhoneNumber"], info["countryCode"]) == ("13912345678", "13912345678", "86")
    assert info["watermark"]["appid"] == WECHAT_APPID and isinstance(info["watermark"]["timestamp"], int)
    assert phone(sb, "phone:13912345678")["errcode"] == 40029  # single use


def test_phone_number_refuses_bad_codes_bodies_and_tokens(sb):
    assert phone(sb, "13912345678")["errcode"] == 40029
    assert phone(sb, 42)["errcode"] == 47001
    assert phone(sb, "phone:13912345678", token="")["errcode"] == 41001
    assert phone(sb, "phone:13912345678", token="forged")["errcode"] == 40001
    assert phone(sb, "phone:13912345678", token=work_token(sb))["errcode"] == 40001  # a WeCom token is not one
    foreign = phone(sb, "phone:+852 61234567")["phone_info"]
    assert (foreign["phoneNumber"], foreign["purePhoneNumber"], foreign["countryCode"]) == ("+85261234567", "61234567", "852")
