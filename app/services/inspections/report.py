"""The 通报: the round's result as an official notice, in Word (python-docx) and PDF (WeasyPrint).

Layout of a 党政机关公文 (GB/T 9704): A4, title in 方正小标宋简体 二号 centred, 主送 flush left, body in
仿宋_GB2312 三号 with 2-character indents, level-one headings (一、二、…) in 黑体, the tables of item
scores and department ranking, the main problems, the rectification requirements with deadlines, the
issuing office and the date at the lower right. The .docx names the fonts offices expect and records,
in its font table, an alternate name and the GB2312 character set for each, so Word or WPS
substitutes 仿宋 / 宋体 / 黑体 where those are missing; the PDF falls back to Noto CJK (``fonts-noto-cjk``).

The template is editable: a .docx an admin uploads (``save_template``) or names in
``INSPECTION_REPORT_TEMPLATE`` gives the page set-up, styles, header and footer (a 红头 letterhead).
Its ``{{发文机关}}``, ``{{文号}}``, ``{{标题}}`` and ``{{日期}}`` are filled in, and the notice goes where
a paragraph reads ``{{正文}}`` (or after the template's own text without one).

``publish_report`` files the .docx in the 台账 under item 2 and announces a summary to the groups
through the outbox, once per round.
"""

from __future__ import annotations

import gc
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import InspectionRound, Staff, Survey
from app.models.base import utcnow
from app.models.inspection import QUESTION_KIND_NAMES, QUESTION_SINGLE, ROUND_LOCKED
from app.services import announcements, audit
from app.services.inspections import checks, rectifications, rounds, surveys
from app.services.inspections.errors import Invalid, RoundWrongState, TemplateUnusable
from app.services.ledger import documents
from app.services.ledger.plan import get_item
from app.timeutil import format_local, local_today

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
# name -> (alternate a system without it uses, panose-1); all GB2312 (charset 86).
FONT_FALLBACKS = {
    BODY_FONT: ("仿宋", "02010609030101010101"),
    TITLE_FONT: ("宋体", "02010600030101010101"),
    HEADING_FONT: ("SimHei", "02010609060101010101"),
}
NUMERALS = "一二三四五六七八九十"
FILED_ITEM = 2  # 台账: 通报 are evidence of item 2 (the leading group's checking and assessment)
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _number(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)).normalize():f}"


@dataclass
class Notice:
    """The 通报's content, shared by the .docx and the PDF."""

    title: str
    document_no: str | None
    addressees: str
    intro: str
    overall: list[str]
    item_rows: list[list[str]]  # 序号, 工作项, 满分, 得分, 存在问题
    total: str
    department_rows: list[list[str]]  # 排名, 部门, 得分, 通过项目, 未通过项目
    problems: list[str]
    requirements: list[str]
    closing: str
    issuer: str
    dated: date
    sections: list[str] = field(default_factory=lambda: [
        "一、总体情况", "二、各项工作得分情况", "三、办公环境检查情况", "四、存在的主要问题", "五、整改要求"])


def _survey_sentence(session: Session, found: InspectionRound) -> str:
    survey = session.scalar(select(Survey).where(Survey.round_id == found.id))
    if survey is None:
        return ""
    results = surveys.survey_results(session, survey.id)
    parts = [f"问卷调查共回收有效问卷 {results.responses} 份，参与率 {results.rate:g}%"]
    for result in results.questions:
        question = result.question
        if question.kind != QUESTION_SINGLE or not result.answered:
            continue
        if "知道" in question.text and "知晓率" not in "".join(parts):
            parts.append(f"创建工作知晓率 {result.share(0):g}%")
        elif "满意" in question.text and "满意度" not in "".join(parts):
            satisfied = sum(result.counts[i] for i, option in enumerate(question.options)
                            if "满意" in option and "不满意" not in option)
            parts.append(f"满意度 {round(100 * satisfied / result.answered, 1):g}%")
    return "，".join(parts) + "。"


