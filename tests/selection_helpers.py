"""Helpers for 评选 and 承诺 tests: a selection in a given phase, bound people, phase moves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.extensions import db
from app.models import Selection
from app.models.base import utcnow
from app.services import audit, selections
from tests import factories


def person(name: str | None = None, department: str = "办公室", admin: bool = False, wecom: bool = False):
    """A roster entry with a bound mini-program account: (staff, headers)."""
    staff = factories.make_staff(name=name, department=department, admin=admin)
    if wecom:
        staff.wecom_userid = f"wecom-{staff.employee_no}"
        db.session.commit()
    return staff, factories.make_bound_account(staff)


def windows(phase: str, now: datetime | None = None) -> dict[str, datetime]:
    """Phase windows around now: ``nominating``, ``reviewing``, ``voting`` or ``counting``."""
    now = now or utcnow()
    hour = timedelta(hours=1)
    starts = {"nominating": -1, "reviewing": -3, "voting": -4, "counting": -6}[phase]
    nominate_from = now + starts * hour
    if phase == "nominating":
        return dict(nominate_from=nominate_from, nominate_until=now + hour, vote_from=now + 2 * hour, vote_until=now + 3 * hour)
    if phase == "reviewing":
        return dict(nominate_from=nominate_from, nominate_until=now - hour, vote_from=now + hour, vote_until=now + 2 * hour)
    if phase == "voting":
        return dict(nominate_from=nominate_from, nominate_until=now - 2 * hour, vote_from=now - hour, vote_until=now + hour)
    return dict(nominate_from=nominate_from, nominate_until=now - 4 * hour, vote_from=now - 3 * hour, vote_until=now - hour)


def make_selection(phase: str = "nominating", publish: bool = True, **fields: Any) -> Selection:
    values: dict[str, Any] = dict(title="2026年度节俭文明人评选", kind="honour", work_item=8, **windows(phase))
    values.update(fields)
    selection = selections.create_selection(db.session, selections.SelectionDraft(**values), audit.Actor.system(), None)
    if publish:
        selections.publish_selection(db.session, selection.id, audit.Actor.system())
    return selection


def move_to(selection_id: int, phase: str) -> None:
    """Move a selection's windows so that it is in ``phase`` now (the clock is real)."""
    selection = db.session.get(Selection, selection_id)
    for name, value in windows(phase).items():
        setattr(selection, name, value)
    db.session.commit()


def nominate_people(selection_id: int, admin, people) -> list[int]:
    ids = []
    for staff in people:
        nomination = selections.Nomination(subject="person", reasons=f"{staff.name}勤俭节约，光盘行动带头人。", staff_id=staff.id)
        entry = selections.nominate(db.session, selection_id, nomination, audit.Actor.staff(admin.id), admin)
        ids.append(entry.id)
    return ids
