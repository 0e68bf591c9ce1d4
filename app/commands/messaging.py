"""``flask push-targets …`` (where pushes go) and ``flask outbox …`` (the dispatcher and its queue)."""

from __future__ import annotations

import re
import signal
import threading
import uuid
from urllib.parse import parse_qs, urlparse

import click
from flask import current_app
from sqlalchemy import func, select, update

from app.commands import params
from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.models.base import utcnow
from app.models.messaging import (
    CHANNEL_OF_TARGET_KIND,
    STATUS_DEAD,
    STATUS_PENDING,
    STATUS_SENT,
    TARGET_KIND_NAMES,
    TARGET_ROBOT,
)
from app.services import audit, outbox
from app.services.dispatcher import TEST_SEND_PREFIX, Dispatcher, target_label
from app.timeutil import format_local

push_targets_cli = params.Group("push-targets", help="推送目标：群机器人与应用群聊。")
outbox_cli = params.Group("outbox", help="消息发件箱：发送进程、队列状态、重新发送。")


ROBOT_KEY = re.compile(r"[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}")
ROBOT_HOST = "qyapi.weixin.qq.com"
ROBOT_PATH = "/cgi-bin/webhook/send"
APP_CHAT_ID = re.compile(r"[0-9A-Za-z]{1,32}")  # WeCom: at most 32 characters, digits and letters only


