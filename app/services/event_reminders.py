"""Event reminders: outbox rows with ``due_at``, queued when an event is published.

A reminder rule is a short string stored on the event (``Event.reminders``; NULL means
``DEFAULT_REMINDERS``):

* ``"1d@09:00"``: N days before the start day, at a local wall-clock time (``0d@08:00`` is the
  morning of the day itself);
* ``"60m"`` or ``"2h"``: that long before the start.

Every reminder is an outbox row whose key starts with ``event:<id>:remind:``; the group copy is keyed
``event:<id>:remind:groups:<start>:<rule>`` and each registered person's copy
``event:<id>:remind:staff:<staff id>:<start>:<rule>``. ``<start>`` is the start time (UTC,
``YYYYmmddHHMM``), so a moved event gets new keys while a reminder already sent for an unchanged
time is never sent twice. Withdrawing a prefix deletes only pending rows: the whole event
(``withdraw_event_reminders``) when it is edited or cancelled, one person when they cancel their
registration. Reminders already due when they would be queued are not queued at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import calendar_cn
from app.errors import AppError
from app.models import Event, EventRegistration, Staff
from app.services import outbox
from app.timeutil import local_datetime, to_local

DEFAULT_REMINDERS = ("1d@09:00", "60m")
MAX_REMINDERS = 5
MAX_DAYS_BEFORE = 30
MAX_MINUTES_BEFORE = MAX_DAYS_BEFORE * 24 * 60

_DAY_RULE = re.compile(r"^(\d{1,2})d@(\d{1,2}):(\d{2})$")
_LEAD_RULE = re.compile(r"^(\d{1,5})([mh])$")


class InvalidReminders(AppError):
    status_code = 422
    code = "invalid_reminders"
    message = "提醒设置有误"


@dataclass(frozen=True)
class ReminderRule:
    spec: str
    days_before: int | None = None  # a day rule: this many days before, at ``at``
    at: time | None = None
    minutes_before: int | None = None  # a lead rule

    def due_at(self, starts_at: datetime) -> datetime:
        if self.minutes_before is not None:
            return starts_at - timedelta(minutes=self.minutes_before)
        assert self.days_before is not None and self.at is not None
        day = to_local(starts_at).date() - timedelta(days=self.days_before)
        return local_datetime(day, self.at).astimezone(UTC)

    def phrase(self, starts_at: datetime) -> str:
        """When the event starts, as seen by someone reading the reminder when it is due."""
        if self.minutes_before is not None:
            hours, minutes = divmod(self.minutes_before, 60)
            lead = f"{hours}小时" if not minutes else (f"{minutes}分钟" if not hours else f"{hours}小时{minutes}分钟")
            return f"{lead}后（{to_local(starts_at):%H:%M}）"
        day = {0: "今天", 1: "明天", 2: "后天"}.get(self.days_before or 0, f"{self.days_before}天后")
        return f"{day} {to_local(starts_at):%H:%M}"


def parse_rule(spec: str) -> ReminderRule:
    text = spec.strip().lower()
    if match := _DAY_RULE.match(text):
        days, hour, minute = (int(part) for part in match.groups())
        if days > MAX_DAYS_BEFORE or hour > 23 or minute > 59:
            raise InvalidReminders(f"提醒“{spec}”超出范围：最多提前 {MAX_DAYS_BEFORE} 天，时间为 00:00 到 23:59")
        return ReminderRule(f"{days}d@{hour:02d}:{minute:02d}", days_before=days, at=time(hour, minute))
    if match := _LEAD_RULE.match(text):
        amount, unit = int(match.group(1)), match.group(2)
        minutes = amount * 60 if unit == "h" else amount
        if not 1 <= minutes <= MAX_MINUTES_BEFORE:
            raise InvalidReminders(f"提醒“{spec}”超出范围：应提前 1 分钟到 {MAX_DAYS_BEFORE} 天")
        return ReminderRule(f"{amount}{unit}", minutes_before=minutes)
    raise InvalidReminders(
        f"无法识别的提醒“{spec}”：请写成“1d@09:00”（提前 1 天的 09:00）或“60m”“2h”（开始前 60 分钟、2 小时）"
    )


def validate_reminders(specs: Iterable[str]) -> list[str]:
    """Normalised, without duplicates, in the order given; raises ``InvalidReminders``."""
    rules: list[str] = []
    for spec in specs:
        rule = parse_rule(spec).spec
        if rule not in rules:
            rules.append(rule)
    if len(rules) > MAX_REMINDERS:
        raise InvalidReminders(f"每个活动最多设置 {MAX_REMINDERS} 个提醒")
    return rules


def rules_of(event: Event) -> list[ReminderRule]:
    specs = DEFAULT_REMINDERS if event.reminders is None else event.reminders
    return [parse_rule(spec) for spec in specs]


def _stamp(event: Event) -> str:
    return event.starts_at.astimezone(UTC).strftime("%Y%m%d%H%M")


def event_prefix(event_id: int) -> str:
    return f"event:{event_id}:remind:"


def person_prefix(event_id: int, staff_id: int) -> str:
    return f"{event_prefix(event_id)}staff:{staff_id}:"


def _upcoming(event: Event, now: datetime) -> list[tuple[ReminderRule, datetime]]:
    """Rules whose due time is still ahead of ``now`` and before the start."""
    due = [(rule, rule.due_at(event.starts_at)) for rule in rules_of(event)]
    return [(rule, at) for rule, at in due if now < at < event.starts_at]


def reminder_text(event: Event, rule: ReminderRule, personal: bool) -> str:
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    ends = f"{end:%H:%M}" if end.date() == start.date() else f"{end.month}月{end.day}日 {end:%H:%M}"
    subject = f"您报名的活动“{event.title}”" if personal else f"活动“{event.title}”"
    lines = [
        f"【活动提醒】{subject}将于{rule.phrase(event.starts_at)}开始。",
        f"时间：{start.month}月{start.day}日（{calendar_cn.weekday_name(start.date())}）{start:%H:%M}—{ends}",
        f"地点：{event.location or '待定'}",
    ]
    if personal:
        lines.append("请准时参加，到场后扫码签到。")
    return "\n".join(lines)


def queue_person_reminders(session: Session, event: Event, person: Staff, now: datetime) -> int:
    """Queue one registered person's reminders still ahead; returns how many rows were added."""
    if not event.is_published:
        return 0
    return sum(
        outbox.enqueue_to_staff(
            session,
            f"{person_prefix(event.id, person.id)}{_stamp(event)}:{rule.spec}",
            [person],
            outbox.text(reminder_text(event, rule, personal=True)),
            due_at=due_at,
        )
        for rule, due_at in _upcoming(event, now)
    )


def queue_event_reminders(session: Session, event: Event, now: datetime) -> int:
    """Queue the groups' reminders and every registered person's; returns how many rows were added."""
    if not event.is_published:
        return 0
    queued = sum(
        outbox.enqueue_to_groups(
            session,
            f"{event_prefix(event.id)}groups:{_stamp(event)}:{rule.spec}",
            outbox.text(reminder_text(event, rule, personal=False)),
            due_at=due_at,
        )
        for rule, due_at in _upcoming(event, now)
    )
    people = registered_people(session, event.id)
    return queued + sum(queue_person_reminders(session, event, person, now) for person in people)


def registered_people(session: Session, event_id: int) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .join(EventRegistration, EventRegistration.staff_id == Staff.id)
            .where(EventRegistration.event_id == event_id)
            .order_by(Staff.id)
        )
    )


def withdraw_event_reminders(session: Session, event_id: int) -> int:
    return outbox.withdraw(session, event_prefix(event_id))


def withdraw_person_reminders(session: Session, event_id: int, staff_id: int) -> int:
    return outbox.withdraw(session, person_prefix(event_id, staff_id))
