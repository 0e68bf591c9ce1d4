"""Telling people which items are behind.

- ``remind_items_behind``: 30 days before a half-year ends (31 May / 1 December; a day missed while
  the scheduler was down is handled within ``GRACE_DAYS``), each item of the current half that is not
  yet 已达标 is sent to its 责任人 as an application message (to the admins when it has none, or its
  责任人 has no WeCom account), saying what is missing. Each item's notice is claimed once as ``ledger-behind:<year>-H<half>:item:<n>``.
- ``digest_lines``: the weekly digest's lines for the items behind in the current half.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.services import notices, outbox, staff
from app.services.ledger.evidence import half_of
from app.services.ledger.plan import find_plan
from app.services.ledger.progress import ACHIEVED, HALF_NAMES, plan_progress
from app.timeutil import local_today

DAYS_BEFORE_HALF_END = 30
GRACE_DAYS = 7
DIGEST_MAX = 8


def half_end(year: int, half: int) -> date:
    return date(year, 6, 30) if half == 1 else date(year, 12, 31)


def reminder_day(year: int, half: int) -> date:
    return half_end(year, half) - timedelta(days=DAYS_BEFORE_HALF_END)


def behind_key(year: int, half: int, number: int) -> str:
    return f"ledger-behind:{year}-H{half}:item:{number}"


def remind_items_behind(session: Session, now: datetime) -> int:
    """Queue today's reminders, if today is (or just followed) a reminder day; returns items reminded."""
    today = local_today(now)
    half = half_of(today)
    first = reminder_day(today.year, half)
    if not first <= today < first + timedelta(days=GRACE_DAYS):
        return 0
    if find_plan(session, today.year) is None:
        return 0
    result = plan_progress(session, today.year, half, now)
    end = half_end(today.year, half)
    reminded = 0
    for progress in result.behind:
        item = progress.item
        key = behind_key(today.year, half, item.number)
        if not notices.claim(session, key):
            continue
        owner = item.owner if item.owner is not None and item.owner.active else None
        reachable = owner is not None and owner.wecom_userid
        people = [owner] if reachable else list(staff.active_admins(session))
        text = (f"【创建台账提醒】第 {item.number} 项“{item.title}”{HALF_NAMES[half]}进度：{progress.status}。"
                f"{progress.missing_text}。请在 {end.month}月{end.day}日前补齐。")
        if owner is None:
            text += "（该项尚未指定责任人）"
        elif not reachable:
            text += f"（责任人{owner.name}未绑定企业微信，请转告）"
        outbox.enqueue_to_staff(session, key, people, outbox.text(text))
        reminded += 1
    session.commit()
    return reminded


def digest_lines(session: Session, today: date) -> list[str]:
    """Markdown lines naming the items behind in the current half (empty without a plan)."""
    if find_plan(session, today.year) is None:
        return []
    half = half_of(today)
    behind = [p for p in plan_progress(session, today.year, half).items if p.status != ACHIEVED]
    if not behind:
        return [f"**创建台账**：{HALF_NAMES[half]} 18 项工作均已达标"]
    lines = [f"**创建台账**：{HALF_NAMES[half]}尚有 {len(behind)} 项未达标"]
    for progress in behind[:DIGEST_MAX]:
        lines.append(f"> {progress.item.number}. {progress.item.title}（{progress.status}）{progress.missing_text}")
    if len(behind) > DIGEST_MAX:
        lines.append(f"> 等 {len(behind)} 项，详见 plan status")
    return lines
