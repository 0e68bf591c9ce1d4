"""日程 for the console: the scheduled jobs and whether a scheduler runs, festival notice settings
with a preview, working-day overrides. Reads and changes go through the existing services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import calendar_cn
from app.errors import AppError, NotFound
from app.models import CivilityTip, FestivalSetting, SchedulerJob
from app.services import audit, festivals, working_days
from app.services.pagination import Page, paginate
from app.services.roles import Viewer, require


@dataclass
class JobRow:
    id: str
    description: str
    when: str
    next_run: datetime | None
    registered: bool


@dataclass
class ScheduleView:
    holder: str | None
    jobs: list[JobRow]
    festivals: list[tuple[FestivalSetting, date]]
    overrides: list[working_days.DayView]
    year: int


def _next_occurrence(name: str, today: date) -> date:
    for year in (today.year, today.year + 1):
        day = calendar_cn.festival_date(name, year)
        if day >= today:
            return day
    return calendar_cn.festival_date(name, today.year + 1)


def schedule(session: Session, viewer: Viewer, today: date, year: int | None = None) -> ScheduleView:
    from scheduler.jobs import JOBS
    from scheduler.lock import lock_holder

    require(viewer, "schedule.view")
    stored = dict(session.execute(select(SchedulerJob.id, SchedulerJob.next_run_time)).tuples().all())
    jobs = [
        JobRow(
            spec.id, spec.description, spec.when(current_app.config),
            datetime.fromtimestamp(stored[spec.id], UTC) if stored.get(spec.id) is not None else None,
            spec.id in stored,
        )
        for spec in JOBS
    ]
    settings = festivals.list_festival_settings(session)
    year = year or today.year
    return ScheduleView(
        holder=lock_holder(session.get_bind()),
        jobs=jobs,
        festivals=[(setting, _next_occurrence(setting.name, today)) for setting in settings],
        overrides=working_days.overrides_in(session, year),
        year=year,
    )


def festival(session: Session, viewer: Viewer, name: str) -> FestivalSetting:
    require(viewer, "schedule.view")
    setting = session.get(FestivalSetting, name)
    if setting is None:
        raise NotFound("没有这个节日", code="festival_not_found")
    return setting


def preview(name: str, template: str, lead_days: list[int], today: date) -> list[tuple[date, str]]:
    """Each notice of the next occurrence as it would read on its send day."""
    template = festivals.validate_template(template)
    leads = festivals.validate_lead_days(lead_days)
    day = _next_occurrence(name, today)
    sends = [day - timedelta(days=lead) for lead in leads]
    return [(send, festivals.render_notice(template, name, day, send)) for send in sends]


def update_festival(session: Session, viewer: Viewer, name: str, *, enabled: bool, lead_days: list[int], template: str, create_draft_event: bool) -> FestivalSetting:
    require(viewer, "schedule.manage")
    return festivals.update_festival_setting(
        session, name, viewer.actor, lead_days=lead_days, template=template, enabled=enabled, create_draft_event=create_draft_event
    )


def set_days(session: Session, viewer: Viewer, first: date, last: date, working: bool | None, note: str) -> int:
    """``working`` None clears the overrides of those days."""
    require(viewer, "schedule.manage")
    if working is None:
        return working_days.clear_days(session, first, last, viewer.actor)
    return working_days.set_days(session, first, last, working, note, viewer.actor)


# ---- the civility tip library -------------------------------------------------------------------------


class InvalidTip(AppError):
    code = "invalid_tip"
    message = "文明提示有误"


@dataclass
class TipLibrary:
    page: Page  # of CivilityTip, by theme
    enabled: int  # in the whole library


def list_tips(session: Session, viewer: Viewer, page: int = 1) -> TipLibrary:
    """One page of the civility tip library and how many tips are enabled; three queries."""
    require(viewer, "schedule.view")
    enabled = session.scalar(select(func.count(CivilityTip.id)).where(CivilityTip.enabled.is_(True))) or 0
    return TipLibrary(paginate(session, select(CivilityTip).order_by(CivilityTip.theme, CivilityTip.id), page), enabled)


def _clean(theme: str, content: str) -> tuple[str, str]:
    theme, content = theme.strip(), content.strip()
    if not 1 <= len(theme) <= 20:
        raise InvalidTip("主题应为 1 到 20 个字")
    if not 1 <= len(content) <= 300:
        raise InvalidTip("提示内容应为 1 到 300 个字")
    return theme, content


def save_tip(session: Session, viewer: Viewer, tip_id: int | None, theme: str, content: str) -> CivilityTip:
    """Add a tip (``tip_id`` None) or change one; the same text twice is refused."""
    require(viewer, "schedule.manage")
    theme, content = _clean(theme, content)
    tip = CivilityTip(theme=theme, content=content, enabled=True) if tip_id is None else session.get(CivilityTip, tip_id)
    if tip is None:
        raise NotFound("没有这条提示", code="tip_not_found")
    tip.theme, tip.content = theme, content
    session.add(tip)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise InvalidTip("提示库中已有相同内容的提示") from exc
    audit.record(session, viewer.actor, "tip.add" if tip_id is None else "tip.edit", "civility_tip", tip.id, theme=theme)
    session.commit()
    return tip


def set_tip_enabled(session: Session, viewer: Viewer, tip_id: int, enabled: bool) -> CivilityTip:
    """A disabled tip is never chosen again; days it was already chosen for keep it."""
    require(viewer, "schedule.manage")
    tip = session.get(CivilityTip, tip_id)
    if tip is None:
        raise NotFound("没有这条提示", code="tip_not_found")
    tip.enabled = enabled
    audit.record(session, viewer.actor, "tip.enable" if enabled else "tip.disable", "civility_tip", tip.id)
    session.commit()
    return tip
