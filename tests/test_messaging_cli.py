"""``flask push-targets …`` and ``flask outbox …`` through the CLI runner, against the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.services import outbox
from sandbox import Fault
from tests.bot_helpers import FAST_OUTBOX

KEY = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def config_overrides():
    return dict(FAST_OUTBOX)


def add(runner, *args: str):
    return runner.invoke(args=["push-targets", "add", *args])


def test_operator_adds_a_robot_from_its_webhook_url_and_sees_it_masked(runner):
    result = add(runner, "--name", "机关一支部", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(PushTarget.address)) == KEY
    listed = runner.invoke(args=["push-targets", "list"]).output
    assert "机关一支部" in listed and "群机器人" in listed and "启用" in listed
    assert KEY not in listed + result.output and "693a" in listed


def test_adding_the_same_robot_twice_is_refused(runner):
    add(runner, "--name", "一群", KEY)
    result = add(runner, "--name", "又一群", KEY)
    assert result.exit_code == 1 and "已存在" in result.output


def test_webhook_url_without_a_key_is_refused(runner):
    result = add(runner, "--name", "一群", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
    assert result.exit_code == 2 and "没有 key 参数" in result.output


def test_disabled_robot_gets_no_group_pushes(runner):
    add(runner, "--name", "一群", KEY)
    target_id = db.session.scalar(select(PushTarget.id))
    assert runner.invoke(args=["push-targets", "disable", str(target_id)]).exit_code == 0
    assert outbox.enqueue_to_groups(db.session, "notice", outbox.text("x")) == 0
    assert runner.invoke(args=["push-targets", "disable", "999"]).exit_code == 1


def test_test_send_delivers_through_the_outbox(runner, sandbox):
    add(runner, "--name", "一群", KEY)
    target_id = db.session.scalar(select(PushTarget.id))
    result = runner.invoke(args=["push-targets", "test-send", str(target_id)])
    assert result.exit_code == 0 and "已发送到「一群」" in result.output
    [message] = sandbox.state.messages
    assert message["target"] == KEY and "测试消息" in message["body"]["text"]["content"]
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


def test_test_send_reports_a_permanent_failure(runner, sandbox):
    add(runner, "--name", "一群", KEY)
    sandbox.state.add_fault(Fault(kind="errcode", errcode=93000, errmsg="invalid webhook url"))
    result = runner.invoke(args=["push-targets", "test-send", str(db.session.scalar(select(PushTarget.id)))])
    assert result.exit_code == 1 and "发送失败" in result.output and "93000" in result.output


def test_dispatch_once_drains_and_status_and_requeue_report(runner, sandbox):
    add(runner, "--name", "一群", KEY)
    outbox.enqueue_to_groups(db.session, "notice", outbox.text("通知"))
    outbox.enqueue(db.session, dedup_key="bad", channel="app", address="nobody", payload=outbox.text("x"))
    db.session.commit()
    result = runner.invoke(args=["outbox", "dispatch", "--once"])
    assert result.exit_code == 0 and "成功 1 条" in result.output and "放弃 1 条" in result.output
    status = runner.invoke(args=["outbox", "status"]).output
    assert "已发 1 条" in status and "放弃 1 条" in status and "无效的应用消息地址" in status
    assert "已重新排队 1 条" in runner.invoke(args=["outbox", "requeue", "--all-dead"]).output
    assert runner.invoke(args=["outbox", "requeue"]).exit_code == 2


@pytest.mark.parametrize(
    "kind, address, fragment",
    [
        ("robot", "随便写的地址", "群机器人的 key 应形如"),
        ("robot", "693a91f6-7aaa-4bc4-97a0", "群机器人的 key 应形如"),
        ("robot", f"https://evil.example/cgi-bin/webhook/send?key={KEY}", "Webhook 地址应为 https://qyapi.weixin.qq.com"),
        ("robot", f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}", "Webhook 地址应为 https://"),
        ("robot", f"https://qyapi.weixin.qq.com/cgi-bin/message/send?key={KEY}", "Webhook 地址应为 https://"),
        ("appchat", "chat id with spaces", "chatid 应为 1 到 32 位字母或数字"),
        ("appchat", "c" * 33, "chatid 应为 1 到 32 位字母或数字"),
    ],
)
def test_operator_adding_an_address_of_the_wrong_form_is_refused_and_nothing_is_stored(runner, kind, address, fragment):
    result = add(runner, "--name", "一群", "--kind", kind, address)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("错误：") and fragment in result.output
    assert db.session.scalar(select(PushTarget.id)) is None


def test_operator_adds_an_app_chat_by_its_chatid(runner):
    result = add(runner, "--name", "活动群", "--kind", "appchat", " wrkChat0001 ")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(PushTarget.address)) == "wrkChat0001"
