"""The inspection pack: 目录.xlsx lists exactly the files in the zip; per activity a sign-in sheet,
photos and the record with the selected reflections; documents as uploaded; the report's Chinese text
reads back from the PDF; refusals leave no file behind."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Reflection
from app.services import audit
from app.services.ledger import records
from tests import factories
from tests.ledger_helpers import add_document, held_event, image_png, init_plan, pdf_bytes, sign_in_people

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is installed by make")


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def index_paths(archive: zipfile.ZipFile) -> list[str]:
    sheet = load_workbook(io.BytesIO(archive.read("目录.xlsx")), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "方面", "工作项", "日期", "标题", "类型", "文件路径")
    return [row[6] for row in rows[1:]]


@pytest.fixture
def year(app):
    init_plan(2026)
    people = [factories.make_staff(name=f"职工{n}", department=("办公室", "机关党委")[n % 2]) for n in range(6)]
    lecture = held_event("道德讲堂", date(2026, 3, 5), title="道德讲堂：孝老爱亲")
    sign_in_people(lecture, people)
    add_document(2026, 6, "照片", image_png(), "讲堂现场.png", event_id=lecture.id)
    records.save_record(db.session, lecture.id, audit.Actor.system(), host="王芳", speaker="李娜",
                        segments=[{"name": "学模范", "content": "黄文秀的故事"}])
    reflection = Reflection(event_id=lecture.id, staff_id=people[0].id, content="向黄文秀同志学习，扎根基层。")
    db.session.add(reflection)
    db.session.commit()
    reflection.selected = True
    db.session.commit()
    service = held_event("志愿服务", date(2026, 9, 3), title="社区清洁志愿服务")
    sign_in_people(service, people[:3], checkout_minutes=120)
    add_document(2026, 10, "方案", pdf_bytes(), "2026年学雷锋活动方案.pdf", dated=date(2026, 2, 1))
    return lecture


def test_operator_exports_a_pack_whose_index_lists_exactly_its_files(runner, tmp_path, year):
    out = tmp_path / "out" / "台账2026.zip"
    result = runner.invoke(args=["ledger", "export", "--year", "2026", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        listed = index_paths(archive)
        assert sorted(listed) == sorted(set(names) - {"目录.xlsx"}) and len(listed) == len(names) - 1
        lecture_folder = "03 积极培育机关良好道德风尚/06 认真开展道德讲堂活动/活动/2026-03-05 道德讲堂：孝老爱亲"
        assert f"{lecture_folder}/签到表.xlsx" in names
        assert f"{lecture_folder}/照片 讲堂现场.png" in names
        assert "04 积极开展学雷锋志愿服务活动/10 扎实开展学雷锋活动/材料/2026-02-01 方案 2026年学雷锋活动方案.pdf" in names
        sheet = load_workbook(io.BytesIO(archive.read(f"{lecture_folder}/签到表.xlsx"))).active
        assert sheet["A1"].value == "道德讲堂：孝老爱亲" and sheet.max_row == 4 + 6
        record = pdf_text(archive.read(f"{lecture_folder}/活动记录及感悟.pdf"), tmp_path)
        assert "主持人" in record and "王芳" in record and "黄文秀的故事" in record
        assert "向黄文秀同志学习，扎根基层。" in record
        report = pdf_text(archive.read("创建工作报告.pdf"), tmp_path)
    for text in ("2026 年度文明单位创建工作报告", "认真开展道德讲堂活动", "缺少：下半年道德讲堂",
                 "各部门参与情况", "机关党委", "志愿服务时长", "开展诚信建设活动"):
        assert text in report, text
    assert "\ufffd" not in report and not list(out.parent.glob(".*.part"))


def test_export_of_one_item_holds_only_that_item(runner, tmp_path, year):
    out = tmp_path / "item6.zip"
    result = runner.invoke(args=["ledger", "export", "--year", "2026", "--item", "6", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        folders = {name.split("/")[0] for name in archive.namelist() if "/" in name}
        assert folders == {"03 积极培育机关良好道德风尚"}
        assert sorted(index_paths(archive)) == sorted(set(archive.namelist()) - {"目录.xlsx"})


def test_export_of_a_year_without_plan_or_an_unknown_item_writes_nothing(runner, tmp_path, year):
    out = tmp_path / "x.zip"
    no_plan = runner.invoke(args=["ledger", "export", "--year", "2025", "-o", str(out)])
    assert no_plan.exit_code == 1 and no_plan.output.strip().endswith("错误：2025 年还没有创建计划，请先运行 plan init --year 2025")
    no_item = runner.invoke(args=["ledger", "export", "--year", "2026", "--item", "30", "-o", str(out)])
    assert no_item.exit_code == 1 and "2026 年计划中没有第 30 项" in no_item.output
    assert not out.exists()


def test_a_failure_midway_leaves_no_partial_archive(app, tmp_path, year, monkeypatch):
    from app.services.ledger import export

    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(export.attendance_export, "attendance_workbook", broken)
    out = tmp_path / "pack" / "台账.zip"
    with pytest.raises(RuntimeError):
        export.export_ledger(db.session, 2026, out)
    assert list(out.parent.iterdir()) == []


def test_export_to_an_unwritable_place_is_refused_in_chinese(runner, tmp_path, year):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(args=["ledger", "export", "--year", "2026", "-o", str(blocker / "台账.zip")])
    assert result.exit_code == 1 and result.output.splitlines()[-1].startswith(f"错误：无法写入 {blocker / '台账.zip'}")
    folder = runner.invoke(args=["ledger", "export", "--year", "2026", "-o", str(tmp_path)])
    assert folder.exit_code == 2 and "是一个目录" in folder.output
