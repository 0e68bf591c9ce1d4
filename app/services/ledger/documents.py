"""Documents uploaded against a work item: PDF, DOCX, XLSX, JPEG or PNG, judged by their content
(never by name), size-limited, stored privately under ``UPLOAD_FOLDER/ledger/`` with random names and
who uploaded them when. Photos go through ``images.clean_image`` (EXIF and GPS removed). Nothing is
kept of a refused upload: the row and the file are written together or not at all."""

from __future__ import annotations

import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy.orm import Session

from app.models import Event, LedgerDocument, LedgerItem, LedgerPlan, Staff
from app.models.ledger import EVIDENCE_KINDS
from app.services import audit, images
from app.services.ledger.errors import (
    DocumentInvalid,
    DocumentNotFound,
    DocumentTooLarge,
    DocumentTypeNotAllowed,
    EventNotFound,
    ItemNotFound,
)
from app.timeutil import local_today, to_local

PHOTO_KIND = "照片"
TITLE_MAX = 100

# format -> (content type, extension)
PDF = ("application/pdf", ".pdf")
DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str
    extension: str


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "ledger"


def document_path(document: LedgerDocument) -> Path:
    return folder() / document.stored_name


def _office_kind(data: bytes) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def check_file(stream: BinaryIO) -> CheckedFile:
    """Accept a PDF, DOCX, XLSX, JPEG or PNG by its content; photos come back cleaned."""
    config = current_app.config
    limit = max(config["LEDGER_DOCUMENT_MAX_BYTES"], config["PHOTO_MAX_BYTES"])
    data = stream.read(limit + 1)
    if not data:
        raise DocumentInvalid("文件是空的", code="document_empty")
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        if len(data) > config["PHOTO_MAX_BYTES"]:
            raise DocumentTooLarge(f"照片超过 {size_text(config['PHOTO_MAX_BYTES'])}，请压缩后再上传")
        try:
            photo = images.clean_image(io.BytesIO(data), max_bytes=config["PHOTO_MAX_BYTES"],
                                       max_pixels=config["PHOTO_MAX_PIXELS"])
        except images.UnsupportedPhoto as exc:
            raise DocumentTypeNotAllowed("照片已损坏，无法识别") from exc
        return CheckedFile(photo.data, photo.content_type, photo.extension)
    if len(data) > config["LEDGER_DOCUMENT_MAX_BYTES"]:
        raise DocumentTooLarge(f"文件超过 {size_text(config['LEDGER_DOCUMENT_MAX_BYTES'])}")
    if data.startswith(b"%PDF-"):
        return CheckedFile(data, *PDF)
    if data.startswith(b"PK\x03\x04"):
        office = _office_kind(data)
        if office is not None:
            return CheckedFile(data, *office)
    raise DocumentTypeNotAllowed()


def add_document(
    session: Session,
    *,
    item_id: int,
    kind: str,
    title: str,
    stream: BinaryIO,
    filename: str,
    actor: audit.Actor,
    uploader: Staff | None = None,
    event_id: int | None = None,
    dated: date | None = None,
) -> LedgerDocument:
    """Check and store one document against an item (and optionally one of its activities)."""
    item = session.get(LedgerItem, item_id)
    if item is None:
        raise ItemNotFound()
    year = session.get(LedgerPlan, item.plan_id).year
    if kind not in EVIDENCE_KINDS:
        raise DocumentInvalid(f"材料类型应为：{'、'.join(EVIDENCE_KINDS)}", code="document_kind_invalid")
    title = title.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise DocumentInvalid(f"标题应为 1 到 {TITLE_MAX} 个字", code="document_title_invalid")
    if event_id is not None:
        event = session.get(Event, event_id)
        if event is None:
            raise EventNotFound()
        dated = dated or to_local(event.starts_at).date()
    dated = dated or local_today()
    if dated.year != year:
        raise DocumentInvalid(f"材料日期应在 {year} 年内", code="document_date_invalid")
    checked = check_file(stream)
    is_photo = checked.content_type.startswith("image/")
    if kind == PHOTO_KIND and not is_photo:
        raise DocumentInvalid("材料类型为照片时只接受 JPEG 或 PNG 图片", code="document_kind_mismatch")

    stored_name = f"{secrets.token_hex(16)}{checked.extension}"
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    path = target / stored_name
    with open(path, "xb") as handle:
        handle.write(checked.data)
    try:
        document = LedgerDocument(
            item_id=item.id, event_id=event_id, kind=kind, title=title, original_name=(filename or title)[-255:],
            content_type=checked.content_type, extension=checked.extension, size=len(checked.data),
            stored_name=stored_name, dated=dated, uploaded_by_id=uploader.id if uploader else None,
            uploaded_by=uploader.name if uploader else "命令行",
        )
        session.add(document)
        session.flush()
        audit.record(session, actor, "ledger.add_document", "ledger_document", document.id,
                     item=item.number, year=year, kind=kind, size=document.size)
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    return document


def delete_document(session: Session, document_id: int, actor: audit.Actor) -> LedgerDocument:
    """Remove a document's row (audited) and then its file."""
    document = session.get(LedgerDocument, document_id)
    if document is None:
        raise DocumentNotFound()
    path = document_path(document)
    audit.record(session, actor, "ledger.delete_document", "ledger_document", document.id,
                 item_id=document.item_id, kind=document.kind, title=document.title, size=document.size)
    session.delete(document)
    session.commit()
    path.unlink(missing_ok=True)
    return document
