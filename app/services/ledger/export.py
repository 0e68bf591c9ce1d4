"""The inspection pack: one zip for a year (or one item) with

- ``目录.xlsx``: every file in the zip (area, item, date, title, kind, path) and nothing else;
- one folder per area and item; per activity its sign-in sheet (xlsx, ``attendance_export``), its
  photos, and for a 道德讲堂 (or any activity with a record) the record and selected reflections (PDF);
- the documents uploaded against the item, as uploaded;
- per 评选 with published results its result list, per 承诺书 its signed list (xlsx);
- ``创建工作报告.pdf`` (``report``).

Memory stays bounded whatever the number of photos: files are copied from disk into the archive in
chunks (stored, not re-compressed), sheets and PDFs are built one activity at a time. The archive is
written beside the target under a temporary name and renamed only when complete, so a failed export
leaves nothing behind.
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import EventRecord, LedgerItem, Reflection, Staff
from app.services import attendance_export, checkins, pledges, voting
from app.services.ledger import documents as documents_service
from app.services.ledger import report
from app.services.ledger.errors import ItemNotFound
from app.services.ledger.evidence import EventEvidence, PledgeEvidence, SelectionEvidence
from app.services.ledger.progress import plan_progress
from app.services.ledger.plan import check_year
from app.timeutil import local_today

logger = logging.getLogger(__name__)

INDEX_NAME = "目录.xlsx"
REPORT_NAME = "创建工作报告.pdf"
INDEX_HEADERS = ["序号", "方面", "工作项", "日期", "标题", "类型", "文件路径"]
LECTURE_KIND = "道德讲堂"
NAME_MAX = 40
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')

Progress = Callable[[int, int, str], None]  # (step, total steps, what)


def safe_name(text: str, limit: int = NAME_MAX) -> str:
    """A file or folder name that is the same on every system: no separators or reserved characters."""
    cleaned = _UNSAFE.sub("_", text).strip().strip(".") or "未命名"
    return cleaned[:limit].rstrip()


@dataclass
class IndexRow:
    area: str
    item: str
    day: date | None
    title: str
    kind: str
    path: str


@dataclass
class ExportResult:
    path: Path
    files: int
    size: int
    skipped: list[str] = field(default_factory=list)  # stored files missing on disk


class _Pack:
    """The archive being written and its index; refuses a path twice."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.rows: list[IndexRow] = []
        self.skipped: list[str] = []

    def _unique(self, path: str) -> str:
        taken = set(self.archive.NameToInfo)
        if path not in taken:
            return path
        stem, dot, suffix = path.rpartition(".")
        base, ext = (stem, f".{suffix}") if dot and "/" not in suffix else (path, "")
        number = 2
        while f"{base}（{number}）{ext}" in taken:
            number += 1
        return f"{base}（{number}）{ext}"

    def add_bytes(self, path: str, data: bytes, row: IndexRow) -> None:
        path = self._unique(path)
        self.archive.writestr(path, data, compress_type=zipfile.ZIP_DEFLATED)
        row.path = path
        self.rows.append(row)

    def add_file(self, path: str, source: Path, row: IndexRow) -> None:
        if not source.is_file():
            self.skipped.append(path)
            logger.warning("ledger export: %s is missing on disk, left out of the pack", source)
            return
        path = self._unique(path)
        self.archive.write(source, path, compress_type=zipfile.ZIP_STORED)  # copied in chunks
        row.path = path
        self.rows.append(row)


def _index_workbook(rows: list[IndexRow]) -> bytes:
    import io

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("目录")
    sheet.append(INDEX_HEADERS)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, row.area, row.item, row.day.isoformat() if row.day else "", row.title, row.kind, row.path])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _event_folder(evidence: EventEvidence) -> str:
    return safe_name(f"{evidence.day:%Y-%m-%d} {evidence.event.title}")


def _write_event(session: Session, pack: _Pack, folder: str, area: str, item: str, evidence: EventEvidence,
                 documents: list) -> None:
    event = evidence.event
    base = f"{folder}/活动/{_event_folder(evidence)}"
    sheet = attendance_export.attendance_workbook(checkins.attendance(session, event.id))
    pack.add_bytes(f"{base}/签到表.xlsx", sheet, IndexRow(area, item, evidence.day, event.title, "签到表", ""))
    for document in documents:
        name = safe_name(f"{document.kind} {document.title}") + document.extension
        pack.add_file(f"{base}/{name}", documents_service.document_path(document),
                      IndexRow(area, item, document.dated, document.title, document.kind, ""))
    record = session.get(EventRecord, event.id)
    if event.kind == LECTURE_KIND or record is not None:
        reflections = list(session.scalars(
            select(Reflection)
            .where(Reflection.event_id == event.id, Reflection.selected.is_(True))
            .options(joinedload(Reflection.staff).joinedload(Staff.department))
            .order_by(Reflection.id)
        ))
        pdf = report.record_pdf(event, record, reflections, evidence.signins)
        pack.add_bytes(f"{base}/活动记录及感悟.pdf", pdf,
                       IndexRow(area, item, evidence.day, f"{event.title}活动记录及感悟", "会议记录", ""))
    session.expunge_all()  # this activity's rows are written; keep the session from growing


