"""评选 for the console: the selections and voting services behind the console's roles (admins manage,
liaisons nominate from their own department, leaders read, appointed judges score)."""

from __future__ import annotations

import re
import io
from datetime import timedelta
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import Department, Selection, SelectionEntry, SelectionJudge, SelectionPhoto, Staff
from app.models.selection import ENTRY_APPROVED
from app.services import selections, staff as staff_service, voting
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require

ENTRIES_PER_PAGE = 50


def _staff(session: Session, viewer: Viewer) -> Staff:
    return session.get(Staff, viewer.staff_id)


def list_selections(session: Session, viewer: Viewer, page: int = 1) -> Page:
    require(viewer, "selections.view")
    return paginate(session, selections.selections_statement(admin=viewer.is_admin), page)


def judges_by_employee_no(session: Session, text: str) -> list[Staff]:
    """Judges named by 工号, separated by commas, spaces or lines; every one must be active on the roster."""
    numbers = [n for n in re.split(r"[\s,，、;；]+", text or "") if n]
    found = []
    for number in dict.fromkeys(numbers):
        person = staff_service.find_staff(session, number, active_only=True)
        if person is None:
            raise selections.InvalidSelection(f"没有工号为 {number} 的在职人员，不能任命为评委")
        found.append(person)
    return found


def create(session: Session, viewer: Viewer, draft: selections.SelectionDraft, judges: str) -> Selection:
    require(viewer, "selections.manage")
    people = judges_by_employee_no(session, judges)
    selection = selections.create_selection(session, draft, viewer.actor, _staff(session, viewer))
    if people:
        voting.appoint_judges(session, selection.id, people, viewer.actor)
    return selection


def update(session: Session, viewer: Viewer, selection_id: int, draft: selections.SelectionDraft) -> Selection:
    require(viewer, "selections.manage")
    return selections.update_selection(session, selection_id, draft, viewer.actor)


def set_judges(session: Session, viewer: Viewer, selection_id: int, judges: str) -> list[Staff]:
    require(viewer, "selections.manage")
    return voting.appoint_judges(session, selection_id, judges_by_employee_no(session, judges), viewer.actor)


def judges_of(session: Session, selection_id: int) -> list[SelectionJudge]:
    return list(session.scalars(select(SelectionJudge).where(SelectionJudge.selection_id == selection_id)))


@dataclass
class SelectionPage:
    selection: Selection
    entries: Page
    judges: list[SelectionJudge]


def _visible_entries(statement, viewer: Viewer):
    """Admins see every entry; others the approved ones and (liaisons) their departments' own."""
    if viewer.is_admin:
        return statement
    return statement.where(or_(SelectionEntry.status == ENTRY_APPROVED,
                               SelectionEntry.department_id.in_(viewer.liaison_departments or {0})))


def selection_page(session: Session, viewer: Viewer, selection_id: int, page: int = 1) -> SelectionPage:
    require(viewer, "selections.view")
    selection = selections.get_selection(session, selection_id, admin=viewer.is_admin)
    statement = _visible_entries(selections.entries_statement(selection_id, approved_only=False), viewer)
    return SelectionPage(selection, paginate(session, statement, page, ENTRIES_PER_PAGE), judges_of(session, selection_id))


def entry(session: Session, viewer: Viewer, selection_id: int, entry_id: int) -> tuple[SelectionEntry, Selection]:
    """An entry the viewer may see, with its selection."""
    require(viewer, "selections.view")
    selection = selections.get_selection(session, selection_id, admin=viewer.is_admin)
    found = selections.get_entry(session, selection_id, entry_id)
    visible = session.scalar(_visible_entries(
        selections.entries_statement(selection_id, approved_only=False).where(SelectionEntry.id == entry_id), viewer))
    if visible is None:
        raise selections.EntryNotFound()
    return found, selection


def photo(session: Session, viewer: Viewer, selection_id: int, photo_id: int) -> SelectionPhoto:
    require(viewer, "selections.view")
    found = selections.photo_for_viewer(session, photo_id, _staff(session, viewer))
    entry(session, viewer, selection_id, found.entry_id)  # the photo's entry in this selection, visible to the viewer
    return found


def publish(session: Session, viewer: Viewer, selection_id: int) -> Selection:
    require(viewer, "selections.manage")
    return selections.publish_selection(session, selection_id, viewer.actor)


