"""Evidence gathered as the work happens: which events count for which item, and everything else a
year's progress reads (documents, photos, volunteer hours, confirmed 微心愿, announcements and tips,
评选 whose results were published and 承诺书 that opened, each for its work item).

An event counts for the items it is tagged with (``ledger_event_item`` rows); an event without rows
counts for its kind's default item (``app.ledger_plan.DEFAULT_ITEM_BY_KIND``) and, for a 传统节日, for
the festival its title names or whose date is nearest (within ``FESTIVAL_WINDOW_DAYS``). Tagging
replaces an event's rows in one transaction. ``load_year`` reads a year in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from app import calendar_cn, ledger_plan
from app.models import (
    Announcement,
    Checkin,
    Department,
    Event,
    EventItemLink,
    Pledge,
    PledgeSignature,
    Selection,
    SelectionResult,
    LedgerDocument,
    LedgerItem,
    LedgerPlan,
    Staff,
    TipOfDay,
    WishTransition,
)
from app.models.base import utcnow
from app.models.events import DIRECTION_IN, DIRECTION_OUT, EVENT_PUBLISHED
from app.models.pledge import PLEDGE_PUBLISHED
from app.services import audit
from app.services.ledger.errors import EventNotFound, InvalidFestival, ItemNotFound, ItemWrongYear, PlanNotFound
from app.services.ledger.plan import find_plan
from app.timeutil import local_datetime, to_local

FESTIVAL_WINDOW_DAYS = 10
# The plan's names for festivals the calendar module names differently.
CALENDAR_NAMES = {"三月三": "壮族三月三"}
FESTIVAL_KIND = "传统节日"


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return local_datetime(date(year, 1, 1), time.min), local_datetime(date(year + 1, 1, 1), time.min)


def half_of(day: date) -> int:
    return 1 if day.month <= 6 else 2


def festival_day(name: str, year: int) -> date:
    return calendar_cn.festival_date(CALENDAR_NAMES.get(name, name), year)


def default_festival(event: Event) -> str | None:
    """The traditional festival a 传统节日 event marks: named in its title, else the nearest by date."""
    for name in ledger_plan.TRADITIONAL_FESTIVALS:
        if name in event.title:
            return name
    day = to_local(event.starts_at).date()
    nearest = min(
        ledger_plan.TRADITIONAL_FESTIVALS, key=lambda name: abs((festival_day(name, day.year) - day).days)
    )
    return nearest if abs((festival_day(nearest, day.year) - day).days) <= FESTIVAL_WINDOW_DAYS else None


def default_links(event: Event) -> dict[int, str | None]:
    """{item number: festival} for an event nobody tagged."""
    number = ledger_plan.DEFAULT_ITEM_BY_KIND.get(event.kind)
    if number is None:
        return {}
    return {number: default_festival(event) if event.kind == FESTIVAL_KIND else None}


# ---- tagging ---------------------------------------------------------------------------------------


def _event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound()
    return event


def tag_event(
    session: Session, event_id: int, item_ids: Sequence[int], actor: audit.Actor, festival: str | None = None
) -> list[LedgerItem]:
    """Make the event count for exactly ``item_ids`` (all of its own year's plan)."""
    event = _event(session, event_id)
    if festival is not None and festival not in ledger_plan.TRADITIONAL_FESTIVALS:
        raise InvalidFestival()
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise ItemNotFound("请至少指定一个工作项")
    items = session.scalars(select(LedgerItem).where(LedgerItem.id.in_(ids))).all()
    if len(items) != len(ids):
        missing = sorted(set(ids) - {item.id for item in items})
        raise ItemNotFound(f"工作项不存在：{'、'.join(map(str, missing))}")
    year = to_local(event.starts_at).year
    plan_years = dict(session.execute(select(LedgerPlan.id, LedgerPlan.year).where(
        LedgerPlan.id.in_({item.plan_id for item in items})
    )).all())
    wrong = [item for item in items if plan_years[item.plan_id] != year]
    if wrong:
        raise ItemWrongYear(
            f"活动在 {year} 年举行，不能计入 {plan_years[wrong[0].plan_id]} 年计划的第 {wrong[0].number} 项"
        )
    session.execute(delete(EventItemLink).where(EventItemLink.event_id == event.id))
    for item in items:
        counts_festivals = any(target.get("type") == "festivals" for target in item.targets)
        marks = (festival or default_festival(event)) if counts_festivals else None
        session.add(EventItemLink(event_id=event.id, item_id=item.id, festival=marks))
    audit.record(session, actor, "ledger.tag_event", "event", event.id,
                 items=sorted(item.number for item in items), festival=festival)
    session.commit()
    return sorted(items, key=lambda item: item.number)


def tag_event_by_numbers(
    session: Session, event_id: int, numbers: Sequence[int], actor: audit.Actor, festival: str | None = None
) -> list[LedgerItem]:
    """``tag_event`` with item numbers of the plan of the event's own year (the CLI's form)."""
    event = _event(session, event_id)
    year = to_local(event.starts_at).year
    plan = find_plan(session, year)
    if plan is None:
        raise PlanNotFound.for_year(year)
    by_number = {item.number: item.id for item in plan.items}
    unknown = [number for number in numbers if number not in by_number]
    if unknown:
        raise ItemNotFound(f"{year} 年计划中没有第 {'、'.join(map(str, unknown))} 项")
    return tag_event(session, event_id, [by_number[number] for number in numbers], actor, festival)


def event_items(session: Session, event_id: int) -> tuple[dict[int, str | None], bool]:
    """The event's {item number: festival} and whether they were tagged (False: the default by kind)."""
    event = _event(session, event_id)
    rows = session.execute(
        select(LedgerItem.number, EventItemLink.festival)
        .join(LedgerItem, LedgerItem.id == EventItemLink.item_id)
        .where(EventItemLink.event_id == event.id)
    ).all()
    if rows:
        return {number: festival for number, festival in rows}, True
    return default_links(event), False


# ---- a year's evidence -------------------------------------------------------------------------------


@dataclass
class EventEvidence:
    event: Event
    items: dict[int, str | None]  # item number -> festival
    tagged: bool
    signins: int = 0
    photos: int = 0
    hours: float = 0.0

    @property
    def day(self) -> date:
        return to_local(self.event.starts_at).date()


@dataclass
class SelectionEvidence:
    """A 评选 whose results were published: its result list is the evidence."""

    selection_id: int
    title: str
    work_item: int
    day: date  # when the results were published (local)
    entries: int


@dataclass
class PledgeEvidence:
    """A published 承诺书 that has opened: its signed list is the evidence."""

    pledge_id: int
    title: str
    work_item: int
    day: date  # when signing opened (local)
    signatures: int


@dataclass
class YearEvidence:
    plan: LedgerPlan
    events: list[EventEvidence]
    documents: list[LedgerDocument]
    wishes_confirmed: list[date]
    broadcasts: list[date]
    # item number -> department -> distinct people who signed in at the item's activities
    participants: dict[int, dict[str, int]] = field(default_factory=dict)
    headcount: dict[str, int] = field(default_factory=dict)
    # department -> distinct people who signed in at any activity of the year / volunteer hours
    department_people: dict[str, int] = field(default_factory=dict)
    department_hours: dict[str, float] = field(default_factory=dict)

    selections: list[SelectionEvidence] = field(default_factory=list)
    pledges: list[PledgeEvidence] = field(default_factory=list)

    def events_for(self, number: int) -> list[EventEvidence]:
        return [evidence for evidence in self.events if number in evidence.items]

    def selections_for(self, number: int) -> list[SelectionEvidence]:
        return [evidence for evidence in self.selections if evidence.work_item == number]

    def pledges_for(self, number: int) -> list[PledgeEvidence]:
        return [evidence for evidence in self.pledges if evidence.work_item == number]

    def documents_for(self, item: LedgerItem) -> list[LedgerDocument]:
        return [document for document in self.documents if document.item_id == item.id]


def load_year(session: Session, plan: LedgerPlan, now: datetime | None = None) -> YearEvidence:
    """Everything the year's progress and pack read, in a fixed number of queries.

    Events count once they have started, are published and fall in the plan's year (local time)."""
    now = now or utcnow()
    start, end = year_bounds(plan.year)
    held = and_(Event.status == EVENT_PUBLISHED, Event.starts_at >= start, Event.starts_at < end, Event.starts_at <= now)
    events = session.scalars(select(Event).where(held).order_by(Event.starts_at, Event.id)).all()
    item_numbers = {item.id: item.number for item in plan.items}
    links: dict[int, dict[int, str | None]] = defaultdict(dict)
    for event_id, item_id, festival in session.execute(
        select(EventItemLink.event_id, EventItemLink.item_id, EventItemLink.festival)
        .join(Event, Event.id == EventItemLink.event_id)
        .where(held)
    ):
        if item_id in item_numbers:
            links[event_id][item_numbers[item_id]] = festival
    evidence = {
        event.id: EventEvidence(event, links[event.id], True) if event.id in links
        else EventEvidence(event, default_links(event), False)
        for event in events
    }
    for event_id, signins, minutes in session.execute(
        select(
            Checkin.event_id,
            func.count(Checkin.id).filter(Checkin.direction == DIRECTION_IN),
            func.coalesce(func.sum(Checkin.credited_minutes).filter(Checkin.direction == DIRECTION_OUT), 0),
        )
        .join(Event, Event.id == Checkin.event_id)
        .where(held)
        .group_by(Checkin.event_id)
    ):
        evidence[event_id].signins = int(signins)
        evidence[event_id].hours = int(minutes) / 60
    documents = session.scalars(
        select(LedgerDocument).where(LedgerDocument.item_id.in_(item_numbers)).order_by(LedgerDocument.dated, LedgerDocument.id)
    ).all()
    for document in documents:
        if document.event_id in evidence and document.kind == "照片":
            evidence[document.event_id].photos += 1

    participants: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    everyone: dict[str, set[int]] = defaultdict(set)
    for event_id, staff_id, department in session.execute(
        select(Checkin.event_id, Checkin.staff_id, Department.name)
        .join(Event, Event.id == Checkin.event_id)
        .join(Staff, Staff.id == Checkin.staff_id)
        .join(Department, Department.id == Staff.department_id)
        .where(held, Checkin.direction == DIRECTION_IN)
    ):
        for number in evidence[event_id].items:
            participants[number][department].add(staff_id)
        everyone[department].add(staff_id)
    department_minutes = dict(session.execute(
        select(Department.name, func.coalesce(func.sum(Checkin.credited_minutes), 0))
        .join(Staff, Staff.department_id == Department.id)
        .join(Checkin, Checkin.staff_id == Staff.id)
        .join(Event, Event.id == Checkin.event_id)
        .where(held, Checkin.direction == DIRECTION_OUT)
        .group_by(Department.name)
    ).all())
    headcount = dict(session.execute(
        select(Department.name, func.count(Staff.id))
        .join(Staff, Staff.department_id == Department.id)
        .where(Staff.active.is_(True))
        .group_by(Department.name)
    ).all())

    wishes = [to_local(at).date() for at in session.scalars(
        select(WishTransition.at).where(WishTransition.action == "confirm", WishTransition.at >= start,
                                        WishTransition.at < end)
    )]
    today = to_local(now).date()
    broadcasts = [to_local(at).date() for at in session.scalars(
        select(Announcement.created_at).where(Announcement.created_at >= start, Announcement.created_at < end)
    )]
    broadcasts += list(session.scalars(
        select(TipOfDay.day).where(TipOfDay.day >= date(plan.year, 1, 1), TipOfDay.day <= min(today, date(plan.year, 12, 31)))
    ))
    return YearEvidence(
        plan=plan,
        events=list(evidence.values()),
        documents=list(documents),
        wishes_confirmed=sorted(wishes),
        broadcasts=sorted(broadcasts),
        participants={number: {name: len(people) for name, people in departments.items()}
                      for number, departments in participants.items()},
        headcount={name: int(count) for name, count in headcount.items()},
        department_people={name: len(people) for name, people in everyone.items()},
        department_hours={name: int(minutes) / 60 for name, minutes in department_minutes.items() if minutes},
        selections=load_selections(session, start, end),
        pledges=load_pledges(session, start, end, now),
    )


def load_selections(session: Session, start: datetime, end: datetime) -> list[SelectionEvidence]:
    """评选 with a work item whose results were published in [start, end), with their entries (one query)."""
    rows = session.execute(
        select(Selection.id, Selection.title, Selection.work_item, Selection.results_published_at,
               func.count(SelectionResult.id))
        .outerjoin(SelectionResult, SelectionResult.selection_id == Selection.id)
        .where(Selection.work_item.is_not(None), Selection.results_published_at >= start,
               Selection.results_published_at < end)
        .group_by(Selection.id, Selection.title, Selection.work_item, Selection.results_published_at)
        .order_by(Selection.results_published_at, Selection.id)
    )
    return [SelectionEvidence(id_, title, item, to_local(at).date(), int(count)) for id_, title, item, at, count in rows]


def load_pledges(session: Session, start: datetime, end: datetime, now: datetime) -> list[PledgeEvidence]:
    """Published 承诺书 with a work item that opened in [start, end) by ``now``, with their signatures (one query)."""
    rows = session.execute(
        select(Pledge.id, Pledge.title, Pledge.work_item, Pledge.opens_at, func.count(PledgeSignature.id))
        .outerjoin(PledgeSignature, PledgeSignature.pledge_id == Pledge.id)
        .where(Pledge.work_item.is_not(None), Pledge.status == PLEDGE_PUBLISHED, Pledge.opens_at >= start,
               Pledge.opens_at < end, Pledge.opens_at <= now)
        .group_by(Pledge.id, Pledge.title, Pledge.work_item, Pledge.opens_at)
        .order_by(Pledge.opens_at, Pledge.id)
    )
    return [PledgeEvidence(id_, title, item, to_local(at).date(), int(count)) for id_, title, item, at, count in rows]
