"""创建台账 for the console: the ledger services behind the console's roles. Admins change plans,
documents, event links, records and the pack; leaders read everything; a department liaison reads the
items their department is responsible for (another item is 403). Every function checks the viewer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Department, Event, LedgerDocument, LedgerExport, LedgerItem, LedgerPlan, Reflection, Staff
from app.models.base import utcnow
from app.models.events import EVENT_DRAFT
from app.models.org import ROLE_INSPECTOR
from app.services import audit, dashboard
from app.services.ledger import builds, documents, evidence, plan, records
from app.services.ledger.errors import DocumentNotFound, ItemNotFound, PlanNotFound
from app.services.ledger.evidence import EventEvidence, half_of, load_year
from app.services.ledger.progress import ACHIEVED, IN_PROGRESS, NOT_STARTED, ItemProgress, item_progress
from app.services.roles import OtherDepartment, Viewer, require
from app.timeutil import local_today, to_local

STATUSES = (ACHIEVED, IN_PROGRESS, NOT_STARTED)


class OtherItem(OtherDepartment):
    code = "other_item"
    message = "只能查看本部门负责的工作项"


# ---- who sees which item -----------------------------------------------------------------------------


def _visible_departments(session: Session, viewer: Viewer) -> set[str] | None:
    """None: every item; otherwise the department names whose items a liaison may read."""
    scope = viewer.department_scope()
    if scope is None or ROLE_INSPECTOR in viewer.roles:  # inspectors review the whole 台账
        return None
    return set(session.scalars(select(Department.name).where(Department.id.in_(scope)))) if scope else set()


def _may_see(item: LedgerItem, departments: set[str] | None) -> bool:
    return departments is None or bool(departments & set(item.departments))


def _check_item(session: Session, viewer: Viewer, item: LedgerItem) -> None:
    if not _may_see(item, _visible_departments(session, viewer)):
        raise OtherItem()


# ---- the plan page ------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    item: LedgerItem
    halves: dict[int, ItemProgress]


@dataclass
class PlanPage:
    year: int
    plan: LedgerPlan | None
    rows: list[PlanRow] = field(default_factory=list)
    previous_exists: bool = False
    current_half: int = 1
    build: LedgerExport | None = None
    read_only_scope: bool = False  # a liaison sees only their department's items

    def counts(self, half: int) -> dict[str, int]:
        counts = Counter(row.halves[half].status for row in self.rows)
        return {status: counts.get(status, 0) for status in STATUSES}


def plan_page(session: Session, viewer: Viewer, year: int, now: datetime | None = None) -> PlanPage:
    require(viewer, "ledger.view")
    plan.check_year(year)
    now = now or utcnow()
    today = local_today(now)
    current_half = half_of(today) if today.year == year else (2 if year < today.year else 1)
    found = plan.find_plan(session, year)
    if found is None:
        previous = session.scalar(select(LedgerPlan.id).where(LedgerPlan.year == year - 1)) is not None
        return PlanPage(year, None, previous_exists=previous, current_half=current_half)
    year_evidence = load_year(session, found, now)
    departments = _visible_departments(session, viewer)
    rows = [PlanRow(item, {half: item_progress(item, year_evidence, half) for half in (1, 2)})
            for item in found.items if _may_see(item, departments)]
    build = builds.find_build(session, year) if viewer.can("ledger.manage") else None
    return PlanPage(year, found, rows, current_half=current_half, build=build, read_only_scope=departments is not None)


def init_plan(session: Session, viewer: Viewer, year: int, copy_previous: bool) -> LedgerPlan:
    require(viewer, "ledger.manage")
    return plan.init_plan(session, year, viewer.actor, from_year=year - 1 if copy_previous else None)


# ---- the item page ------------------------------------------------------------------------------------


@dataclass
class ItemPage:
    year: int
    item: LedgerItem
    progress: ItemProgress  # the whole year, per-half targets judged in each half
    events: list[EventEvidence]
    documents: list[LedgerDocument]
    wishes: list[date] | None  # confirmed 微心愿, for an item with a wishes target
    broadcasts: list[date] | None  # announcements and tips, for an item with a broadcasts target
    departments: list[str]  # every department on the roster, for the 责任部门 choices


def _item(session: Session, viewer: Viewer, year: int, number: int) -> LedgerItem:
    require(viewer, "ledger.view")
    item = plan.get_item(session, year, number)
    _check_item(session, viewer, item)
    return item


def item_page(session: Session, viewer: Viewer, year: int, number: int, now: datetime | None = None) -> ItemPage:
    item = _item(session, viewer, year, number)
    year_evidence = load_year(session, item.plan, now or utcnow())
    kinds = {target.get("type") for target in item.targets}
    return ItemPage(
        year=year,
        item=item,
        progress=item_progress(item, year_evidence, None),
        events=year_evidence.events_for(item.number),
        documents=year_evidence.documents_for(item),
        wishes=year_evidence.wishes_confirmed if "wishes" in kinds else None,
        broadcasts=year_evidence.broadcasts if "broadcasts" in kinds else None,
        departments=list(session.scalars(select(Department.name).order_by(Department.name))),
    )


def update_item(session: Session, viewer: Viewer, year: int, number: int, **changes) -> LedgerItem:
    require(viewer, "ledger.manage")
    return plan.update_item(session, year, number, viewer.actor, **changes)


def add_document(session: Session, viewer: Viewer, year: int, number: int, *, kind: str, title: str,
                 stream: BinaryIO, filename: str, dated: date | None) -> LedgerDocument:
    require(viewer, "ledger.manage")
    item = plan.get_item(session, year, number)
    return documents.add_document(session, item_id=item.id, kind=kind, title=title, stream=stream, filename=filename,
                                  actor=viewer.actor, uploader=session.get(Staff, viewer.staff_id), dated=dated)


def document(session: Session, viewer: Viewer, year: int, number: int, document_id: int) -> LedgerDocument:
    """A document of the item, for anyone who may read the item."""
    item = _item(session, viewer, year, number)
    found = session.get(LedgerDocument, document_id)
    if found is None or found.item_id != item.id:
        raise DocumentNotFound()
    return found


def delete_document(session: Session, viewer: Viewer, year: int, number: int, document_id: int) -> LedgerDocument:
    require(viewer, "ledger.manage")
    found = document(session, viewer, year, number, document_id)
    return documents.delete_document(session, found.id, viewer.actor)


# ---- an event's items, record, reflections and photos -------------------------------------------------


@dataclass
class EventPanel:
    event: Event
    year: int
    plan: LedgerPlan | None
    items: dict[int, str | None]  # number -> festival
    tagged: bool
    record: dict | None  # a 道德讲堂 (or an event with a record)
    reflections: list[Reflection]  # admins and leaders only
    photos: list[LedgerDocument]

    @property
    def titles(self) -> dict[int, str]:
        return {item.number: item.title for item in self.plan.items} if self.plan else {}

    @property
    def item_ids(self) -> dict[int, int]:
        return {item.number: item.id for item in self.plan.items} if self.plan else {}


def event_panel(session: Session, viewer: Viewer, event: Event) -> EventPanel:
    require(viewer, "ledger.view")
    year = to_local(event.starts_at).year
    numbers, tagged = evidence.event_items(session, event.id)
    found = plan.find_plan(session, year)
    record = None
    if event.status != EVENT_DRAFT and (event.kind == records.LECTURE_KIND or records.find_record(session, event.id)):
        record = records.record_view(session, event.id)
    reflections = records.event_reflections(session, event.id) if record is not None and viewer.sees_everyone else []
    photos = list(session.scalars(
        select(LedgerDocument).where(LedgerDocument.event_id == event.id).order_by(LedgerDocument.id)
    ))
    return EventPanel(event, year, found, numbers, tagged, record, reflections, photos)


def tag_event(session: Session, viewer: Viewer, event_id: int, item_ids: list[int], festival: str | None) -> list[LedgerItem]:
    require(viewer, "ledger.manage")
    return evidence.tag_event(session, event_id, item_ids, viewer.actor, festival)


def save_record(session: Session, viewer: Viewer, event_id: int, host: str | None, speaker: str | None,
                segments: list[dict]) -> dict:
    require(viewer, "ledger.manage")
    return records.save_record(session, event_id, viewer.actor, host=host, speaker=speaker, segments=segments)


def lock_record(session: Session, viewer: Viewer, event_id: int) -> dict:
    require(viewer, "ledger.manage")
    return records.lock_record(session, event_id, session.get(Staff, viewer.staff_id))


def select_reflections(session: Session, viewer: Viewer, event_id: int, reflection_ids: list[int]) -> list[Reflection]:
    require(viewer, "ledger.manage")
    return records.select_reflections(session, event_id, reflection_ids, session.get(Staff, viewer.staff_id))


def add_event_photo(session: Session, viewer: Viewer, event_id: int, title: str, stream: BinaryIO,
                    filename: str) -> LedgerDocument:
    """A photo of the activity, filed under its first work item of its year's plan."""
    require(viewer, "ledger.manage")
    event = session.get(Event, event_id)
    if event is None:
        raise records.EventNotFound()
    year = to_local(event.starts_at).year
    numbers, _tagged = evidence.event_items(session, event.id)
    found = plan.find_plan(session, year)
    if found is None:
        raise PlanNotFound(f"{year} 年还没有创建计划，照片无法归入台账")
    by_number = {item.number: item for item in found.items}
    item = next((by_number[n] for n in sorted(numbers) if n in by_number), None)
    if item is None:
        raise ItemNotFound("请先为活动指定工作项，再上传照片")
    return documents.add_document(session, item_id=item.id, kind=documents.PHOTO_KIND, title=title or event.title,
                                  stream=stream, filename=filename, actor=viewer.actor,
                                  uploader=session.get(Staff, viewer.staff_id), event_id=event.id)


