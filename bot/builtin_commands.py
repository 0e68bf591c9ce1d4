"""Commands that need nothing beyond the roster: 帮助 and 公告."""

from __future__ import annotations

from typing import Any

from app.models.org import ROLE_ADMIN
from app.services import outbox
from app.services.announcements import MAX_LENGTH, publish_announcement
from bot.commands import CommandContext, UsageError, help_text, registry


@registry.command("帮助", alias="/help")
def show_help(context: CommandContext, _: None) -> dict[str, Any]:
    """列出您可以使用的命令"""
    return outbox.text(help_text(context.staff))


def _announcement_text(text: str) -> str:
    if not text:
        raise UsageError()
    if len(text) > MAX_LENGTH:
        raise UsageError(f"公告内容不能超过 {MAX_LENGTH} 字（当前 {len(text)} 字）。")
    return text


@registry.command("公告", alias="/notice", usage="公告 <内容>", role=ROLE_ADMIN, parse=_announcement_text)
def announce(context: CommandContext, content: str) -> dict[str, Any]:
    """发布公告：推送到所有群，并在小程序公告栏展示"""
    announcement = publish_announcement(context.session, context.staff, content)
    if announcement.group_count == 0:
        return outbox.text(
            "公告已保存，小程序公告栏可见；但当前没有启用的群机器人，未推送到任何群。"
            "请先用 flask --app app push-targets add 添加群机器人。"
        )
    return outbox.text(f"公告已发布，正在推送到 {announcement.group_count} 个群，小程序公告栏同步可见。")