def webhook_key(value: str) -> str:
    """A robot's key from its whole webhook URL (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``,
    as WeCom shows it) or the bare key (``693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa``); anything else is refused."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        url = urlparse(value)
        keys = parse_qs(url.query).get("key")
        if not keys:
            raise params.InvalidParameter("Webhook 地址中没有 key 参数", param_hint="ADDRESS")
        if (url.scheme, url.hostname, url.path) != ("https", ROBOT_HOST, ROBOT_PATH):
            raise params.InvalidParameter(
                f"群机器人的 Webhook 地址应为 https://{ROBOT_HOST}{ROBOT_PATH}?key=…（在群机器人的资料页复制）",
                param_hint="ADDRESS",
            )
        value = keys[0]
    if not ROBOT_KEY.fullmatch(value):
        raise params.InvalidParameter(
            "群机器人的 key 应形如 693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa（8-4-4-4-12 位字母或数字），"
            "或填写完整的 Webhook 地址",
            param_hint="ADDRESS",
        )
    return value


def app_chat_id(value: str) -> str:
    value = value.strip()
    if not APP_CHAT_ID.fullmatch(value):
        raise params.InvalidParameter("应用群聊的 chatid 应为 1 到 32 位字母或数字", param_hint="ADDRESS")
    return value


def _target_or_fail(target_id: int) -> PushTarget:
    target = db.session.get(PushTarget, target_id)
    if target is None:
        raise params.CommandError(f"没有编号为 {target_id} 的推送目标")
    return target


@push_targets_cli.command("add")
@click.option("--name", required=True, help="名称，如“机关一支部群”。")
@click.option("--kind", type=params.Choice(sorted(TARGET_KIND_NAMES)), default=TARGET_ROBOT, show_default=True)
@click.argument("address")
def push_targets_add(name: str, kind: str, address: str) -> None:
    """添加推送目标：群机器人填 Webhook 地址或 key，应用群聊填 chatid。"""
    name = name.strip()
    address = webhook_key(address) if kind == TARGET_ROBOT else app_chat_id(address)
    if not 1 <= len(name) <= 100:
        raise params.InvalidParameter("名称应为 1 到 100 个字符", param_hint="--name")
    if db.session.scalar(select(PushTarget).where(PushTarget.kind == kind, PushTarget.address == address)):
        raise params.CommandError("该推送目标已存在")
    target = PushTarget(name=name, kind=kind, address=address, enabled=True)
    db.session.add(target)
    db.session.flush()
    audit.record(db.session, audit.Actor.cli(), "push_target.add", "push_target", target.id, kind=kind, name=name)
    db.session.commit()
    click.echo(f"已添加{TARGET_KIND_NAMES[kind]}「{name}」（编号 {target.id}，地址 {target.masked_address}）。")


@push_targets_cli.command("list")
def push_targets_list() -> None:
    """列出推送目标（地址已打码）。"""
    targets = db.session.scalars(select(PushTarget).order_by(PushTarget.id)).all()
    if not targets:
        click.echo("还没有推送目标。用 push-targets add 添加。")
        return
    for target in targets:
        state = "启用" if target.enabled else "停用"
        click.echo(f"{target.id}\t{TARGET_KIND_NAMES.get(target.kind, target.kind)}\t{state}\t{target.name}\t{target.masked_address}")


def _set_enabled(target_id: int, enabled: bool) -> None:
    target = _target_or_fail(target_id)
    target.enabled = enabled
    action = "push_target.enable" if enabled else "push_target.disable"
    audit.record(db.session, audit.Actor.cli(), action, "push_target", target.id)
    db.session.commit()
    click.echo(f"已{'启用' if enabled else '停用'}「{target.name}」。")


@push_targets_cli.command("disable")
@click.argument("target_id", type=params.database_id())
def push_targets_disable(target_id: int) -> None:
    """停用推送目标（不再向它推送）。"""
    _set_enabled(target_id, False)


@push_targets_cli.command("enable")
@click.argument("target_id", type=params.database_id())
def push_targets_enable(target_id: int) -> None:
    """重新启用推送目标。"""
    _set_enabled(target_id, True)


@push_targets_cli.command("test-send")
@click.argument("target_id", type=params.database_id())
@click.option("--text", "content", type=params.Text(1, 2000), default="【测试】这是一条来自文明创建助手的测试消息。", show_default=True)
def push_targets_test_send(target_id: int, content: str) -> None:
    """立即经发件箱向推送目标发送一条测试消息（遵守限流）。"""
    target = _target_or_fail(target_id)
    if not target.enabled:
        raise params.CommandError(f"「{target.name}」已停用，请先启用")
    channel, address = CHANNEL_OF_TARGET_KIND[target.kind], str(target.id)
    key = f"{TEST_SEND_PREFIX}{target.id}:{uuid.uuid4().hex}"
    outbox.enqueue(db.session, dedup_key=key, channel=channel, address=address, payload=outbox.text(content))
    db.session.commit()
    Dispatcher(current_app._get_current_object()).work_target(channel, address)
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == key))
    if row.status == STATUS_SENT:
        click.echo(f"已发送到「{target.name}」。")
    elif row.status == STATUS_DEAD:
        raise params.CommandError(f"发送失败：{row.last_error}")
    else:
        reason = row.last_error or "该目标一分钟内的发送量已达上限"
        click.echo(f"暂未发出（{reason}）；消息已留在队列中，发送进程会在 {format_local(row.due_at, '%H:%M:%S')} 后投递。")


@outbox_cli.command("dispatch")
@click.option("--once", is_flag=True, help="发完当前到期的消息后退出（默认持续运行）。")
def outbox_dispatch(once: bool) -> None:
    """运行发送进程：按企业微信限流发送到期消息，失败重试。"""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    dispatcher = Dispatcher(current_app._get_current_object())
    if not once:
        click.echo(f"发送进程 {dispatcher.name} 已启动（Ctrl-C 停止）。")
    totals = dispatcher.run(once=once, stop=stop)
    click.echo(f"发送进程结束：成功 {totals['sent']} 条，重试 {totals['retried']} 次，放弃 {totals['dead']} 条。")


@outbox_cli.command("status")
@click.option("--limit", default=10, show_default=True, type=params.IntRange(1, 1000), help="列出最近放弃的消息条数。")
def outbox_status(limit: int) -> None:
    """发件箱概况：各状态条数、最早待发消息、最近放弃的消息。"""
    counts = dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    click.echo(f"待发 {counts.get(STATUS_PENDING, 0)} 条，已发 {counts.get(STATUS_SENT, 0)} 条，"
               f"放弃 {counts.get(STATUS_DEAD, 0)} 条。")
    oldest = db.session.scalar(select(func.min(OutboxMessage.due_at)).where(OutboxMessage.status == STATUS_PENDING))
    if oldest is not None:
        click.echo(f"最早的待发消息应于 {format_local(oldest, '%Y-%m-%d %H:%M:%S')} 发出。")
    dead = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == STATUS_DEAD)
        .order_by(OutboxMessage.dead_at.desc()).limit(limit)
    ).all()
    for row in dead:
        click.echo(f"#{row.id}\t{format_local(row.dead_at)}\t{target_label(db.session, row.channel, row.address)}"
                   f"\t尝试 {row.attempts} 次\t{row.last_error}")


@outbox_cli.command("requeue")
@click.argument("message_ids", type=params.database_id(), nargs=-1)
@click.option("--all-dead", is_flag=True, help="重新发送全部已放弃的消息。")
def outbox_requeue(message_ids: tuple[int, ...], all_dead: bool) -> None:
    """把已放弃的消息重新放回队列（修复推送目标后使用）。"""
    if not message_ids and not all_dead:
        raise params.UsageProblem("请给出消息编号，或使用 --all-dead")
    statement = update(OutboxMessage).where(OutboxMessage.status == STATUS_DEAD)
    if not all_dead:
        statement = statement.where(OutboxMessage.id.in_(message_ids))
    result = db.session.execute(
        statement.values(status=STATUS_PENDING, due_at=utcnow(), attempts=0, dead_at=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(db.session, audit.Actor.cli(), "outbox.requeue", ids=list(message_ids), all_dead=all_dead)
    db.session.commit()
    click.echo(f"已重新排队 {result.rowcount} 条消息。")
