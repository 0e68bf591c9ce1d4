"""``flask --app app selections|pledges ...``: 评选 and 承诺 from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from app.commands import params
from app.extensions import db
from app.models import Department
from app.models.selection import RESULT_METHODS, SELECTION_KINDS
from app.services import audit, pledges, selections, staff, voting
from app.services.events import as_aware
from app.timeutil import format_local

LOCAL_TIME = params.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


selections_cli = params.Group("selections", help="评选：创建、发布、推荐、查看排名、公布结果、导出。")
pledges_cli = params.Group("pledges", help="承诺书：创建、发布、签署率、提醒、导出名单。")


def _xlsx(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise params.UsageProblem("输出文件应以 .xlsx 结尾")
    if not path.parent.is_dir():
        raise params.UsageProblem(f"目录 {path.parent} 不存在")
    return path


@selections_cli.command("create")
@click.option("--title", required=True, type=params.Text(1, selections.TITLE_MAX), help="名称，如“2026年度节俭文明人评选”。")
@click.option("--kind", required=True, type=params.Choice(list(SELECTION_KINDS)), help="honour 评选先进 / works 作品征集。")
@click.option("--nominate-from", required=True, type=LOCAL_TIME, help="报名/推荐开始，YYYY-MM-DDTHH:MM（北京时间）。")
@click.option("--nominate-until", required=True, type=LOCAL_TIME, help="报名/推荐截止（之后为审核）。")
@click.option("--vote-from", required=True, type=LOCAL_TIME, help="投票开始。")
@click.option("--vote-until", required=True, type=LOCAL_TIME, help="投票截止。")
@click.option("--work-item", type=params.IntRange(1, 18), default=None, help="计入台账的工作项目编号（1–18）。")
@click.option("--votes-per-voter", type=params.IntRange(1, 50), default=3, show_default=True, help="每人最多投几票。")
@click.option("--forbid-own-department", is_flag=True, help="不得投给本部门的参评对象。")
@click.option("--allow-self", is_flag=True, help="允许投给自己（默认不允许）。")
@click.option("--method", type=params.Choice(list(RESULT_METHODS)), default="votes", show_default=True,
              help="votes 按得票 / jury 按评委评分 / mixed 加权。")
@click.option("--vote-weight", type=params.IntRange(0, 100), default=None, help="加权时得票占的百分比。")
@click.option("--publicity-days", type=params.IntRange(1, 30), default=5, show_default=True, help="公示期天数。")
@click.option("--description", type=params.Text(0, selections.DESCRIPTION_MAX), default="", help="评选说明。")
@click.option("--publish", is_flag=True, help="创建后立即发布。")
def create_selection(
    title: str, kind: str, nominate_from: datetime, nominate_until: datetime, vote_from: datetime, vote_until: datetime,
    work_item: int | None, votes_per_voter: int, forbid_own_department: bool, allow_self: bool, method: str,
    vote_weight: int | None, publicity_days: int, description: str, publish: bool,
) -> None:
    """创建一个评选（默认为草稿）。"""
    draft = selections.SelectionDraft(
        title=title, kind=kind, description=description, work_item=work_item,
        nominate_from=as_aware(nominate_from), nominate_until=as_aware(nominate_until),
        vote_from=as_aware(vote_from), vote_until=as_aware(vote_until), publicity_days=publicity_days,
        votes_per_voter=votes_per_voter, forbid_own_department=forbid_own_department, forbid_self=not allow_self,
        result_method=method, vote_weight=vote_weight,
    )
    selection = selections.create_selection(db.session, draft, audit.Actor.cli(), None)
    if publish:
        selections.publish_selection(db.session, selection.id, audit.Actor.cli())
    click.echo(f"已创建评选 #{selection.id}「{selection.title}」（{selection.kind_label}），"
               f"投票 {format_local(selection.vote_from)} 至 {format_local(selection.vote_until)}，"
               f"状态：{selection.phase_label()}。")


@selections_cli.command("list")
def list_selections() -> None:
    """列出所有评选及其阶段。"""
    rows = db.session.scalars(selections.selections_statement(admin=True)).all()
    if not rows:
        click.echo("还没有评选。")
    for selection in rows:
        click.echo(f"#{selection.id} {selection.title}（{selection.kind_label}）{selection.phase_label()} "
                   f"投票 {format_local(selection.vote_from)}–{format_local(selection.vote_until)}")


@selections_cli.command("publish")
@click.argument("selection_id", type=params.database_id())
def publish_selection(selection_id: int) -> None:
    """发布草稿评选（群内通知）。"""
    selection = selections.publish_selection(db.session, selection_id, audit.Actor.cli())
    click.echo(f"评选 #{selection.id}「{selection.title}」已发布，当前阶段：{selection.phase_label()}。")


@selections_cli.command("nominate")
@click.argument("selection_id", type=params.database_id())
@click.option("--person", "employee_no", default=None, help="推荐个人：工号（推荐家庭时为联系人工号）。")
@click.option("--department", "department_name", default=None, help="推荐集体：部门名称。")
@click.option("--family", "family_name", default=None, type=params.Text(1, selections.TITLE_MAX), help="推荐家庭：家庭名称。")
@click.option("--reasons", required=True, type=params.Text(1, selections.DESCRIPTION_MAX), help="推荐理由。")
def nominate(selection_id: int, employee_no: str | None, department_name: str | None, family_name: str | None, reasons: str) -> None:
    """推荐一个参评对象（个人、集体或家庭）。"""
    person = staff.get_staff(db.session, employee_no) if employee_no else None
    department = None
    if department_name:
        department = db.session.scalar(select(Department).where(Department.name == department_name.strip()))
        if department is None:
            raise params.CommandError(f"没有名为「{department_name}」的部门")
    subject = "family" if family_name else "department" if department else "person"
    nomination = selections.Nomination(subject=subject, reasons=reasons, staff_id=person.id if person else None,
                                       department_id=department.id if department else None, family_name=family_name)
    entry = selections.nominate(db.session, selection_id, nomination, audit.Actor.cli())
    click.echo(f"已推荐 #{entry.id} {entry.title}（{entry.subject_label}，{entry.department.name}）。")


@selections_cli.command("standings")
@click.argument("selection_id", type=params.database_id())
def standings(selection_id: int) -> None:
    """实时排名（含票数和评委平均分；仅管理员可见）。"""
    selection = selections.get_selection(db.session, selection_id, admin=True)
    rows = voting.standings(db.session, selection)
    if not rows:
        click.echo("还没有通过审核的参评对象。")
    for row in rows:
        jury = "—" if row.jury_score is None else f"{row.jury_score:g}"
        click.echo(f"{row.rank}{'（并列）' if row.tied else ''} {row.entry.title}（{row.entry.department.name}）"
                   f" 得票 {row.votes} 评委 {jury} 综合 {row.score:g}")


@selections_cli.command("publish-results")
@click.argument("selection_id", type=params.database_id())
def publish_results(selection_id: int) -> None:
    """投票结束后公布结果：固定名次、开始公示、群内发布公示。"""
    results = voting.publish_results(db.session, selection_id, audit.Actor.cli())
    tied = sum(1 for r in results if r.tied)
    click.echo(f"已公布 {len(results)} 个参评对象的名次" + (f"，其中 {tied} 个并列。" if tied else "。"))


@selections_cli.command("export")
@click.argument("selection_id", type=params.database_id())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="结果 .xlsx。")
def export_results(selection_id: int, output: Path) -> None:
    """导出已公布的结果名单（xlsx，台账材料）。"""
    count = voting.export_results(db.session, selection_id, _xlsx(output))
    click.echo(f"已导出 {count} 行到 {output}。")


# ---- pledges -----------------------------------------------------------------------------------


@pledges_cli.command("create")
@click.option("--title", required=True, type=params.Text(1, pledges.TITLE_MAX), help="如“诚信承诺书”。")
@click.option("--body-file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="承诺书正文（UTF-8 文本文件）。")
@click.option("--opens", required=True, type=LOCAL_TIME, help="开始签署，YYYY-MM-DDTHH:MM（北京时间）。")
@click.option("--closes", required=True, type=LOCAL_TIME, help="截止签署。")
@click.option("--work-item", type=params.IntRange(1, 18), default=None, help="计入台账的工作项目编号。")
@click.option("--publish", is_flag=True, help="创建后立即发布。")
def create_pledge(title: str, body_file: Path, opens: datetime, closes: datetime, work_item: int | None, publish: bool) -> None:
    """创建承诺书（默认为草稿）。"""
    try:
        body = body_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise params.CommandError("正文文件应为 UTF-8 编码的文本") from exc
    pledge = pledges.create_pledge(db.session, title=title, body=body, opens_at=as_aware(opens), closes_at=as_aware(closes),
                                   work_item=work_item, actor=audit.Actor.cli())
    if publish:
        pledges.publish_pledge(db.session, pledge.id, audit.Actor.cli())
    click.echo(f"已创建承诺书 #{pledge.id}「{pledge.title}」，签署期 {format_local(pledge.opens_at)} 至 "
               f"{format_local(pledge.closes_at)}，状态：{pledge.status_label}。")


@pledges_cli.command("list")
def list_pledges() -> None:
    """列出承诺书。"""
    rows = db.session.scalars(pledges.pledges_statement(admin=True)).all()
    if not rows:
        click.echo("还没有承诺书。")
    for pledge in rows:
        click.echo(f"#{pledge.id} {pledge.title} {pledge.status_label} "
                   f"{format_local(pledge.opens_at)}–{format_local(pledge.closes_at)}")


@pledges_cli.command("publish")
@click.argument("pledge_id", type=params.database_id())
def publish_pledge(pledge_id: int) -> None:
    """发布承诺书（群内通知）。"""
    pledge = pledges.publish_pledge(db.session, pledge_id, audit.Actor.cli())
    click.echo(f"承诺书 #{pledge.id}「{pledge.title}」已发布。")


@pledges_cli.command("rates")
@click.argument("pledge_id", type=params.database_id())
def rates(pledge_id: int) -> None:
    """各部门签署率（在职人数为分母）。"""
    for rate in pledges.signature_rates(db.session, pledge_id):
        click.echo(f"{rate.department}：{rate.signed}/{rate.headcount}（{rate.rate:.0%}）")


@pledges_cli.command("remind")
@click.argument("pledge_id", type=params.database_id())
def remind(pledge_id: int) -> None:
    """提醒未签署的人（每份承诺书每人每天至多一次）。"""
    queued = pledges.remind_unsigned(db.session, pledge_id, audit.Actor.cli())
    click.echo(f"已安排提醒 {queued} 人。" if queued else "今天已提醒过，或所有人都已签署。")


@pledges_cli.command("export")
@click.argument("pledge_id", type=params.database_id())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="签署名单 .xlsx。")
def export_signatures(pledge_id: int, output: Path) -> None:
    """导出签署名单（xlsx，台账材料）。"""
    count = pledges.export_signatures(db.session, pledge_id, _xlsx(output))
    click.echo(f"已导出 {count} 人到 {output}。")

