"""The year's plan: the shipped default mirrors the document's 6 areas and 18 items; `plan init`,
`--from`, editing owners, and the CLI's refusals."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from app import ledger_plan
from app.extensions import db
from app.models import LedgerItem, LedgerPlan
from tests import factories
from tests.ledger_helpers import init_plan, item

SEED = Path("/work/shared/seed/000_4e9553edda4c64e2.txt")
NUMERALS = "一二三四五六"


def test_default_plan_matches_the_documents_numbering_and_titles():
    # The plan text is also quoted here so the test runs without the seed file.
    items = {number: (area, title) for number, area, title, *_ in ledger_plan.ITEMS}
    assert sorted(items) == list(range(1, 19))
    assert [number for number, _ in ledger_plan.AREAS] == [1, 2, 3, 4, 5, 6]
    assert [area for area, _ in items.values()] == [1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 5, 5, 5, 6, 6, 6, 6, 6]
    assert items[6][1] == "认真开展道德讲堂活动" and items[17][1] == "积极参与帮扶共建活动"
    if SEED.exists():
        text = SEED.read_text()
        for number, title in ledger_plan.AREAS:
            assert f"（{NUMERALS[number - 1]}）{title}" in text
        for number, _area, title, description, *_ in ledger_plan.ITEMS:
            assert re.search(rf"^{number}\.{re.escape(title)}。{re.escape(description)}$", text, re.M), number


def test_operator_initialises_a_year_from_the_default(runner):
    result = runner.invoke(args=["plan", "init", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "6 个方面，18 项工作" in result.output
    plan = db.session.scalar(select(LedgerPlan).where(LedgerPlan.year == 2026))
    assert [area.number for area in plan.areas] == [1, 2, 3, 4, 5, 6]
    lecture = item(2026, 6)
    assert lecture.targets == [{"type": "events", "label": "道德讲堂", "count": 1, "per": "half", "photos": True}]
    assert item(2026, 12).targets[1]["festivals"] == ["春节", "元宵", "三月三", "清明", "端午", "中秋", "重阳"]


def test_second_init_of_a_year_is_refused_and_changes_nothing(runner):
    init_plan(2026)
    result = runner.invoke(args=["plan", "init", "--year", "2026"])
    assert result.exit_code == 1
    assert result.output.strip() == "错误：2026 年的创建计划已存在"
    assert db.session.scalar(select(func.count()).select_from(LedgerItem)) == 18


def test_init_from_last_year_copies_owners_departments_and_targets(runner):
    init_plan(2025)
    owner = factories.make_staff(name="王主任", employee_no="E9001", department="机关党委")
    edited = runner.invoke(args=["plan", "edit-item", "--year", "2025", "--item", "6", "--department", "机关党委",
                                 "--owner", "E9001"])
    assert edited.exit_code == 0, edited.output
    result = runner.invoke(args=["plan", "init", "--year", "2026", "--from", "2025"])
    assert result.exit_code == 0, result.output
    copied = item(2026, 6)
    assert copied.owner_id == owner.id and copied.departments == ["机关党委"]
    assert copied.targets == item(2025, 6).targets and copied.plan.year == 2026


def test_init_from_a_year_without_plan_is_refused(runner):
    result = runner.invoke(args=["plan", "init", "--year", "2026", "--from", "2024"])
    assert result.exit_code == 1
    assert "2024 年还没有创建计划" in result.output
    assert db.session.scalar(select(func.count()).select_from(LedgerPlan)) == 0


def test_operator_gets_chinese_refusals_for_bad_edits(runner):
    init_plan(2026)
    cases = {
        ("--item", "19"): "2026 年计划中没有第 19 项",
        ("--item", "6", "--owner", "NOPE"): "花名册中没有在册的工号 NOPE",
        ("--item", "6", "--department", "不存在科"): "花名册中没有部门：不存在科",
    }
    for extra, message in cases.items():
        result = runner.invoke(args=["plan", "edit-item", "--year", "2026", *extra])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("错误：") and message in result.output
    bad_year = runner.invoke(args=["plan", "init", "--year", "1999"])
    assert bad_year.exit_code == 2 and "错误：" in bad_year.output


def test_status_of_a_year_without_plan_is_refused(runner):
    result = runner.invoke(args=["plan", "status", "--year", "2030"])
    assert result.exit_code == 1
    assert result.output.strip() == "错误：2030 年还没有创建计划，请先运行 plan init --year 2030"
