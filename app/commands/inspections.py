"""``flask --app app inspections …``: 检查考评 rounds from the plan, scoring, locking and corrections,
rectifications, the survey's results, the 通报 (.docx / .pdf) and publishing it, the 检查组 role."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from app.commands import params
from app.extensions import db
from app.models.inspection import RECT_STATUS_NAMES
from app.services import audit
from app.services.inspections import rectifications, report, rounds, surveys
from app.services.ledger.plan import YEAR_MAX, YEAR_MIN
from app.services.staff import get_staff
from app.timeutil import local_today

inspections_cli = params.Group("inspections", help="检查考评：检查轮次、评分、整改、问卷结果和通报。")

YEAR = params.IntRange(YEAR_MIN, YEAR_MAX)
DAY = params.DateTime(formats=["%Y-%m-%d"])
ITEM = params.IntRange(1, 99)


def _round_line(found) -> str:
    total = rounds.points(rounds.total_score(found))
    return (f"#{found.id} {found.title}  {found.starts_on}—{found.ends_on}  [{found.status_name}]  "
            f"得分 {total}/{rounds.points(rounds.max_total(found))}")


@inspections_cli.command("create-round")
@click.option("--from-plan", "from_plan", is_flag=True, required=True, help="按该年度创建计划的 18 项工作建立评分表")
@click.option("--year", required=True, type=YEAR, help="年度")
@click.option("--start", type=DAY, default=None, help="检查开始日期 YYYY-MM-DD（默认今天）")
@click.option("--end", type=DAY, default=None, help="检查结束日期 YYYY-MM-DD（默认同开始日期）")
@click.option("--title", type=params.Text(1, 100), default=None, help="标题（默认如 2026年下半年创建工作检查）")
def create_round_command(from_plan: bool, year: int, start: datetime | None, end: datetime | None,
                         title: str | None) -> None:
    """建立检查轮次：18 项工作的评分表（满分默认合计 100 分）和办公环境检查清单。"""
    del from_plan  # the only way a round is made; the flag says so on the command line
    starts_on = start.date() if start else local_today()
    found = rounds.create_round(db.session, year=year, starts_on=starts_on, ends_on=end.date() if end else starts_on,
                                actor=audit.Actor.cli(), title=title)
    click.echo(f"已建立检查轮次 {_round_line(found)}，{len(found.scores)} 项工作。")


@inspections_cli.command("edit")
@click.argument("round_id", type=params.database_id())
@click.option("--title", type=params.Text(1, 100), default=None, help="标题")
@click.option("--addressees", type=params.Text(1, 200), default=None, help="通报主送，如 各部门")
@click.option("--issuer", type=params.Text(1, 100), default=None, help="通报发文机关")
@click.option("--document-no", type=params.Text(0, 50), default=None, help="文号，如 文明办〔2026〕5号（空字符串清除）")
def edit_command(round_id: int, title: str | None, addressees: str | None, issuer: str | None,
                 document_no: str | None) -> None:
    """修改检查轮次的标题和通报的主送、发文机关、文号。"""
    found = rounds.update_details(db.session, round_id, audit.Actor.cli(), title=title, addressees=addressees,
                                  issuer=issuer, document_no=document_no)
    click.echo(f"已更新 #{found.id} {found.title}：主送 {found.addressees}，发文机关 {found.issuer}，"
               f"文号 {found.document_no or '无'}。")


@inspections_cli.command("list")
def list_command() -> None:
    """列出检查轮次。"""
    found = rounds.list_rounds(db.session)
    if not found:
        click.echo("还没有检查轮次。")
    for each in found:
        click.echo(_round_line(each))


@inspections_cli.command("show")
@click.argument("round_id", type=params.database_id())
def show_command(round_id: int) -> None:
    """评分表：每项的满分、得分、存在问题，以及台账进度。"""
    found, lines = rounds.score_sheet(db.session, round_id)
    click.echo(_round_line(found))
    for line in lines:
        score = "未评" if line.line.score is None else rounds.points(line.line.score)
        ledger = f"台账：{line.progress.status}" if line.progress else "台账：无"
        click.echo(f"  {line.line.number:>2}. {line.line.title}  {score}/{rounds.points(line.line.max_score)}  {ledger}")
        if line.progress and line.progress.missing:
            click.echo(f"      {line.progress.missing_text}")
        if line.line.findings:
            click.echo(f"      存在问题：{line.line.findings}")


@inspections_cli.command("score")
@click.argument("round_id", type=params.database_id())
@click.option("--item", "number", required=True, type=ITEM, help="工作项编号")
@click.option("--score", type=params.FloatRange(0, 1000), default=None, help="得分")
@click.option("--findings", type=params.Text(0, 2000), default=None, help="存在问题")
def score_command(round_id: int, number: int, score: float | None, findings: str | None) -> None:
    """为一项工作评分（草稿状态）。"""
    if score is None and findings is None:
        raise params.UsageProblem("请给出 --score 或 --findings")
    line = rounds.score_item(db.session, round_id, number, score=score, findings=findings, scorer=None,
                             actor=audit.Actor.cli())
    click.echo(f"第 {line.number} 项「{line.title}」：{rounds.points(line.score) if line.score is not None else '未评'}"
               f"/{rounds.points(line.max_score)} 分。")


@inspections_cli.command("set-max")
@click.argument("round_id", type=params.database_id())
@click.option("--item", "number", required=True, type=ITEM, help="工作项编号")
@click.option("--max", "max_score", required=True, type=params.FloatRange(0, 1000), help="满分")
def set_max_command(round_id: int, number: int, max_score: float) -> None:
    """修改一项工作的满分（草稿状态）。"""
    line = rounds.set_max_score(db.session, round_id, number, max_score, audit.Actor.cli())
    found = rounds.get_round(db.session, round_id)
    click.echo(f"第 {line.number} 项满分改为 {rounds.points(line.max_score)} 分；合计满分 "
               f"{rounds.points(rounds.max_total(found))} 分。")


@inspections_cli.command("submit")
@click.argument("round_id", type=params.database_id())
def submit_command(round_id: int) -> None:
    """提交评分（每项都评分后）。"""
    click.echo(f"已提交：{_round_line(rounds.submit_round(db.session, round_id, audit.Actor.cli()))}")


@inspections_cli.command("reopen")
@click.argument("round_id", type=params.database_id())
def reopen_command(round_id: int) -> None:
    """把已提交的检查轮次退回草稿。"""
    click.echo(f"已退回草稿：{_round_line(rounds.reopen_round(db.session, round_id, audit.Actor.cli()))}")


@inspections_cli.command("lock")
@click.argument("round_id", type=params.database_id())
def lock_command(round_id: int) -> None:
    """锁定检查轮次；此后分数只能通过 correct 更正（留痕）。"""
    click.echo(f"已锁定：{_round_line(rounds.lock_round(db.session, round_id, audit.Actor.cli()))}")


@inspections_cli.command("correct")
@click.argument("round_id", type=params.database_id())
@click.option("--item", "number", required=True, type=ITEM, help="工作项编号")
@click.option("--score", required=True, type=params.FloatRange(0, 1000), help="更正后的得分")
@click.option("--reason", required=True, type=params.Text(2, 200), help="更正原因")
def correct_command(round_id: int, number: int, score: float, reason: str) -> None:
    """更正已锁定检查轮次的得分（记入审计日志）。"""
    line = rounds.correct_score(db.session, round_id, number, score, reason, audit.Actor.cli())
    click.echo(f"已更正第 {line.number} 项得分为 {rounds.points(line.score)} 分（原因：{reason}）。")


@inspections_cli.command("rectify")
@click.argument("round_id", type=params.database_id())
@click.option("--responsible", required=True, help="责任人工号（整改部门为其所在部门）")
@click.option("--deadline", required=True, type=DAY, help="整改期限 YYYY-MM-DD")
@click.option("--requirement", required=True, type=params.Text(2, 1000), help="整改要求")
@click.option("--item", "number", type=ITEM, default=None, help="对应的工作项编号")
def rectify_command(round_id: int, responsible: str, deadline: datetime, requirement: str, number: int | None) -> None:
    """提出整改要求；责任人收到企业微信应用消息。"""
    found = rectifications.add_rectification(db.session, round_id, requirement=requirement,
                                             responsible_employee_no=responsible, deadline=deadline.date(),
                                             actor=audit.Actor.cli(), number=number)
    click.echo(f"已提出整改要求 #{found.id}：{found.department.name}（{found.responsible.name}），"
               f"{found.deadline} 前完成。")


@inspections_cli.command("rectifications")
@click.option("--round", "round_id", type=params.database_id(), default=None, help="检查轮次")
@click.option("--status", type=params.Choice(list(RECT_STATUS_NAMES)), default=None, help="状态")
def rectifications_command(round_id: int | None, status: str | None) -> None:
    """整改要求及其状态，按期限排列。"""
    found = rectifications.list_rectifications(db.session, round_id=round_id, status=status)
    if not found:
        click.echo("没有整改要求。")
    today = local_today()
    for each in found:
        late = "（已逾期）" if each.status == "pending" and each.deadline < today else ""
        click.echo(f"#{each.id} [{each.status_name}]{late} {each.deadline} {each.department.name} "
                   f"{each.responsible.name}：{each.requirement}")


@inspections_cli.command("survey")
@click.argument("round_id", type=params.database_id())
def survey_command(round_id: int) -> None:
    """为检查轮次建立问卷（默认题目：知晓率、参与、支持、满意度、意见建议）。"""
    survey = surveys.create_survey(db.session, round_id, audit.Actor.cli())
    click.echo(f"已建立问卷 #{survey.id}「{survey.title}」，{len(survey.questions)} 道题。")


@inspections_cli.command("survey-results")
@click.argument("survey_id", type=params.database_id())
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="另存为图表 PDF，如 问卷结果.pdf")
def survey_results_command(survey_id: int, output: Path | None) -> None:
    """问卷结果：各题选项统计和各部门参与率（匿名）；-o 另存为图表 PDF。"""
    if output is not None:
        _check_output(output, ("pdf",))
        _write(output, report.survey_pdf(db.session, survey_id))
        return
    results = surveys.survey_results(db.session, survey_id)
    click.echo(f"{results.survey.title}：回收 {results.responses} 份，参与率 {results.rate:g}%")
    for result in results.questions:
        click.echo(f"  {result.question.position}. {result.question.text}")
        for index, option in enumerate(result.question.options):
            click.echo(f"     {option}：{result.counts[index]}（{result.share(index):g}%）")
        for text in result.texts:
            click.echo(f"     · {text}")
    for department in results.departments:
        click.echo(f"  {department.department}：{department.answered}/{department.headcount}（{department.rate:g}%）")


@inspections_cli.command("report")
@click.argument("round_id", type=params.database_id())
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="通报.docx 或 通报.pdf")
def report_command(round_id: int, output: Path) -> None:
    """生成通报（.docx 或 .pdf，按扩展名）。"""
    fmt = _check_output(output, ("docx", "pdf"))
    _write(output, report.render_report(db.session, round_id, fmt))


def _check_output(output: Path, formats: tuple[str, ...]) -> str:
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in formats:
        raise params.InvalidParameter(f"文件名应以 {' 或 '.join('.' + f for f in formats)} 结尾", param_hint="-o")
    if output.is_dir() or not output.parent.is_dir():
        raise params.InvalidParameter(f"{output} 不是一个可写入的文件名（目录不存在或是目录）", param_hint="-o")
    return fmt


def _write(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise params.CommandError(f"无法写入 {output}：{exc.strerror}") from exc
    click.echo(f"已生成 {output}（{len(data) // 1024} KB）。")


@inspections_cli.command("publish")
@click.argument("round_id", type=params.database_id())
@click.option("--by", "employee_no", required=True, help="发布人工号（公告署名）")
def publish_command(round_id: int, employee_no: str) -> None:
    """发布通报：摘要作为公告推送到各群，.docx 存入台账第 2 项（每个检查轮次一次）。"""
    found = report.publish_report(db.session, round_id, get_staff(db.session, employee_no))
    click.echo(f"已发布「{found.title}」的通报：公告已排队推送，通报已存入台账第 {report.FILED_ITEM} 项。")


@inspections_cli.command("set-template")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def set_template_command(file: Path) -> None:
    """使用自己的通报模板（.docx：页面、样式、红头；{{正文}} 处放通报内容）。"""
    with file.open("rb") as stream:
        path = report.save_template(stream, audit.Actor.cli(), db.session)
    click.echo(f"已设置通报模板（{path.name}）。")
