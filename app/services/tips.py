"""Civility tips: one a working day to the groups, rotating through the library without repeats.

Each day's tip is recorded in ``tip_of_day`` (the day is the primary key), so the push job, a
re-run of it and the bot's ``提示`` command all see the same tip for a day, and two schedulers cannot
choose two. A cycle ends when every enabled tip has been used; the next cycle uses them again in a
different order and never starts with the tip that ended the previous one.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.civility_tips import TIPS
from app.errors import Conflict, NotFound
from app.models import CivilityTip, ScheduledNotice, TipOfDay
from app.services import audit, notices, outbox, working_days
from app.services.sql import insert_ignoring_conflicts
from app.timeutil import local_today

logger = logging.getLogger(__name__)


def seed_tips(session: Session) -> int:
    """Add every library tip that is not in the database yet; returns how many were added."""
    existing = set(session.scalars(select(CivilityTip.content)))
    missing = [(theme, content) for theme, content in TIPS if content not in existing]
    session.add_all(CivilityTip(theme=theme, content=content) for theme, content in missing)
    session.commit()
    return len(missing)


def tip_message(tip: CivilityTip) -> str:
    return f"【文明提示·{tip.theme}】{tip.content}"


def todays_tip(session: Session, day: date) -> CivilityTip | None:
    """The tip for ``day`` (on a weekend or holiday, the last working day's); None if the library is empty.

    If the day has no tip yet, its choice is added to ``session`` for the caller to commit with its own
    work (the bot commits with its reply), so the push later that day sends the same tip.
    """
    return _tip_for_day(session, working_days.last_working_day(session, day))


def look_up_tip(session: Session, day: date) -> tuple[CivilityTip | None, bool]:
    """The tip ``todays_tip`` would give for ``day``, changing nothing: ``(tip, decided)``. When the day
    has no tip yet, this is the next one in the rotation (``decided`` False): looking never uses one up."""
    shown_day = working_days.last_working_day(session, day)
    assigned = session.get(TipOfDay, shown_day)
    if assigned is not None:
        return assigned.tip, True
    choice = _next_tip(session)
    return (session.get(CivilityTip, choice[0]) if choice else None), False


def pin_tip(session: Session, day: date, actor: audit.Actor, tip_id: int | None = None) -> CivilityTip:
    """Decide ``day``'s tip now: the given one, or the next in the rotation. A day whose tip has been
    pushed to the groups keeps it."""
    if session.get(ScheduledNotice, tip_key(day)) is not None:
        raise Conflict(f"{day.isoformat()} 的文明提示已推送，不能更改", code="tip_already_sent")
    if tip_id is None:
        tip = _tip_for_day(session, day)
        if tip is None:
            raise NotFound(EMPTY_LIBRARY, code="tip_library_empty")
    else:
        tip = session.get(CivilityTip, tip_id)
        if tip is None or not tip.enabled:
            raise NotFound(f"没有编号为 {tip_id} 的可用文明提示", code="tip_not_found")
        assigned = session.get(TipOfDay, day)
        if assigned is None:
            cycle = session.scalar(select(func.max(TipOfDay.cycle))) or 1
            session.add(TipOfDay(day=day, tip_id=tip.id, cycle=cycle))
        else:
            assigned.tip_id = tip.id
    audit.record(session, actor, "tip.pin", "civility_tip", tip.id, day=day.isoformat())
    session.commit()
    return tip


EMPTY_LIBRARY = "提示库为空：请执行 flask --app app seed-reference，安装随项目提供的文明提示库"


def tip_key(day: date) -> str:
    return f"tip:{day.isoformat()}"


def push_daily_tip(session: Session, now: datetime) -> str | None:
    """Queue today's tip to the groups if today is a working day; returns the notice key if queued."""
    today = local_today(now)
    if not working_days.is_working_day(session, today):
        logger.info("no civility tip on %s: not a working day", today)
        return None
    tip = _tip_for_day(session, today)
    if tip is None:
        logger.warning("no civility tip on %s: the tip library is empty or all tips are disabled", today)
        session.commit()
        return None
    key = tip_key(today)
    queued = notices.claim(session, key)
    if queued:
        outbox.enqueue_to_groups(session, key, outbox.text(tip_message(tip)))
    session.commit()
    return key if queued else None


def _tip_for_day(session: Session, day: date) -> CivilityTip | None:
    assigned = session.get(TipOfDay, day)
    if assigned is not None:
        return assigned.tip
    choice = _next_tip(session)
    if choice is None:
        return None
    tip_id, cycle = choice
    insert_ignoring_conflicts(session, TipOfDay, {"day": day, "tip_id": tip_id, "cycle": cycle}, ["day"])
    # Whoever inserted first (this call or a concurrent one) decided the day's tip.
    return session.scalars(select(TipOfDay).where(TipOfDay.day == day)).one().tip


def _next_tip(session: Session) -> tuple[int, int] | None:
    enabled = dict(session.execute(select(CivilityTip.id, CivilityTip.content).where(CivilityTip.enabled.is_(True))).all())
    if not enabled:
        return None
    cycle = session.scalar(select(func.max(TipOfDay.cycle))) or 1
    used = set(session.scalars(select(TipOfDay.tip_id).where(TipOfDay.cycle == cycle)))
    candidates = [tip_id for tip_id in enabled if tip_id not in used]
    if not candidates:
        cycle += 1
        last = session.scalar(select(TipOfDay.tip_id).order_by(TipOfDay.day.desc()).limit(1))
        candidates = [tip_id for tip_id in enabled if tip_id != last] or list(enabled)
    # A fixed shuffle per cycle mixes the themes and changes the order from one cycle to the next. It is
    # keyed on the tip's text, not its id, so every installation (and every test run) gets the same order.
    def rank(tip_id: int) -> bytes:
        return hashlib.sha256(f"{cycle}:{enabled[tip_id]}".encode()).digest()

    return min(candidates, key=rank), cycle


class TipNotFound(NotFound):
    code = "tip_not_found"
    message = "今天没有文明提示"


def read_todays_tip(session: Session, day: date) -> CivilityTip:
    """``todays_tip`` for a reader outside a larger transaction (the mini-program's home page): the day's
    choice is committed at once, so the push later that day sends the same tip; an empty library is
    ``TipNotFound``."""
    tip = todays_tip(session, day)
    session.commit()
    if tip is None:
        raise TipNotFound()
    return tip