def cancel(session: Session, viewer: Viewer, selection_id: int, reason: str) -> Selection:
    require(viewer, "selections.manage")
    return selections.cancel_selection(session, selection_id, viewer.actor, reason)


def review(session: Session, viewer: Viewer, selection_id: int, entry_id: int, approve: bool, reason: str) -> SelectionEntry:
    require(viewer, "selections.manage")
    return selections.review_entry(session, selection_id, entry_id, approve, reason, viewer.actor)


def nominate(session: Session, viewer: Viewer, selection_id: int, nomination: selections.Nomination) -> SelectionEntry:
    """Admins for any department; a liaison for their own department only (the service refuses others)."""
    require(viewer, "selections.nominate")
    departments = None if viewer.is_admin else viewer.liaison_departments
    return selections.nominate(session, selection_id, nomination, viewer.actor, _staff(session, viewer),
                               departments=departments)


@dataclass
class Results:
    selection: Selection
    rows: list  # Standing (live, admins) or SelectionResult (published)
    published: bool


def results(session: Session, viewer: Viewer, selection_id: int) -> Results:
    """The published ranking for every reader; before that, the live ranking with votes for admins only."""
    require(viewer, "selections.view")
    selection = selections.get_selection(session, selection_id, admin=viewer.is_admin)
    if selection.results_published_at is not None:
        return Results(selection, voting.published_results(session, selection), True)
    if not viewer.is_admin:
        raise voting.ResultsNotPublished("结果尚未公布，公布前只有管理员能看到排名和票数")
    return Results(selection, voting.standings(session, selection), False)


def votes(session: Session, viewer: Viewer, selection_id: int, entry_id: int | None) -> tuple[Selection, list]:
    """Who voted for whom (with the selection): admins only, each look audited by the service."""
    require(viewer, "selections.manage")
    selection = selections.get_selection(session, selection_id, admin=True)
    if entry_id is not None:
        selections.get_entry(session, selection_id, entry_id)
    return selection, voting.votes_for_admin(session, selection_id, _staff(session, viewer), entry_id)


def anomalies(session: Session, viewer: Viewer, selection_id: int) -> list[tuple[voting.Anomaly, str]]:
    """Bursts of votes, each with the voters' department name (two queries)."""
    require(viewer, "selections.manage")
    config = current_app.config
    found = voting.unusual_patterns(session, selection_id, threshold=config["VOTE_BURST_THRESHOLD"],
                                    window=timedelta(minutes=config["VOTE_BURST_MINUTES"]))
    names = dict(session.execute(select(Department.id, Department.name).where(
        Department.id.in_({a.department_id for a in found}))).all()) if found else {}
    return [(anomaly, names.get(anomaly.department_id, "")) for anomaly in found]


def publish_results(session: Session, viewer: Viewer, selection_id: int) -> list:
    require(viewer, "selections.manage")
    return voting.publish_results(session, selection_id, viewer.actor, _staff(session, viewer))


def results_workbook(session: Session, viewer: Viewer, selection_id: int) -> bytes:
    require(viewer, "selections.view")
    selections.get_selection(session, selection_id, admin=viewer.is_admin)
    out = io.BytesIO()
    voting.export_results(session, selection_id, out)
    return out.getvalue()


def judging(session: Session, viewer: Viewer) -> list[Selection]:
    require(viewer, "selections.score")
    return voting.judging_selections(session, viewer.staff_id)


def score_sheet(session: Session, viewer: Viewer, selection_id: int) -> voting.ScoreSheet:
    require(viewer, "selections.score")
    return voting.score_sheet(session, selection_id, _staff(session, viewer))


def judge_photo(session: Session, viewer: Viewer, selection_id: int, photo_id: int) -> SelectionPhoto:
    """A photo of an approved entry, for a judge of its selection (works are scored from their photos)."""
    require(viewer, "selections.score")
    sheet = voting.score_sheet(session, selection_id, _staff(session, viewer))  # NotAJudge otherwise
    photo = next((p for entry in sheet.entries for p in entry.photos if p.id == photo_id), None)
    if photo is None:
        raise selections.PhotoNotFound()
    return photo


def score(session: Session, viewer: Viewer, selection_id: int, entry_id: int, value: int):
    require(viewer, "selections.score")
    return voting.score_entry(session, selection_id, entry_id, _staff(session, viewer), value)
