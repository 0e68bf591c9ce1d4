"""Documents against an item: PDF, DOCX, XLSX, JPEG, PNG judged by content, size-limited, photos
cleaned of EXIF/GPS, stored privately with who and when; every refusal stores nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerDocument
from app.services.ledger import documents
from tests.ledger_helpers import init_plan, pdf_bytes
from tests.wish_helpers import jpeg_with_gps


@pytest.fixture
def config_overrides():
    return {"LEDGER_DOCUMENT_MAX_BYTES": 64 * 1024}


@pytest.fixture
def plan(app):
    return init_plan(2026)


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def upload(runner, tmp_path: Path, name: str, data: bytes, *extra: str):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["ledger", "add-document", str(path), "--year", "2026", "--item", "10", *extra])


def stored(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "ledger"
    return sorted(folder.iterdir()) if folder.exists() else []


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerDocument))


@pytest.mark.parametrize(("name", "maker", "content_type"), [
    ("方案.pdf", pdf_bytes, "application/pdf"),
    ("方案.docx", docx_bytes, documents.DOCX[0]),
    ("台账.xlsx", xlsx_bytes, documents.XLSX[0]),
])
def test_operator_uploads_an_office_document(app, runner, tmp_path, plan, name, maker, content_type):
    result = upload(runner, tmp_path, name, maker(), "--kind", "方案", "--date", "2026-02-20")
    assert result.exit_code == 0, result.output
    document = db.session.scalar(select(LedgerDocument))
    assert (document.content_type, document.kind, document.uploaded_by, str(document.dated)) == (
        content_type, "方案", "命令行", "2026-02-20")
    assert document.title == name.rsplit(".", 1)[0] and document.original_name == name
    [path] = stored(app)
    assert path.read_bytes() == maker() if maker is not xlsx_bytes else path.stat().st_size == document.size
    assert path.name == document.stored_name and name not in path.name


def test_photo_is_stored_without_exif_and_gps(app, runner, tmp_path, plan):
    result = upload(runner, tmp_path, "照片.jpg", jpeg_with_gps(), "--kind", "照片")
    assert result.exit_code == 0, result.output
    [path] = stored(app)
    with Image.open(path) as image:
        assert image.format == "JPEG" and not image.getexif() and image.size == (40, 80)


@pytest.mark.parametrize(("name", "data", "extra", "message"), [
    ("方案.pdf", b"MZ\x90\x00 not a pdf", (), "只接受 PDF、DOCX、XLSX、JPEG 或 PNG 文件"),
    ("方案.docx", b"PK\x03\x04broken", (), "只接受 PDF、DOCX、XLSX、JPEG 或 PNG 文件"),
    ("大.pdf", b"%PDF-" + b"0" * 70_000, (), "文件超过 64 KB"),
    ("空.pdf", b"", (), "文件是空的"),
    ("照片.pdf", None, ("--kind", "照片"), "材料类型为照片时只接受 JPEG 或 PNG 图片"),
    ("去年.pdf", None, ("--date", "2025-12-31"), "材料日期应在 2026 年内"),
])
def test_bad_documents_are_refused_and_nothing_is_stored(app, runner, tmp_path, plan, name, data, extra, message):
    data = pdf_bytes() if data is None else data
    kind = () if "--kind" in extra else ("--kind", "方案")
    result = upload(runner, tmp_path, name, data, *kind, *extra)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("错误：") and message in result.output
    assert count() == 0 and stored(app) == []


def test_webp_is_not_an_accepted_document(app, runner, tmp_path, plan):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "WEBP")
    result = upload(runner, tmp_path, "图.png", out.getvalue(), "--kind", "照片")
    assert result.exit_code == 1 and "只接受 PDF、DOCX、XLSX、JPEG 或 PNG" in result.output


def test_unknown_item_and_year_are_refused(app, runner, tmp_path, plan):
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf_bytes())
    no_item = runner.invoke(args=["ledger", "add-document", str(path), "--year", "2026", "--item", "40", "--kind", "方案"])
    assert no_item.exit_code == 1 and "2026 年计划中没有第 40 项" in no_item.output
    no_plan = runner.invoke(args=["ledger", "add-document", str(path), "--year", "2031", "--item", "1", "--kind", "方案"])
    assert no_plan.exit_code == 1 and "2031 年还没有创建计划" in no_plan.output
    assert count() == 0
