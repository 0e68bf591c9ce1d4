"""The console's inspection pack, built in the background.

One ``ledger_export`` row per year holds the latest build: its status (building / ready / failed), the
step reached, the file once written. ``start_build`` claims the row with ``UPDATE … WHERE status !=
'building'`` (a build whose heartbeat is older than ``STALE_AFTER`` counts as abandoned: its worker was
restarted), so of two simultaneous requests one starts a build and the other is told one is running.
``launch`` runs ``run_build`` in a daemon thread with its own app context; progress goes to the row
through its own connection (the export empties its session as it goes), so any web worker can show it.

Packs live under ``UPLOAD_FOLDER/ledger-exports/`` with random names. A finished build removes the
previous pack of its year; ``clean_up`` (run before each build) removes packs older than
``LEDGER_EXPORT_KEEP_DAYS`` and any file no row names (a crash's leftovers).
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, NotFound
from app.extensions import db
from app.models import LedgerExport
from app.models.base import utcnow
from app.models.ledger import EXPORT_BUILDING, EXPORT_FAILED, EXPORT_READY
from app.services import audit
from app.services.ledger.errors import PlanNotFound
from app.services.ledger.export import export_ledger
from app.services.ledger.plan import check_year, find_plan

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
PARTIAL_GRACE = timedelta(hours=1)


class ExportBusy(Conflict):
    code = "export_busy"
    message = "该年度的台账包正在生成，请稍候"


class ExportNotReady(NotFound):
    code = "export_not_ready"
    message = "该年度还没有可下载的台账包，请先生成"


def folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "ledger-exports"


def find_build(session: Session, year: int) -> LedgerExport | None:
    return session.scalar(select(LedgerExport).where(LedgerExport.year == year))


def is_stale(build: LedgerExport, now: datetime | None = None) -> bool:
    return build.status == EXPORT_BUILDING and build.heartbeat_at < (now or utcnow()) - STALE_AFTER


def start_build(session: Session, year: int, started_by: str, actor: audit.Actor, now: datetime | None = None) -> LedgerExport:
    """Claim the year's build (one at a time); the caller then ``launch``es it."""
    check_year(year)
    now = now or utcnow()
    if find_plan(session, year) is None:
        raise PlanNotFound(f"{year} 年还没有创建计划，无法生成台账包")
    values = dict(status=EXPORT_BUILDING, step=0, total=0, message="排队中", started_by=started_by[:50],
                  started_at=now, heartbeat_at=now, finished_at=None)
    claimed = session.execute(
        update(LedgerExport)
        .where(LedgerExport.year == year,
               or_(LedgerExport.status != EXPORT_BUILDING, LedgerExport.heartbeat_at < now - STALE_AFTER))
        .values(**values)
    ).rowcount
    if not claimed:
        if session.scalar(select(LedgerExport.id).where(LedgerExport.year == year)) is not None:
            session.rollback()
            raise ExportBusy()
        session.add(LedgerExport(year=year, **values))
    try:
        session.flush()
    except IntegrityError as exc:  # another request created the year's row first
        session.rollback()
        raise ExportBusy() from exc
    build = find_build(session, year)
    audit.record(session, actor, "ledger.export_start", "ledger_export", build.id, year=year)
    session.commit()
    return build


def _set(build_id: int, claim: datetime, **values: object) -> bool:
    """Write the build's state on its own connection, beside the export's session, while the build is
    still the one claimed at ``claim``: a build taken over as stale writes nothing more (False)."""
    with db.engine.begin() as connection:
        return bool(connection.execute(
            update(LedgerExport).where(LedgerExport.id == build_id, LedgerExport.started_at == claim).values(**values)
        ).rowcount)


def run_build(session: Session, build_id: int) -> None:
    """Write the pack of the build's year, recording progress; never raises."""
    build = session.get(LedgerExport, build_id)
    if build is None or build.status != EXPORT_BUILDING:
        return
    year, previous, claim = build.year, build.file_name, build.started_at
    clean_up(session)
    name = f"{year}-{secrets.token_hex(8)}.zip"
    target = folder() / name

    def progress(step: int, total: int, what: str) -> None:
        _set(build_id, claim, step=step, total=total, message=what[:200], heartbeat_at=utcnow())

    try:
        result = export_ledger(session, year, target, progress=progress)
    except Exception as exc:  # noqa: BLE001 - every failure is shown to the admin in Chinese
        session.rollback()
        message = exc.message if isinstance(exc, AppError) else "生成失败：服务器处理出错，已记录日志，请稍后重试"
        if not isinstance(exc, AppError):
            logger.exception("ledger export of %s failed", year)
        _set(build_id, claim, status=EXPORT_FAILED, message=message[:200], finished_at=utcnow(), heartbeat_at=utcnow())
        return
    if not _set(build_id, claim, status=EXPORT_READY, file_name=name, size=result.size, step=1, total=1,
                message=f"共 {result.files} 个文件" + (f"，{len(result.skipped)} 个文件缺失未收入" if result.skipped else ""),
                finished_at=utcnow(), heartbeat_at=utcnow()):
        target.unlink(missing_ok=True)  # taken over as stale meanwhile: the newer build's pack is the one
        return
    if previous and previous != name:
        (folder() / previous).unlink(missing_ok=True)


def _run_in_thread(app: Flask, build_id: int) -> None:
    with app.app_context():
        try:
            run_build(db.session, build_id)
        finally:
            db.session.remove()


_threads: list[threading.Thread] = []


def launch(build_id: int) -> threading.Thread:
    """Run the build in a daemon thread of this process (its state lives in the database)."""
    app = current_app._get_current_object()  # noqa: SLF001 - the thread needs the app, not the proxy
    thread = threading.Thread(target=_run_in_thread, args=(app, build_id), name=f"ledger-export-{build_id}", daemon=True)
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()
    return thread


def wait_for_builds(timeout: float = 60) -> None:
    """Join this process's running builds (tests, a clean shutdown)."""
    for thread in list(_threads):
        thread.join(timeout)


def pack_path(session: Session, year: int) -> Path:
    build = find_build(session, year)
    if build is None or not build.file_name:
        raise ExportNotReady()
    path = folder() / build.file_name
    if not path.is_file():
        raise ExportNotReady("台账包文件已被清理，请重新生成")
    return path


def clean_up(session: Session, now: datetime | None = None) -> int:
    """Remove packs older than the retention and files no row names; returns files removed."""
    now = now or utcnow()
    keep = timedelta(days=current_app.config["LEDGER_EXPORT_KEEP_DAYS"])
    expired = session.scalars(select(LedgerExport).where(
        LedgerExport.status == EXPORT_READY, LedgerExport.finished_at < now - keep
    )).all()
    for build in expired:
        build.file_name, build.size = None, None
        build.message = "台账包已过保留期被清理，请重新生成"
    session.commit()
    named = set(session.scalars(select(LedgerExport.file_name).where(LedgerExport.file_name.is_not(None))))
    removed = 0
    directory = folder()
    if not directory.is_dir():
        return 0
    for path in directory.iterdir():
        if path.name in named or not path.is_file():
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=now.tzinfo)
        if modified > now - PARTIAL_GRACE:  # a build being written, or just renamed and not yet recorded
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed
