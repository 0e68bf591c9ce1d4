"""Progress of each item: its targets against the evidence of the year or of a half-year, a status
(未开展 / 进行中 / 已达标) and what is still missing, in words (``缺少：下半年道德讲堂；植树活动照片``).

With ``half`` None the whole year is judged: a per-half target is judged in each half ("上半年…",
"下半年…"). With ``half`` 1 or 2, per-half targets are judged in that half and yearly ones on the
evidence up to its end; festival targets then ask only for the festivals that fall in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.models import LedgerItem, LedgerPlan
from app.services.ledger.evidence import (
    EventEvidence,
    PledgeEvidence,
    SelectionEvidence,
    YearEvidence,
    festival_day,
    half_of,
    load_year,
)
from app.services.ledger.plan import get_plan

NOT_STARTED = "未开展"
IN_PROGRESS = "进行中"
ACHIEVED = "已达标"
HALF_NAMES = {1: "上半年", 2: "下半年"}


@dataclass
class TargetResult:
    label: str  # what is asked, e.g. "上半年道德讲堂 1 次"
    done: str  # what there is, e.g. "1 次（3月5日）"
    met: bool
    missing: list[str]
    counted: int  # pieces of evidence found (0 everywhere means nothing started)


@dataclass
class ItemProgress:
    item: LedgerItem
    half: int | None
    results: list[TargetResult]
    events: list[EventEvidence]
    participants: dict[str, int] = field(default_factory=dict)
    headcount: dict[str, int] = field(default_factory=dict)
    selections: list[SelectionEvidence] = field(default_factory=list)  # published results
    pledges: list[PledgeEvidence] = field(default_factory=list)  # with their signature counts

    @property
    def missing(self) -> list[str]:
        return [text for result in self.results for text in result.missing]

    @property
    def status(self) -> str:
        if all(result.met for result in self.results):
            return ACHIEVED
        if not any(result.counted for result in self.results) and not self.selections and not self.pledges:
            return NOT_STARTED
        return IN_PROGRESS

    @property
    def missing_text(self) -> str:
        return f"缺少：{'；'.join(self.missing)}" if self.missing else ""


def _in(day: date, half: int | None, cumulative: bool) -> bool:
    if half is None:
        return True
    return half_of(day) <= half if cumulative else half_of(day) == half


def _dates(days: list[date]) -> str:
    shown = "、".join(f"{day.month}月{day.day}日" for day in days[:6])
    return f"（{shown}{'等' if len(days) > 6 else ''}）" if days else ""


def _periods(target: dict, half: int | None) -> list[tuple[int | None, str, bool]]:
    """(half, label prefix, cumulative) pairs a target is judged in."""
    if target.get("per") == "half":
        halves = [half] if half else [1, 2]
        return [(h, HALF_NAMES[h], False) for h in halves]
    return [(half, "", True)]


def _judge(target: dict, item: LedgerItem, evidence: YearEvidence, half: int | None) -> list[TargetResult]:
    kind = target["type"]
    results = []
    if kind == "festivals":
        year = evidence.plan.year
        wanted = [name for name in target["festivals"]
                  if half is None or half_of(festival_day(name, year)) == half]
        held: dict[str, list[date]] = {}
        for event in evidence.events_for(item.number):
            festival = event.items.get(item.number)
            if festival:
                held.setdefault(festival, []).append(event.day)
        missing = [name for name in wanted if name not in held]
        done = [f"{name}{_dates(held[name])}" for name in wanted if name in held]
        results.append(TargetResult(
            label=f"传统节日活动：{'、'.join(wanted) or '本期无'}",
            done="、".join(done) or "无",
            met=not missing,
            missing=[f"传统节日活动（{'、'.join(missing)}）"] if missing else [],
            counted=len(done),
        ))
        return results
    for period, prefix, cumulative in _periods(target, half):
        if kind == "events":
            events = [e for e in evidence.events_for(item.number) if _in(e.day, period, cumulative)]
            count = target.get("count", 1)
            label = target.get("label", "活动")
            missing = []
            if len(events) < count:
                short = count - len(events)
                missing.append(f"{prefix}{label}" + (f"（还差 {short} 次）" if count > 1 else ""))
            if target.get("photos") and events and not any(e.photos for e in events):
                missing.append(f"{prefix}{label}照片")
            results.append(TargetResult(
                label=f"{prefix}{label} {count} 次" + ("（含照片）" if target.get("photos") else ""),
                done=f"{len(events)} 次{_dates([e.day for e in events])}",
                met=not missing, missing=missing, counted=len(events),
            ))
        elif kind == "documents":
            documents = [d for d in evidence.documents_for(item)
                         if d.kind == target["kind"] and _in(d.dated, period, cumulative)]
            count = target.get("count", 1)
            label = target.get("label") or target["kind"]
            met = len(documents) >= count
            results.append(TargetResult(
                label=f"{prefix}{label}（{target['kind']}）" + (f" {count} 份" if count > 1 else ""),
                done=f"{len(documents)} 份{_dates([d.dated for d in documents])}",
                met=met, missing=[] if met else [f"{prefix}{label}"], counted=len(documents),
            ))
        elif kind == "hours":
            hours = sum(e.hours for e in evidence.events_for(item.number) if _in(e.day, period, cumulative))
            met = hours >= target["hours"]
            results.append(TargetResult(
                label=f"{prefix}志愿服务时长 {target['hours']:g} 小时", done=f"{hours:g} 小时", met=met,
                missing=[] if met else [f"{prefix}志愿服务时长（还差 {target['hours'] - hours:g} 小时）"],
                counted=1 if hours else 0,
            ))
        elif kind == "wishes":
            days = [day for day in evidence.wishes_confirmed if _in(day, period, cumulative)]
            count = target.get("count", 1)
            met = len(days) >= count
            results.append(TargetResult(
                label=f"{prefix}微心愿完成 {count} 个", done=f"{len(days)} 个{_dates(days)}", met=met,
                missing=[] if met else [f"{prefix}微心愿（已完成 {len(days)}/{count} 个）"], counted=len(days),
            ))
        elif kind == "broadcasts":
            days = [day for day in evidence.broadcasts if _in(day, period, cumulative)]
            count = target.get("count", 1)
            met = len(days) >= count
            results.append(TargetResult(
                label=f"{prefix}公告和文明提示 {count} 条", done=f"{len(days)} 条{_dates(days)}", met=met,
                missing=[] if met else [f"{prefix}文明风尚传播（公告和文明提示 {len(days)}/{count} 条）"],
                counted=len(days),
            ))
    return results


def item_progress(item: LedgerItem, evidence: YearEvidence, half: int | None = None) -> ItemProgress:
    results = [result for target in item.targets for result in _judge(target, item, evidence, half)]
    events = [e for e in evidence.events_for(item.number) if _in(e.day, half, False)]
    return ItemProgress(
        item=item, half=half, results=results, events=events,
        participants=evidence.participants.get(item.number, {}), headcount=evidence.headcount,
        selections=[s for s in evidence.selections_for(item.number) if _in(s.day, half, False)],
        pledges=[p for p in evidence.pledges_for(item.number) if _in(p.day, half, False)],
    )


@dataclass
class PlanProgress:
    plan: LedgerPlan
    half: int | None
    evidence: YearEvidence
    items: list[ItemProgress]

    @property
    def behind(self) -> list[ItemProgress]:
        return [progress for progress in self.items if progress.status != ACHIEVED]


def plan_progress(session: Session, year: int, half: int | None = None, now: datetime | None = None) -> PlanProgress:
    """Every item's progress for the year (or one half), reading the evidence once."""
    plan = get_plan(session, year)
    evidence = load_year(session, plan, now)
    return PlanProgress(plan, half, evidence, [item_progress(item, evidence, half) for item in plan.items])
