"""``flask --app app wishes ...``: publish and manage 微心愿 from the command line."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import click

from app.commands import params
from app.extensions import db
from app.models.base import utcnow
from app.models.wish import CATEGORY_LABELS, STATUS_LABELS
from app.services import audit, wishes

wishes_cli = params.Group("wishes", help="微心愿：发布、撤回、逾期释放与到期提醒。")



@wishes_cli.command("create")
@click.option("--title", required=True, help="标题，如“一个新书包”。")
@click.option("--story", required=True, help="心愿故事。")
@click.option("--category", required=True, type=params.Choice(list(CATEGORY_LABELS)),
              help="goods 实物类 / service 服务类。")
@click.option("--beneficiary", required=True, help="受助人姓名（公开列表中脱敏显示）。")
@click.option("--village", required=True, help="所在村（组），公开显示。")
@click.option("--household", default=None, help="住址（仅认领人和管理员可见）。")
@click.option("--contact", default=None, help="联系方式（仅认领人和管理员可见）。")
@click.option("--value", "estimated_value", type=params.IntRange(0, 1_000_000), default=None, help="预估价值（元）。")
@click.option("--deadline", required=True, type=params.DateTime(formats=["%Y-%m-%d"]), help="截止日期 YYYY-MM-DD。")
@click.option("--photo", "photos", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="心愿照片，可重复（最多 9 张）。")
@click.option("--publish/--draft", default=False, show_default=True, help="立即发布，或先存为草稿。")
def create_command(
    title: str, story: str, category: str, beneficiary: str, village: str, household: str | None,
    contact: str | None, estimated_value: int | None, deadline: datetime, photos: tuple[Path, ...], publish: bool,
) -> None:
    """新建一个微心愿。"""
    draft = wishes.WishDraft(
        title=title, story=story, category=category, beneficiary_name=beneficiary, village=village,
        household=household, contact=contact, estimated_value=estimated_value, claim_deadline=deadline.date(),
    )
    with ExitStack() as stack:
        streams = [stack.enter_context(path.open("rb")) for path in photos]
        wish = wishes.create_wish(db.session, draft, audit.Actor.cli(), streams, publish=publish)
    click.echo(f"已创建心愿 #{wish.id}「{wish.title}」，状态：{wish.status_label}，照片 {len(wish.photos)} 张。")


@wishes_cli.command("publish")
@click.argument("wish_id", type=params.database_id())
def publish_command(wish_id: int) -> None:
    """发布一个草稿心愿。"""
    wish = wishes.publish_wish(db.session, wish_id, audit.Actor.cli())
    click.echo(f"心愿 #{wish.id}「{wish.title}」已发布。")


@wishes_cli.command("withdraw")
@click.argument("wish_id", type=params.database_id())
@click.option("--reason", required=True, type=params.Text(1, 200), help="撤回原因。")
def withdraw_command(wish_id: int, reason: str) -> None:
    """撤回一个草稿或待认领的心愿。"""
    wish = wishes.withdraw_wish(db.session, wish_id, audit.Actor.cli(), reason)
    click.echo(f"心愿 #{wish.id}「{wish.title}」已撤回。")


@wishes_cli.command("list")
@click.option("--status", type=params.Choice(list(STATUS_LABELS)), default=None, help="只看某个状态。")
def list_command(status: str | None) -> None:
    """列出心愿（含受助人完整姓名，仅供管理员使用）。"""
    rows = db.session.scalars(wishes.wishes_query(status, admin=True)).all()
    if not rows:
        click.echo("没有心愿。")
        return
    for wish in rows:
        claimer = f"  认领人：{wish.claimer.name}" if wish.claimer else ""
        click.echo(
            f"#{wish.id}  [{wish.status_label}]  {wish.title}  {wish.beneficiary_name}（{wish.village}）"
            f"  截止 {wish.claim_deadline:%Y-%m-%d}{claimer}"
        )


@wishes_cli.command("release-overdue")
def release_overdue_command() -> None:
    """释放已过期限仍未提交凭证的认领，并通知认领人（通常由定时任务执行）。"""
    count = wishes.release_overdue_claims(db.session, utcnow())
    click.echo(f"已释放 {count} 个逾期认领。")


@wishes_cli.command("remind-due")
def remind_due_command() -> None:
    """为即将到期的认领排队提醒消息（通常由定时任务执行；重复执行不会重复提醒）。"""
    count = wishes.remind_claims_due(db.session, utcnow())
    click.echo(f"已排队 {count} 条到期提醒。")
