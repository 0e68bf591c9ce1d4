"""Commands over 评选 and 承诺: 评选 lists open selections with their phase; 承诺 lists pledges and mine."""

from __future__ import annotations

from app.services import outbox, pledges, selections
from app.timeutil import format_local
from bot.commands import CommandContext, Reply, registry

LIST_LIMIT = 10


@registry.command("评选", alias="/selections")
def open_selections(context: CommandContext, _: None) -> Reply:
    """进行中的评选及所处阶段"""
    current = selections.running_selections(context.session, context.now, LIST_LIMIT)
    if not current:
        return outbox.text("目前没有进行中的评选。")
    lines = [
        f"{index}. {s.title}（{s.kind_label}）\n   阶段：{s.phase_label(context.now)}"
        f"　投票：{format_local(s.vote_from, '%m-%d %H:%M')} 至 {format_local(s.vote_until, '%m-%d %H:%M')}"
        for index, s in enumerate(current, start=1)
    ]
    return outbox.text("进行中的评选：\n" + "\n".join(lines) + "\n请在小程序「评选」中参与。")


@registry.command("承诺", alias="/pledges")
def my_pledges(context: CommandContext, _: None) -> Reply:
    """承诺书及我的签署情况"""
    rows = pledges.pledges_with_signatures(context.session, context.staff.id, LIST_LIMIT)
    if not rows:
        return outbox.text("目前没有需要签署的承诺书。")
    lines = []
    for index, (pledge, signature) in enumerate(rows, start=1):
        if signature is not None:
            state = f"已签署（{format_local(signature.signed_at)}）"
        elif pledge.is_open(context.now):
            state = f"未签署，{format_local(pledge.closes_at)} 截止"
        else:
            state = "未签署（不在签署期）"
        lines.append(f"{index}. {pledge.title}：{state}")
    return outbox.text("承诺书：\n" + "\n".join(lines) + "\n请在小程序「承诺」中阅读并签署。")
