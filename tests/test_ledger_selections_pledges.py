"""评选 results and 承诺书 signed lists as 台账 evidence: they appear under their work item (with the
number of entries and signatures), move the item out of 未开展, and go into the export pack as xlsx
files listed in 目录.xlsx. Unpublished results, drafts, other years and pledges not yet open do not count."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Selection, Staff
from app.services import audit, pledges, voting
from app.services.ledger import export, progress
from tests import factories
from tests.ledger_helpers import NOW, at, init_plan
from tests.selection_helpers import make_selection, move_to, nominate_people


def published_selection(day: date, title: str = "节俭文明人评选", work_item: int = 8) -> Selection:
    admin = factories.make_staff(name="管理员", admin=True)
    people = [factories.make_staff(name=f"候选{n}") for n in range(3)]
    selection = make_selection("nominating", title=title, work_item=work_item)
    nominate_people(selection.id, admin, people)
    move_to(selection.id, "counting")
    voting.publish_results(db.session, selection.id, audit.Actor.system())
    selection = db.session.get(Selection, selection.id)
    selection.results_published_at = at(day)
    db.session.commit()
    return selection


def signed_pledge(opens: date, signers: int, work_item: int = 18, publish: bool = True, title: str = "诚信承诺书"):
    pledge = pledges.create_pledge(db.session, title=title, body="诚实守信。", opens_at=at(opens),
                                   closes_at=at(opens + timedelta(days=20)), work_item=work_item, actor=audit.Actor.system())
    if publish:
        pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
        for n in range(signers):
            staff = factories.make_staff(name=f"签署人{n}")
            pledges.sign_pledge(db.session, pledge.id, db.session.get(Staff, staff.id), now=at(opens + timedelta(days=1)))
    return pledge


@pytest.fixture
def plan(app):
    return init_plan(2026)


def test_published_results_and_open_pledges_are_evidence_for_their_item(plan):
    before = progress.plan_progress(db.session, 2026, now=NOW)
    assert next(p for p in before.items if p.item.number == 18).status == progress.NOT_STARTED
    published_selection(date(2026, 6, 10))
    signed_pledge(date(2026, 5, 1), signers=2)
    result = progress.plan_progress(db.session, 2026, now=NOW)
    eight = next(p for p in result.items if p.item.number == 8)
    eighteen = next(p for p in result.items if p.item.number == 18)
    assert [(s.title, s.entries, s.day) for s in eight.selections] == [("节俭文明人评选", 3, date(2026, 6, 10))]
    assert [(p.title, p.signatures) for p in eighteen.pledges] == [("诚信承诺书", 2)]
    assert eighteen.status == progress.IN_PROGRESS and not eighteen.selections
    first_half = progress.plan_progress(db.session, 2026, half=1, now=NOW)
    assert next(p for p in first_half.items if p.item.number == 8).selections
    second_half = progress.plan_progress(db.session, 2026, half=2, now=NOW)
    assert not next(p for p in second_half.items if p.item.number == 8).selections


def test_unpublished_drafts_other_years_and_future_pledges_do_not_count(plan):
    make_selection("voting", title="投票中的评选", work_item=8)  # results not published
    published_selection(date(2025, 6, 10), title="去年的评选")
    signed_pledge(date(2026, 5, 1), signers=0, publish=False, title="草稿承诺")
    signed_pledge(date(2026, 12, 20), signers=0, title="还没开始的承诺")  # after NOW
    signed_pledge(date(2026, 5, 1), signers=0, work_item=None, title="无工作项的承诺")
    evidence = progress.plan_progress(db.session, 2026, now=NOW).evidence
    assert evidence.selections == [] and evidence.pledges == []


def test_evidence_is_read_in_a_fixed_number_of_queries(plan):
    from tests.console_helpers import count_queries
    published_selection(date(2026, 6, 10))
    signed_pledge(date(2026, 5, 1), signers=1)
    with count_queries() as few:
        progress.plan_progress(db.session, 2026, now=NOW)
    for n in range(3):
        published_selection(date(2026, 7, 1 + n), title=f"评选{n}")
        signed_pledge(date(2026, 6, 1 + n), signers=2, title=f"承诺{n}")
    db.session.expire_all()
    with count_queries() as many:
        progress.plan_progress(db.session, 2026, now=NOW)
    assert len(many) == len(few)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="the pack's report needs the PDF tools make installs")
def test_the_pack_holds_each_result_list_and_signed_list_and_indexes_them(plan, tmp_path):
    published_selection(date(2026, 6, 10))
    signed_pledge(date(2026, 5, 1), signers=2)
    out = tmp_path / "pack.zip"
    export.export_ledger(db.session, 2026, out, now=NOW)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        index = load_workbook(io.BytesIO(archive.read("目录.xlsx")), read_only=True).active
        rows = {row[6]: row for row in list(index.iter_rows(values_only=True))[1:]}
        result_path = next(name for name in names if name.endswith("节俭文明人评选结果.xlsx"))
        signed_path = next(name for name in names if name.endswith("诚信承诺书签署名单.xlsx"))
        assert "/评选/" in result_path and "/承诺/" in signed_path
        assert rows[result_path][5] == "评选结果" and rows[signed_path][5] == "签署名单"
        assert rows[signed_path][4] == "诚信承诺书签署名单（2 人）"
        results = load_workbook(io.BytesIO(archive.read(result_path))).active
        assert results.cell(3, 1).value == "名次" and results.max_row == 6  # title, period, header, 3 entries
        signed = load_workbook(io.BytesIO(archive.read(signed_path))).active
        assert signed.max_row == 4  # title, header, 2 signatures
        assert set(rows) == set(names) - {"目录.xlsx"}


def test_plan_status_names_the_selections_and_pledges_of_each_item(plan, runner):
    published_selection(date(2026, 6, 10))
    signed_pledge(date(2026, 5, 1), signers=2)
    result = runner.invoke(args=["plan", "status", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "评选：节俭文明人评选（2026-06-10 公布结果，3 个参评对象）" in result.output
    assert "承诺：诚信承诺书（2026-05-01 起签署，2 人已签署）" in result.output


def test_the_item_page_in_the_console_lists_them_with_links(plan, client):
    from tests.console_helpers import person, sign_in
    selection = published_selection(date(2026, 6, 10))
    pledge = signed_pledge(date(2026, 5, 1), signers=2, work_item=8, title="文明餐桌倡议")
    admin = person("admin", name="台账管理员")
    sign_in(client, admin)
    page = client.get("/console/ledger/2026/items/8")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'/console/selections/{selection.id}/results"' in html and "节俭文明人评选" in html
    assert f'/console/pledges/{pledge.id}"' in html and "已签 2 人" in html