def _write_selections_and_pledges(session: Session, pack: _Pack, folder: str, area: str, item: str,
                                  chosen: list[SelectionEvidence], signed: list[PledgeEvidence]) -> None:
    """The result list of each published 评选 and the signed list of each 承诺书 of the item."""
    for evidence in chosen:
        out = io.BytesIO()
        voting.export_results(session, evidence.selection_id, out)
        pack.add_bytes(f"{folder}/评选/{safe_name(f'{evidence.day:%Y-%m-%d} {evidence.title}')}结果.xlsx", out.getvalue(),
                       IndexRow(area, item, evidence.day, f"{evidence.title}结果（{evidence.entries} 个参评对象）", "评选结果", ""))
    for evidence in signed:
        out = io.BytesIO()
        pledges.export_signatures(session, evidence.pledge_id, out)
        pack.add_bytes(f"{folder}/承诺/{safe_name(f'{evidence.day:%Y-%m-%d} {evidence.title}')}签署名单.xlsx", out.getvalue(),
                       IndexRow(area, item, evidence.day, f"{evidence.title}签署名单（{evidence.signatures} 人）", "签署名单", ""))
    session.expunge_all()


def export_ledger(
    session: Session,
    year: int,
    target: Path,
    item_number: int | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the pack of ``year`` (or of one item) to ``target``; returns what was written."""
    check_year(year)
    result = plan_progress(session, year, None, now)
    items = result.items
    if item_number is not None:
        items = [p for p in items if p.item.number == item_number]
        if not items:
            raise ItemNotFound(f"{year} 年计划中没有第 {item_number} 项")
    # Everything the loop needs from the plan, before the session is emptied activity by activity.
    labels: dict[int, tuple[str, str, str]] = {}
    for p in items:
        item: LedgerItem = p.item
        area_label = f"{item.area.number:02d} {item.area.title}"
        item_label = f"{item.number:02d} {item.title}"
        labels[item.id] = (area_label, item_label, f"{safe_name(area_label)}/{safe_name(item_label)}")
    event_documents: dict[int, list] = {}
    item_documents: dict[int, list] = {}
    held = {e.event.id for e in result.evidence.events}
    for document in result.evidence.documents:
        if document.event_id in held:
            event_documents.setdefault(document.event_id, []).append(document)
        else:
            item_documents.setdefault(document.item_id, []).append(document)
    scope = "全部工作项" if item_number is None else f"第 {item_number} 项"
    report_pdf = report.report_pdf(result, items, scope)
    work = [(p, e) for p in items for e in p.events]
    total = len(work) + len(items) + 2

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            pack = _Pack(archive)
            pack.add_bytes(REPORT_NAME, report_pdf,
                           IndexRow("", "", local_today(), f"{year} 年度创建工作报告", "总结", ""))
            step = 1
            for p in items:
                area_label, item_label, folder = labels[p.item.id]
                for document in item_documents.get(p.item.id, []):
                    name = safe_name(f"{document.dated:%Y-%m-%d} {document.kind} {document.title}") + document.extension
                    pack.add_file(f"{folder}/材料/{name}", documents_service.document_path(document),
                                  IndexRow(area_label, item_label, document.dated, document.title, document.kind, ""))
                _write_selections_and_pledges(session, pack, folder, area_label, item_label, p.selections, p.pledges)
                step += 1
                for evidence in p.events:
                    _write_event(session, pack, folder, area_label, item_label, evidence,
                                 event_documents.get(evidence.event.id, []))
                    step += 1
                    if progress:
                        progress(step, total, evidence.event.title)
            archive.writestr(INDEX_NAME, _index_workbook(pack.rows), compress_type=zipfile.ZIP_DEFLATED)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if progress:
        progress(total, total, "完成")
    return ExportResult(path=target, files=len(pack.rows) + 1, size=target.stat().st_size, skipped=pack.skipped)
