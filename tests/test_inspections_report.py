"""The 通报: a .docx in the layout of an official notice (read back with python-docx), a PDF whose text
extracts back (pdftotext), an admin's template, and publishing once: a summary to the groups through the
outbox and the .docx filed under item 2 of the 台账."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, LedgerDocument, OutboxMessage, PushTarget
from app.services import audit
from app.services.inspections import checks, rectifications, report, surveys
from app.services.inspections.errors import Invalid, RoundWrongState, TemplateUnusable
from app.services.ledger.errors import DocumentTypeNotAllowed
from tests import factories
from tests.inspection_helpers import TODAY, lock, make_inspector, make_round
from tests.ledger_helpers import pdf_bytes
from tests.test_inspections_survey import default_answers

DATED = date(2026, 12, 1)


@pytest.fixture
def finished(app):
    found = make_round()
    inspector = make_inspector()
    for name, failing in (("办公室", {}), ("财务科", {"禁烟": "楼梯间有烟头"})):
        department = factories.make_department(name)
        for point in found.checkpoints:
            checks.record_check(db.session, found.id, checkpoint_id=point.id, department_id=department.id,
                                passed=point.name not in failing, note=failing.get(point.name, ""), photos=[],
                                inspector=inspector)
    person = factories.make_staff(name="王芳", department="财务科")
    rectifications.add_rectification(db.session, found.id, requirement="清理楼梯间烟头并张贴禁烟标识",
                                     responsible_employee_no=person.employee_no, deadline=date(2026, 12, 15),
                                     actor=audit.Actor.system(), number=14, today=TODAY)
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    surveys.answer_survey(db.session, survey.id, person, default_answers(survey))
    return lock(found)


def paragraph_texts(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text.strip()]


def test_notice_docx_has_the_official_layout_and_chinese_text(finished):
    data = report.render_report(db.session, finished.id, "docx", DATED)
    document = Document(io.BytesIO(data))
    texts = paragraph_texts(document)
    assert texts[0] == "关于2026年下半年创建工作检查情况的通报"
    assert texts[1] == "各部门："
    headings = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、", "五、")]
    assert headings == ["一、总体情况", "二、各项工作得分情况", "三、办公环境检查情况", "四、存在的主要问题", "五、整改要求"]
    assert any("本次检查总得分 98 分（满分 100 分）" in t for t in texts)
    assert any("知晓率 100%" in t and "满意度 100%" in t for t in texts)
    assert any("下半年道德讲堂记录不全" in t for t in texts)
    assert any("财务科（责任人：王芳）：清理楼梯间烟头并张贴禁烟标识，2026年12月15日前完成整改。" in t for t in texts)
    assert texts[-2:] == ["文明单位创建工作领导小组办公室", "2026年12月1日"]
    scores, ranking = document.tables
    assert [c.text for c in scores.rows[0].cells] == ["序号", "工作项", "满分", "得分", "存在问题"]
    assert len(scores.rows) == 1 + 18 + 1
    assert [c.text for c in scores.rows[-1].cells][1:4] == ["合计", "", "98 / 100"]
    assert [[c.text for c in row.cells][:3] for row in ranking.rows[1:]] == [["1", "办公室", "100"], ["2", "财务科", "80"]]
    # Fonts as offices expect: the title in 方正小标宋简体, headings in 黑体, the body in 仿宋_GB2312.
    title, = [p for p in document.paragraphs if p.text == texts[0]]
    heading, = [p for p in document.paragraphs if p.text == "一、总体情况"]
    body = next(p for p in document.paragraphs if p.text.startswith("为深入推进"))
    east_asian = [p.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) for p in (title, heading, body)]
    assert east_asian == ["方正小标宋简体", "黑体", "仿宋_GB2312"]
    fonts = document.part.part_related_by("http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable").blob.decode()
    assert 'w:name="仿宋_GB2312"' in fonts and 'w:altName w:val="仿宋"' in fonts and 'w:charset w:val="86"' in fonts
    section = document.sections[0]
    footer = section.footer.paragraphs[0]
    page_field, = footer._p.xpath("./w:fldSimple")
    assert page_field.get(qn("w:instr")) == "PAGE" and footer.text == "—  —"  # the field's run is its own
    assert (round(section.page_width.mm), round(section.top_margin.mm), round(section.left_margin.mm)) == (210, 37, 28)


def test_notice_pdf_text_extracts_back(finished, tmp_path):
    path = tmp_path / "通报.pdf"
    path.write_bytes(report.render_report(db.session, finished.id, "pdf", DATED))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    compact = "".join(text.split())
    for expected in ("关于2026年下半年创建工作检查情况的通报", "一、总体情况", "本次检查总得分98分", "办公室",
                     "清理楼梯间烟头并张贴禁烟标识", "文明单位创建工作领导小组办公室", "2026年12月1日"):
        assert expected in compact, expected


def test_admin_template_gives_the_letterhead_and_takes_the_notice_at_its_marker(finished, tmp_path):
    template = Document()
    template.sections[0].header.paragraphs[0].text = "{{发文机关}}文件"
    template.add_paragraph("红头：{{文号}}")
    template.add_paragraph("{{正文}}")
    template.add_paragraph("抄送：创建领导小组成员")
    buffer = io.BytesIO()
    template.save(buffer)
    buffer.seek(0)
    report.save_template(buffer, audit.Actor.system(), db.session)
    finished.document_no = "文明办〔2026〕5号"
    db.session.commit()
    document = Document(io.BytesIO(report.render_report(db.session, finished.id, "docx", DATED)))
    texts = paragraph_texts(document)
    assert document.sections[0].header.paragraphs[0].text == "文明单位创建工作领导小组办公室文件"
    assert texts[0] == "红头：文明办〔2026〕5号"
    assert texts[1] == "关于2026年下半年创建工作检查情况的通报"
    assert texts[-1] == "抄送：创建领导小组成员" and "{{正文}}" not in texts


def test_a_template_that_is_not_a_docx_is_refused(app, tmp_path):
    with pytest.raises(DocumentTypeNotAllowed):
        report.save_template(io.BytesIO(b"hello"), audit.Actor.system(), db.session)
    with pytest.raises(Invalid):
        report.save_template(io.BytesIO(pdf_bytes()), audit.Actor.system(), db.session)


def test_a_broken_configured_template_is_refused_plainly(app, finished, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really")
    app.config["INSPECTION_REPORT_TEMPLATE"] = str(broken)
    with pytest.raises(TemplateUnusable):
        report.render_report(db.session, finished.id, "docx", DATED)


def test_publishing_files_the_docx_under_item_2_and_announces_once(finished):
    db.session.add(PushTarget(name="创建群", kind="robot", address="00000000-0000-0000-0000-000000000001"))
    db.session.commit()
    admin = factories.make_staff(name="管理员", admin=True)
    report.publish_report(db.session, finished.id, admin, today=DATED)
    filed = db.session.scalar(select(LedgerDocument))
    assert filed.title == "关于2026年下半年创建工作检查情况的通报" and filed.extension == ".docx"
    assert filed.item_id == report.get_item(db.session, 2026, 2).id
    announcement = db.session.scalar(select(Announcement))
    assert "本次检查总得分 98 分" in announcement.content
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("announcement:"))).all()
    assert len(sent) == 1 and "关于2026年下半年创建工作检查情况的通报" in sent[0].payload["markdown"]["content"]
    with pytest.raises(RoundWrongState) as refused:
        report.publish_report(db.session, finished.id, admin, today=DATED)
    assert refused.value.code == "report_already_published"
    assert db.session.query(LedgerDocument).count() == 1


def test_publishing_a_round_that_is_not_locked_is_refused(app):
    found = make_round()
    with pytest.raises(RoundWrongState) as refused:
        report.publish_report(db.session, found.id, factories.make_staff(admin=True), today=DATED)
    assert refused.value.code == "round_not_locked"