def build_notice(session: Session, round_id: int, dated: date | None = None) -> Notice:
    found = rounds.get_round(session, round_id)
    total, maximum = rounds.total_score(found), rounds.max_total(found)
    full = [line for line in found.scores if line.score is not None and line.score >= line.max_score]
    lost = sorted((line for line in found.scores if line.score is not None and line.score < line.max_score),
                  key=lambda line: (line.score - line.max_score, line.number))
    departments = checks.department_results(session, found.id)
    overall = [f"本次检查总得分 {_number(total)} 分（满分 {_number(maximum)} 分）。{len(found.scores)} 项工作中，"
               f"{len(full)} 项得满分" + (f"，失分较多的是{'、'.join(f'“{line.title}”' for line in lost[:3])}" if lost else "")
               + "。"]
    if departments:
        best = [d.department for d in departments if d.rank == 1]
        overall.append(f"办公环境实地考察共检查 {len(departments)} 个部门，{'、'.join(best)}得分最高。")
    survey = _survey_sentence(session, found)
    if survey:
        overall.append(survey)
    problems = [f"{line.title}：{line.findings}" for line in found.scores if line.findings]
    problems += [f"{d.department}办公环境：{'；'.join(d.failures)}" for d in departments if d.failures]
    requirements = [
        f"{r.department.name}（责任人：{r.responsible.name}）：{r.requirement}，{_date_text(r.deadline)}前完成整改。"
        for r in rectifications.list_rectifications(session, round_id=found.id)
    ]
    return Notice(
        title=f"关于{found.title}情况的通报",
        document_no=found.document_no,
        addressees=found.addressees,
        intro=(f"为深入推进文明单位创建工作，根据创建工作实施意见“每年组织1-2次检查，结果进行通报”的要求，"
               f"{found.issuer}于{_date_text(found.starts_on)}至{_date_text(found.ends_on)}组织检查组，采取实地考察、"
               "材料审核、问卷调查相结合的方式，对创建工作进行了检查。现将检查情况通报如下："),
        overall=overall,
        item_rows=[[str(line.number), line.title, _number(line.max_score), _number(line.score), line.findings or "—"]
                   for line in found.scores],
        total=f"{_number(total)} / {_number(maximum)}",
        department_rows=[[str(d.rank), d.department, _number(d.score), f"{d.passed}/{d.points}",
                          "；".join(d.failures) or "—"] for d in departments],
        problems=problems,
        requirements=requirements,
        closing="请各部门对照检查发现的问题，按要求认真整改，并在整改期限内通过小程序“我的整改”提交整改情况，"
                "创建办将组织验收。",
        issuer=found.issuer,
        dated=dated or local_today(),
    )


# ---- the .docx ---------------------------------------------------------------------------------


def template_path() -> Path | None:
    uploaded = checks.photo_folder() / "report-template.docx"
    if uploaded.exists():
        return uploaded
    configured = current_app.config.get("INSPECTION_REPORT_TEMPLATE")
    return Path(configured) if configured else None


def _open_template(path: Path | None):
    from docx import Document

    if path is None:
        return Document()
    try:
        return Document(str(path))
    except Exception as exc:  # noqa: BLE001 (python-docx raises many kinds for a broken file)
        raise TemplateUnusable(f"通报模板 {path.name} 无法打开：{exc.__class__.__name__}") from exc


def save_template(stream: BinaryIO, actor: audit.Actor, session: Session) -> Path:
    """Store an admin's .docx as the 通报 template (checked by content and opened once)."""
    checked = documents.check_file(stream)
    if checked.extension != ".docx":
        raise Invalid("通报模板应为 Word 文档（.docx）", code="report_template_invalid")
    target = checks.photo_folder()
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / "report-template.docx.new"
    temporary.write_bytes(checked.data)
    try:
        _open_template(temporary)
    except TemplateUnusable:
        temporary.unlink(missing_ok=True)
        raise
    path = target / "report-template.docx"
    temporary.replace(path)
    audit.record(session, actor, "inspection.report_template", None, None, size=len(checked.data))
    session.commit()
    return path


