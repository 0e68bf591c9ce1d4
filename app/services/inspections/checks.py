"""实地考察 of item 14 (优美办公环境): a checklist per round (editable), each point checked per department
as pass or fail with a note and photos (cleaned by ``images.clean_uploads``), department scores (the
share of points passed, out of 100) and a ranking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import CheckPoint, Department, DepartmentCheck, InspectionPhoto, Rectification, Staff
from app.models.base import utcnow
from app.models.inspection import ROUND_LOCKED
from app.services import audit, images
from app.services.inspections.errors import (
    CheckPointNotFound,
    DepartmentNotFound,
    Invalid,
    PhotoNotFound,
    RoundLocked,
)
from app.services.inspections.rounds import get_round, require_inspector

NAME_MAX = 50
NOTE_MAX = 500
POINTS_MAX = 30
PHOTOS_MAX = 9


def photo_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "inspections"


def store_photos(streams: Sequence[BinaryIO]) -> list[tuple[str, str]]:
    """Clean and store photos; (stored name, content type) pairs. The caller removes them on failure."""
    if len(streams) > PHOTOS_MAX:
        raise Invalid(f"最多上传 {PHOTOS_MAX} 张照片", code="too_many_photos")
    cleaned = images.clean_uploads(streams)
    paths = images.store_images(photo_folder(), cleaned)
    return [(path.name, image.content_type) for path, image in zip(paths, cleaned, strict=True)]


def photo_for_viewer(session: Session, photo_id: int, viewer: Staff) -> tuple[Path, str]:
    """A check or rectification photo's file: for inspectors and admins, and for the responsible person
    of the rectification it shows."""
    photo = session.get(InspectionPhoto, photo_id)
    if photo is not None and photo.rectification_id is not None:
        responsible = session.scalar(select(Rectification.responsible_id)
                                     .where(Rectification.id == photo.rectification_id))
        allowed = responsible == viewer.id
    else:
        allowed = False
    if not allowed:
        require_inspector(viewer)
    path = photo_folder() / photo.stored_name if photo is not None else None
    if path is None or not path.is_file():
        raise PhotoNotFound()
    return path, photo.content_type


def set_checklist(session: Session, round_id: int, names: list[str], actor: audit.Actor) -> list[CheckPoint]:
    """Replace the checklist: points kept by name keep their results; removed points lose theirs."""
    found = get_round(session, round_id)
    if found.status == ROUND_LOCKED:
        raise RoundLocked()
    cleaned = [name.strip() for name in names if name.strip()]
    if not 1 <= len(cleaned) <= POINTS_MAX or any(len(name) > NAME_MAX for name in cleaned):
        raise Invalid(f"检查清单应有 1 到 {POINTS_MAX} 项，每项不超过 {NAME_MAX} 个字", code="checklist_invalid")
    if len(set(cleaned)) != len(cleaned):
        raise Invalid("检查清单中有重复的项目", code="checklist_invalid")
    existing = {point.name: point for point in found.checkpoints}
    for name, point in existing.items():
        if name not in cleaned:
            session.delete(point)
    session.flush()
    for position, name in enumerate(cleaned, start=1):
        point = existing.get(name)
        if point is None:
            session.add(CheckPoint(round_id=found.id, position=position, name=name))
        else:
            point.position = position
    audit.record(session, actor, "inspection.checklist", "inspection_round", found.id, points=cleaned)
    session.commit()
    session.refresh(found)
    return list(found.checkpoints)


def record_check(
    session: Session,
    round_id: int,
    *,
    checkpoint_id: int,
    department_id: int,
    passed: bool,
    note: str,
    photos: Sequence[BinaryIO],
    inspector: Staff,
) -> DepartmentCheck:
    """Record (or re-record) one point in one department; new photos are added to those already there."""
    require_inspector(inspector)
    found = get_round(session, round_id)
    if found.status == ROUND_LOCKED:
        raise RoundLocked()
    point = session.get(CheckPoint, checkpoint_id)
    if point is None or point.round_id != found.id:
        raise CheckPointNotFound()
    if session.get(Department, department_id) is None:
        raise DepartmentNotFound()
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"说明不能超过 {NOTE_MAX} 个字", code="check_note_too_long")
    stored = store_photos(photos) if photos else []
    try:
        check = session.scalar(select(DepartmentCheck).where(DepartmentCheck.checkpoint_id == point.id,
                                                              DepartmentCheck.department_id == department_id))
        if check is None:
            check = DepartmentCheck(round_id=found.id, checkpoint_id=point.id, department_id=department_id)
            session.add(check)
        check.passed, check.note, check.checked_by_id, check.checked_at = passed, note, inspector.id, utcnow()
        session.flush()
        for name, content_type in stored:
            session.add(InspectionPhoto(check_id=check.id, stored_name=name, content_type=content_type))
        audit.record(session, audit.Actor.staff(inspector.id), "inspection.check", "inspection_department_check",
                     check.id, point=point.name, department=department_id, passed=passed, photos=len(stored))
        session.commit()
    except BaseException:
        session.rollback()
        images.remove_files([photo_folder() / name for name, _ in stored])
        raise
    session.refresh(check)
    return check


@dataclass
class DepartmentResult:
    department: str
    passed: int
    checked: int
    points: int
    score: float  # passed points out of all the checklist's points, as a score out of 100
    failures: list[str]  # "禁烟：走廊有烟头"
    rank: int = 0


def department_results(session: Session, round_id: int) -> list[DepartmentResult]:
    """Every department checked in the round, best first; equal scores share a rank."""
    found = get_round(session, round_id)
    points = {point.id: point.name for point in found.checkpoints}
    rows = session.execute(
        select(DepartmentCheck, Department.name).join(Department, Department.id == DepartmentCheck.department_id)
        .where(DepartmentCheck.round_id == found.id)
    ).all()
    by_department: dict[str, list[DepartmentCheck]] = {}
    for check, name in rows:
        by_department.setdefault(name, []).append(check)
    results = []
    for name, checks in by_department.items():
        passed = sum(1 for check in checks if check.passed)
        failures = [f"{points[c.checkpoint_id]}：{c.note}" if c.note else points[c.checkpoint_id]
                    for c in sorted(checks, key=lambda c: c.checkpoint_id) if not c.passed]
        score = round(100 * passed / len(points), 1) if points else 0.0
        results.append(DepartmentResult(name, passed, len(checks), len(points), score, failures))
    results.sort(key=lambda r: (-r.score, r.department))
    for index, result in enumerate(results):
        result.rank = results[index - 1].rank if index and results[index - 1].score == result.score else index + 1
    return results


def department_checks(session: Session, round_id: int, department_id: int) -> list[DepartmentCheck]:
    get_round(session, round_id)
    return list(session.scalars(select(DepartmentCheck).where(DepartmentCheck.round_id == round_id,
                                                              DepartmentCheck.department_id == department_id)
                                .order_by(DepartmentCheck.checkpoint_id)))


def remove_check(session: Session, round_id: int, check_id: int, actor: audit.Actor) -> None:
    found = get_round(session, round_id)
    if found.status == ROUND_LOCKED:
        raise RoundLocked()
    session.execute(delete(DepartmentCheck).where(DepartmentCheck.id == check_id,
                                                  DepartmentCheck.round_id == found.id))
    audit.record(session, actor, "inspection.remove_check", "inspection_department_check", check_id)
    session.commit()
