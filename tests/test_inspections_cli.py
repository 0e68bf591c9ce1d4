"""``flask inspections …``: a round from the plan, scoring, locking, corrections, rectifications and the
通报 written to .docx or .pdf; refusals answer 错误：… in Chinese."""

from __future__ import annotations

from datetime import date

from docx import Document
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, InspectionRound
from app.timeutil import local_today
from tests import factories
from tests.ledger_helpers import init_plan


def invoke(runner, *args: str):
    return runner.invoke(args=["inspections", *args])


def test_operator_creates_scores_locks_and_writes_the_notice(runner, tmp_path):
    init_plan(2026)
    result = invoke(runner, "create-round", "--from-plan", "--year", "2026", "--start", "2026-11-20", "--end", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "2026年下半年创建工作检查" in result.output and "得分 0/100" in result.output
    round_id = str(db.session.scalar(select(InspectionRound.id)))
    for number in range(1, 19):
        assert invoke(runner, "score", round_id, "--item", str(number), "--score", "5").exit_code == 0
    refused = invoke(runner, "score", round_id, "--item", "11", "--score", "5.5")
    assert refused.exit_code == 1 and "错误：第 11 项满分 5 分，得分不能超过满分" in refused.output
    assert invoke(runner, "submit", round_id).exit_code == 0
    assert "[已锁定]" in invoke(runner, "lock", round_id).output
    refused = invoke(runner, "score", round_id, "--item", "1", "--score", "1")
    assert refused.exit_code == 1 and "错误：检查轮次已锁定，分数只能通过更正修改" in refused.output
    corrected = invoke(runner, "correct", round_id, "--item", "1", "--score", "6", "--reason", "复核材料")
    assert corrected.exit_code == 0, corrected.output
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "inspection.correct_score")) is not None
    output = tmp_path / "通报.docx"
    written = invoke(runner, "report", round_id, "-o", str(output))
    assert written.exit_code == 0, written.output
    texts = [p.text for p in Document(str(output)).paragraphs]
    assert "关于2026年下半年创建工作检查情况的通报" in texts
    assert any("本次检查总得分 91 分（满分 100 分）" in t for t in texts)
    assert invoke(runner, "report", round_id, "-o", str(tmp_path / "通报.pdf")).exit_code == 0
    assert (tmp_path / "通报.pdf").read_bytes().startswith(b"%PDF-")
    refused = invoke(runner, "report", round_id, "-o", str(tmp_path / "通报.txt"))
    assert refused.exit_code == 2 and "应以 .docx 或 .pdf 结尾" in refused.output
    listed = invoke(runner, "list")
    assert "得分 91/100" in listed.output


def test_rectification_with_a_past_deadline_is_refused_in_chinese(runner):
    init_plan(2026)
    invoke(runner, "create-round", "--from-plan", "--year", "2026", "--start", "2026-11-20")
    round_id = str(db.session.scalar(select(InspectionRound.id)))
    person = factories.make_staff(name="王芳", department="财务科")
    refused = invoke(runner, "rectify", round_id, "--responsible", person.employee_no, "--deadline", "2020-01-01",
                     "--requirement", "整理物品")
    assert refused.exit_code == 1 and "错误：整改期限 2020年1月1日 已过" in refused.output
    deadline = date(local_today().year + 1, 1, 15).isoformat()
    added = invoke(runner, "rectify", round_id, "--responsible", person.employee_no, "--deadline", deadline,
                   "--requirement", "整理物品", "--item", "14")
    assert added.exit_code == 0, added.output
    assert f"[待整改] {deadline} 财务科 王芳：整理物品" in invoke(runner, "rectifications").output


def test_missing_round_and_plan_are_refused_in_chinese(runner):
    refused = invoke(runner, "create-round", "--from-plan", "--year", "2030", "--start", "2030-05-01")
    assert refused.exit_code == 1 and "错误：2030 年还没有创建计划" in refused.output
    refused = invoke(runner, "lock", "99")
    assert refused.exit_code == 1 and "错误：检查轮次不存在" in refused.output


def test_operator_grants_the_inspector_role(runner):
    person = factories.make_staff(employee_no="J100")
    assert runner.invoke(args=["roster", "grant-role", "J100", "检查组"]).exit_code == 0
    db.session.refresh(person)
    assert person.has_role("inspector")


def test_operator_sets_the_notices_number_and_an_empty_one_clears_it(runner):
    init_plan(2026)
    invoke(runner, "create-round", "--from-plan", "--year", "2026", "--start", "2026-11-20")
    round_id = str(db.session.scalar(select(InspectionRound.id)))
    edited = invoke(runner, "edit", round_id, "--document-no", "文明办〔2026〕5号", "--addressees", "各科室")
    assert edited.exit_code == 0 and "主送 各科室" in edited.output and "文号 文明办〔2026〕5号" in edited.output
    cleared = invoke(runner, "edit", round_id, "--document-no", "")
    assert cleared.exit_code == 0 and "文号 无" in cleared.output


def test_operator_saves_the_survey_results_as_a_chart_pdf(runner, tmp_path):
    init_plan(2026)
    invoke(runner, "create-round", "--from-plan", "--year", "2026", "--start", "2026-11-20")
    round_id = str(db.session.scalar(select(InspectionRound.id)))
    created = invoke(runner, "survey", round_id)
    assert created.exit_code == 0 and "6 道题" in created.output
    from app.models import Survey

    survey_id = str(db.session.scalar(select(Survey.id)))
    assert "参与率 0%" in invoke(runner, "survey-results", survey_id).output
    written = invoke(runner, "survey-results", survey_id, "-o", str(tmp_path / "问卷结果.pdf"))
    assert written.exit_code == 0, written.output
    assert (tmp_path / "问卷结果.pdf").read_bytes().startswith(b"%PDF-")
    refused = invoke(runner, "survey-results", survey_id, "-o", str(tmp_path / "问卷结果.docx"))
    assert refused.exit_code == 2 and "应以 .pdf 结尾" in refused.output