def _register_fallbacks(document) -> None:
    """Add each font to the font table with an alternate name and the GB2312 charset."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    w = f"{{{namespace}}}"
    try:
        part = document.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    root = etree.fromstring(part.blob)
    known = {font.get(f"{w}name") for font in root.findall(f"{w}font")}
    for name, (alternate, panose) in FONT_FALLBACKS.items():
        if name in known:
            continue
        font = etree.SubElement(root, f"{w}font", {f"{w}name": name})
        etree.SubElement(font, f"{w}altName", {f"{w}val": alternate})
        etree.SubElement(font, f"{w}panose1", {f"{w}val": panose})
        etree.SubElement(font, f"{w}charset", {f"{w}val": "86"})
        etree.SubElement(font, f"{w}family", {f"{w}val": "modern" if name != TITLE_FONT else "roman"})
        etree.SubElement(font, f"{w}pitch", {f"{w}val": "fixed" if name != TITLE_FONT else "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _font(run, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _page_number_footer(section) -> None:
    """``— 1 —`` centred at the foot of every page, as a PAGE field Word and WPS fill in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), BODY_FONT, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = paragraph.add_run("1")
    _font(run, BODY_FONT, 14)
    run._r.addprevious(field)
    field.append(run._r)
    _font(paragraph.add_run(" —"), BODY_FONT, 14)


class _Writer:
    """Adds paragraphs in order, at the template's ``{{正文}}`` or at the end of its body."""

    def __init__(self, document) -> None:
        self.document = document
        self.anchor = next((p for p in document.paragraphs if p.text.strip() == "{{正文}}"), None)

    def paragraph(self):
        if self.anchor is None:
            return self.document.add_paragraph()
        return self.anchor.insert_paragraph_before()

    def table(self, rows: int, columns: int):
        table = self.document.add_table(rows=rows, cols=columns)
        if self.anchor is not None:
            self.anchor._p.addprevious(table._tbl)
        return table

    def finish(self) -> None:
        if self.anchor is not None:
            self.anchor._p.getparent().remove(self.anchor._p)


def _fill_placeholders(document, values: dict[str, str]) -> None:
    containers = [document, *(s.header for s in document.sections), *(s.footer for s in document.sections)]
    for container in containers:
        for paragraph in container.paragraphs:
            text = paragraph.text
            if "{{" not in text or text.strip() == "{{正文}}":
                continue
            for key, value in values.items():
                text = text.replace(f"{{{{{key}}}}}", value)
            if text != paragraph.text and paragraph.runs:
                paragraph.runs[0].text = text
                for run in paragraph.runs[1:]:
                    run.text = ""


def notice_docx(notice: Notice, template: Path | None = None) -> bytes:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    document = _open_template(template)
    if template is None:
        section = document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        _page_number_footer(section)
    _register_fallbacks(document)
    _fill_placeholders(document, {"发文机关": notice.issuer, "文号": notice.document_no or "",
                                  "标题": notice.title, "日期": _date_text(notice.dated)})
    writer = _Writer(document)

    def line(text: str, *, font: str = BODY_FONT, size: float = 16, align=None, indent: bool = True,
             before: float = 0):
        paragraph = writer.paragraph()
        fmt = paragraph.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28 if size >= 16 else 22)
        fmt.space_before, fmt.space_after = Pt(before), Pt(0)
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if align is not None:
            paragraph.alignment = align
        _font(paragraph.add_run(text), font, size)
        return paragraph

    if notice.document_no and template is None:
        line(notice.document_no, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    line(notice.title, font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, before=12)
    line("", indent=False)
    line(f"{notice.addressees}：", indent=False)
    line(notice.intro)

    def table(headers: list[str], rows: list[list[str]], widths: list[float]) -> None:
        table = writer.table(1 + len(rows), len(headers))
        table.style = document.styles["Table Grid"] if "Table Grid" in [s.name for s in document.styles] else None
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row_index, values in enumerate([headers, *rows]):
            for column, value in enumerate(values):
                cell = table.cell(row_index, column)
                cell.width = Mm(widths[column])
                paragraph = cell.paragraphs[0]
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if column != len(values) - 1 or row_index == 0 \
                    else WD_ALIGN_PARAGRAPH.LEFT
                _font(paragraph.add_run(value), HEADING_FONT if row_index == 0 else BODY_FONT, 12)

    sections = iter(notice.sections)
    line(next(sections), font=HEADING_FONT)
    for text in notice.overall:
        line(text)
    line(next(sections), font=HEADING_FONT)
    table(["序号", "工作项", "满分", "得分", "存在问题"], [*notice.item_rows, ["", "合计", "", notice.total, ""]],
          [12, 60, 14, 14, 56])
    line(next(sections), font=HEADING_FONT, before=6)
    if notice.department_rows:
        table(["排名", "部门", "得分", "通过项目", "未通过项目"], notice.department_rows, [12, 40, 16, 20, 68])
    else:
        line("本次检查未开展部门办公环境实地考察。")
    line(next(sections), font=HEADING_FONT, before=6)
    for index, text in enumerate(notice.problems or ["本次检查未发现突出问题。"], start=1):
        line(f"（{NUMERALS[index - 1] if index <= 10 else index}）{text}" if notice.problems else text)
    line(next(sections), font=HEADING_FONT)
    for index, text in enumerate(notice.requirements, start=1):
        line(f"{index}. {text}")
    line(notice.closing)
    line("", indent=False)
    line(notice.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    line(_date_text(notice.dated), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    writer.finish()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---- the PDF -----------------------------------------------------------------------------------


def notice_pdf(notice: Notice) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    html = _env.get_template("notice.html").render(notice=notice, dated=_date_text(notice.dated), numerals=NUMERALS)
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    gc.collect()  # see app.services.ledger.report: a rendered document is a web of reference cycles
    return pdf


def survey_pdf(session: Session, survey_id: int) -> bytes:
    """A survey's results as bar charts per question and the response rate per department (no names)."""
    from weasyprint import HTML

    results = surveys.survey_results(session, survey_id)
    html = _env.get_template("survey.html").render(results=results, kinds=QUESTION_KIND_NAMES,
                                                    generated=format_local(utcnow()))
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    gc.collect()
    return pdf


def render_report(session: Session, round_id: int, fmt: str, dated: date | None = None) -> bytes:
    notice = build_notice(session, round_id, dated)
    if fmt == "docx":
        return notice_docx(notice, template_path())
    if fmt == "pdf":
        return notice_pdf(notice)
    raise Invalid("通报格式应为 docx 或 pdf", code="report_format_invalid")


# ---- publishing --------------------------------------------------------------------------------


def _summary(found: InspectionRound, notice: Notice) -> str:
    lines = [f"{notice.title}", notice.overall[0]]
    if notice.department_rows:
        top = "、".join(f"{row[1]}（{row[2]}分）" for row in notice.department_rows[:3])
        lines.append(f"办公环境检查排名前列：{top}。")
    if notice.requirements:
        lines.append(f"共提出整改要求 {len(notice.requirements)} 项，请各责任人在期限内完成整改并在小程序“我的整改”中提交。")
    lines.append(f"——{found.issuer}")
    return "\n".join(lines)


def publish_report(session: Session, round_id: int, author: Staff, today: date | None = None) -> InspectionRound:
    """Once per locked round: file the .docx under item 2 and announce a summary to the groups."""
    found = rounds.get_round(session, round_id)
    if found.status != ROUND_LOCKED:
        raise RoundWrongState("检查轮次锁定后才能发布通报", code="round_not_locked")
    today = today or local_today()
    year = found.starts_on.year
    dated = min(today, date(year, 12, 31))
    notice = build_notice(session, found.id, dated)
    data = notice_docx(notice, template_path())
    claimed = session.execute(update(InspectionRound)
                              .where(InspectionRound.id == found.id, InspectionRound.published_at.is_(None))
                              .values(published_at=utcnow()))
    if claimed.rowcount != 1:
        session.rollback()
        raise RoundWrongState("该检查轮次的通报已经发布", code="report_already_published")
    announcements.publish_announcement(session, author, _summary(found, notice))
    audit.record(session, audit.Actor.staff(author.id), "inspection.publish", "inspection_round", found.id)
    # add_document commits the announcement, the claim and the filed document together (or none).
    documents.add_document(session, item_id=get_item(session, year, FILED_ITEM).id, kind="其他",
                           title=notice.title[:100], stream=io.BytesIO(data), filename=f"{notice.title[:90]}.docx",
                           actor=audit.Actor.staff(author.id), uploader=author, dated=dated)
    return rounds.get_round(session, found.id)

