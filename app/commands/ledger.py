"""``flask --app app plan …`` and ``flask --app app ledger …``: the year's 创建 plan, its progress,
tagging events, uploading documents and exporting the inspection pack (台账)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from app.commands import params
from app.extensions import db
from app.ledger_plan import AREA_NUMERALS, TRADITIONAL_FESTIVALS
from app.models.ledger import EVIDENCE_KINDS
from app.services import audit
from app.services.ledger import evidence, plan, progress
from app.services.ledger.plan import YEAR_MAX, YEAR_MIN

plan_cli = params.Group("plan", help="创建计划：按年度安装 6 个方面 18 项工作，查看进度。")
ledger_cli = params.Group("ledger", help="创建台账：活动归项、上传材料、导出迎检台账。")

YEAR = params.IntRange(YEAR_MIN, YEAR_MAX)


@plan_cli.command("init")
@click.option("--year", required=True, type=YEAR, help="年度，如 2026")
@click.option("--from", "from_year", type=YEAR, default=None, help="复制该年度的责任部门、责任人和目标")
def init_command(year: int, from_year: int | None) -> None:
    """安装某年度的创建计划（默认按实施意见的 6 个方面 18 项工作）。"""
    created = plan.init_plan(db.session, year, audit.Actor.cli(), from_year=from_year)
    source = f"（复制自 {from_year} 年）" if from_year else "（默认计划）"
    click.echo(f"已创建 {year} 年创建计划{source}：{len(created.areas)} 个方面，{len(created.items)} 项工作。")


@plan_cli.command("status")
@click.option("--year", required=True, type=YEAR, help="年度")
@click.option("--half", type=params.Choice(["1", "2"]), default=None, help="只看上半年（1）或下半年（2）")
def status_command(year: int, half: str | None) -> None:
    """各项工作的进度：未开展 / 进行中 / 已达标，以及还缺什么。"""
    result = progress.plan_progress(db.session, year, int(half) if half else None)
    period = progress.HALF_NAMES[int(half)] if half else "全年"
    counts = {name: sum(1 for p in result.items if p.status == name)
              for name in (progress.ACHIEVED, progress.IN_PROGRESS, progress.NOT_STARTED)}
    click.echo(f"{year} 年创建计划进度（{period}）：" + "，".join(f"{name} {n} 项" for name, n in counts.items()))
    area_id = None
    for item_progress in result.items:
        item = item_progress.item
        if item.area_id != area_id:
            area_id = item.area_id
            click.echo(f"（{AREA_NUMERALS.get(item.area.number, item.area.number)}）{item.area.title}")
        owner = item.owner.name if item.owner else "未指定"
        departments = "、".join(item.departments) or "未指定"
        click.echo(f"  {item.number:>2}. [{item_progress.status}] {item.title}  责任部门：{departments}  责任人：{owner}")
        if item_progress.missing:
            click.echo(f"      {item_progress.missing_text}")
        for chosen in item_progress.selections:
            click.echo(f"      评选：{chosen.title}（{chosen.day:%Y-%m-%d} 公布结果，{chosen.entries} 个参评对象）")
        for pledge in item_progress.pledges:
            click.echo(f"      承诺：{pledge.title}（{pledge.day:%Y-%m-%d} 起签署，{pledge.signatures} 人已签署）")


@plan_cli.command("edit-item")
@click.option("--year", required=True, type=YEAR, help="年度")
@click.option("--item", "number", required=True, type=params.IntRange(1, 99), help="工作项编号")
@click.option("--department", "departments", multiple=True, help="责任部门（可重复；替换原有）")
@click.option("--owner", default=None, help="责任人工号")
@click.option("--no-owner", is_flag=True, help="清除责任人")
@click.option("--evidence", "evidence_kinds", multiple=True, type=params.Choice(EVIDENCE_KINDS),
              help="需要的材料类型（可重复；替换原有）")
def edit_item_command(year, number, departments, owner, no_owner, evidence_kinds) -> None:
    """修改工作项的责任部门、责任人或所需材料。"""
    if owner and no_owner:
        raise params.UsageProblem("--owner 与 --no-owner 不能同时使用")
    item = plan.update_item(
        db.session, year, number, audit.Actor.cli(),
        departments=list(departments) or None, owner_employee_no=owner, clear_owner=no_owner,
        evidence_kinds=list(evidence_kinds) or None,
    )
    owner_name = item.owner.name if item.owner else "未指定"
    click.echo(f"已更新第 {item.number} 项「{item.title}」：责任部门 {'、'.join(item.departments) or '未指定'}，"
               f"责任人 {owner_name}。")


@ledger_cli.command("tag-event")
@click.argument("event_id", type=params.database_id())
@click.option("--item", "numbers", required=True, multiple=True, type=params.IntRange(1, 99),
              help="计入的工作项编号（可重复；替换原有归项）")
@click.option("--festival", type=params.Choice(TRADITIONAL_FESTIVALS), default=None, help="传统节日活动对应的节日")
def tag_event_command(event_id: int, numbers: tuple[int, ...], festival: str | None) -> None:
    """指定活动计入哪些工作项（默认按活动类型归项）。"""
    items = evidence.tag_event_by_numbers(db.session, event_id, list(numbers), audit.Actor.cli(), festival)
    click.echo(f"活动 {event_id} 计入：" + "；".join(item.label for item in items))


@ledger_cli.command("add-document")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", required=True, type=YEAR, help="年度")
@click.option("--item", "number", required=True, type=params.IntRange(1, 99), help="工作项编号")
@click.option("--kind", required=True, type=params.Choice(EVIDENCE_KINDS), help="材料类型")
@click.option("--title", type=params.Text(1, 100), default=None, help="标题（默认为文件名）")
@click.option("--event", "event_id", type=params.database_id(), default=None, help="所属活动（照片等）")
@click.option("--date", "dated", type=params.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="材料日期 YYYY-MM-DD（默认今天，或活动当天）")
def add_document_command(file: Path, year: int, number: int, kind: str, title: str | None, event_id: int | None,
                         dated: datetime | None) -> None:
    """上传一份台账材料（PDF、DOCX、XLSX、JPEG、PNG；按内容识别，照片去除 EXIF/GPS）。"""
    from app.services.ledger import documents

    try:
        item = plan.get_item(db.session, year, number)
        with file.open("rb") as stream:
            document = documents.add_document(
                db.session, item_id=item.id, kind=kind, title=title or file.stem, stream=stream, filename=file.name,
                actor=audit.Actor.cli(), event_id=event_id, dated=dated.date() if dated else None,
            )
    except OSError as exc:
        raise params.CommandError(f"无法读取 {file}：{exc.strerror}") from exc
    click.echo(f"已上传材料 #{document.id}「{document.title}」（{document.kind}，{document.size} 字节）到第 {number} 项。")


@ledger_cli.command("export")
@click.option("--year", required=True, type=YEAR, help="年度")
@click.option("--item", "number", type=params.IntRange(1, 99), default=None, help="只导出某一项")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="输出的 zip 文件，如 台账2026.zip")
def export_command(year: int, number: int | None, output: Path) -> None:
    """导出迎检台账（zip：目录.xlsx、各项活动签到表、照片、活动记录、材料、创建工作报告.pdf）。"""
    from app.services.ledger import export

    if output.is_dir():
        raise params.InvalidParameter(f"{output} 是一个目录，请给出 zip 文件名", param_hint="-o")
    with click.progressbar(length=1, label="导出台账") as bar:
        def advance(step: int, total: int, _what: str) -> None:
            bar.length = total
            bar.update(step - bar.pos)

        try:
            result = export.export_ledger(db.session, year, output, number, progress=advance)
        except OSError as exc:
            raise params.CommandError(f"无法写入 {output}：{exc.strerror}") from exc
    click.echo(f"已导出 {result.path}：{result.files} 个文件，{result.size / (1024 * 1024):.1f} MB。")
    if result.skipped:
        click.echo(f"注意：{len(result.skipped)} 个文件在存储中找不到，未放入台账：" + "；".join(result.skipped[:5]), err=True)