def event_photo(session: Session, viewer: Viewer, event_id: int, document_id: int) -> LedgerDocument:
    """A photo of an event's 台账 panel, for whoever may read that event's page (a draft: its managers)."""
    require(viewer, "ledger.view")
    require(viewer, "events.view")
    event = session.get(Event, event_id)
    found = session.get(LedgerDocument, document_id)
    if event is None or found is None or found.event_id != event_id or (
            event.status == EVENT_DRAFT and not viewer.can("events.manage")):
        raise DocumentNotFound()
    return found


# ---- the pack -----------------------------------------------------------------------------------------


def start_export(session: Session, viewer: Viewer, year: int) -> LedgerExport:
    require(viewer, "ledger.manage")
    build = builds.start_build(session, year, viewer.name, viewer.actor)
    builds.launch(build.id)
    return build


def export_state(session: Session, viewer: Viewer, year: int) -> LedgerExport | None:
    require(viewer, "ledger.manage")
    plan.check_year(year)
    return builds.find_build(session, year)


def export_file(session: Session, viewer: Viewer, year: int):
    require(viewer, "ledger.manage")
    plan.check_year(year)
    return builds.pack_path(session, year)


# ---- 首页 ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BehindItem:
    number: int
    title: str
    status: str
    missing_text: str


@dataclass(frozen=True)
class DashboardPanel:
    year: int
    half: int
    counts: dict[str, int]
    behind: list[BehindItem]


def dashboard_panel(session: Session, viewer: Viewer, now: datetime | None = None) -> DashboardPanel | None:
    """This half-year's item counts by status and the items behind; None without a plan for the year
    (or, for a liaison, without an item of their department). Plain values, kept like the dashboard's
    other figures (``dashboard.cached``): the evidence of a year reads every sign-in of it."""
    require(viewer, "ledger.view")
    now = now or utcnow()
    today = local_today(now)
    departments = _visible_departments(session, viewer)
    scope = None if departments is None else frozenset(departments)
    return dashboard.cached(("ledger-panel", today.year, half_of(today), scope),
                            lambda: _dashboard_panel(session, today, now, scope))


def _dashboard_panel(session: Session, today: date, now: datetime, departments: frozenset[str] | None) -> DashboardPanel | None:
    found = plan.find_plan(session, today.year)
    if found is None:
        return None
    half = half_of(today)
    year_evidence = load_year(session, found, now)
    progress = [item_progress(item, year_evidence, half) for item in found.items if _may_see(item, departments)]
    if not progress:  # a liaison whose department is responsible for no item
        return None
    counts = Counter(p.status for p in progress)
    return DashboardPanel(today.year, half, {status: counts.get(status, 0) for status in STATUSES},
                          [BehindItem(p.item.number, p.item.title, p.status, p.missing_text)
                           for p in progress if p.status != ACHIEVED])
