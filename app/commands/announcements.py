"""``flask --app app announcements …``: list, withdraw and correct what admins published with 公告."""

from __future__ import annotations

import click

from app.commands import params
from app.extensions import db
from app.services import announcements, audit
from app.timeutil import format_local

announcements_cli = params.Group("announcements", help="公告：列表、撤回、更正。")


@announcements_cli.command("list")
@click.option("--all", "include_withdrawn", is_flag=True, help="包括已撤回的公告。")
@click.option("--limit", default=20, show_default=True, type=params.IntRange(1, 1000), help="最多列出条数。")
def announcements_list(include_withdrawn: bool, limit: int) -> None:
    """列出公告，最新的在前：编号、时间、发布人、推送群数、状态、内容摘要。"""
    rows = db.session.scalars(announcements.announcements_query(include_withdrawn=include_withdrawn).limit(limit)).all()
    if not rows:
        click.echo("还没有公告。")
        return
    for row in rows:
        if row.withdrawn_at is not None:
            state = f"已撤回（{row.withdraw_reason}）"
        elif row.corrected_at is not None:
            state = f"已更正 {row.corrections} 次"
        else:
            state = "有效"
        excerpt = " ".join(row.content.split())
        excerpt = excerpt if len(excerpt) <= 40 else excerpt[:40] + "……"
        click.echo(
            f"#{row.id}\t{format_local(row.created_at)}\t{row.author_name or '-'}\t{row.group_count} 个群"
            f"\t{state}\t{excerpt}"
        )


@announcements_cli.command("withdraw")
@click.argument("announcement_id", type=params.database_id())
@click.option("--reason", required=True, type=params.Text(1, announcements.MAX_REASON_LENGTH), help="撤回原因。")
def announcements_withdraw(announcement_id: int, reason: str) -> None:
    """撤回公告：小程序公告栏不再显示，未发出的推送取消；已推送过的群会收到撤回通知。"""
    told = announcements.withdraw_announcement(db.session, announcement_id, audit.Actor.cli(), reason)
    notice = f"已通知 {told} 个群。" if told else "尚未推送到任何群，无需通知。"
    click.echo(f"公告 #{announcement_id} 已撤回，{notice}")


@announcements_cli.command("correct")
@click.argument("announcement_id", type=params.database_id())
@click.option("--content", required=True, type=params.Text(1, announcements.MAX_LENGTH), help="更正后的完整内容。")
def announcements_correct(announcement_id: int, content: str) -> None:
    """更正公告：公告栏显示新内容，并以“公告更正”推送到所有群（旧内容未发出的推送取消）。"""
    announcement = announcements.correct_announcement(db.session, announcement_id, audit.Actor.cli(), content)
    click.echo(f"公告 #{announcement.id} 已更正，正在推送到 {announcement.group_count} 个群。")
