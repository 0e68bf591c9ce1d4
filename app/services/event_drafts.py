"""What an organiser fills in for an event, and everything wrong with it: validation returns its
problems and never changes the draft. The limits come from ``app.models.events``, which the API schema
and the CLI read as well."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app

from app.errors import AppError
from app.models.events import (
    CAPACITY_RANGE,
    DESCRIPTION_MAX,
    EVENT_KINDS,
    FIRST_DAY,
    LAST_DAY,
    LATITUDE_RANGE,
    LIVE_CODE_ONLY_KINDS,
    LOCATION_MAX,
    LONGITUDE_RANGE,
    MAX_EVENT_DAYS,
    RADIUS_RANGE_M,
    TITLE_MAX,
)
from app.services import event_reminders
from app.timeutil import local_days, local_zone


class InvalidEvent(AppError):
    status_code = 422
    code = "invalid_event"
    message = "活动信息有误"


@dataclass(frozen=True)
class EventDraft:
    """What an organiser fills in. Naive datetimes are read as the campaign's local time."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None
    capacity: int | None = None
    registration_required: bool = False
    # With registration required: let people who did not register sign in as well.
    walk_ins_allowed: bool = False
    checkout_required: bool = False
    checkin_opens_at: datetime | None = None
    checkin_closes_at: datetime | None = None
    # Only the venue screen's rotating code signs in; None: the kind's default (on for 道德讲堂).
    live_code_only: bool | None = None
    publish: bool = True
    # Reminder rules such as ["1d@09:00", "60m"]; None: the default, []: no reminders.
    reminders: list[str] | None = None

    def aware(self) -> EventDraft:
        """The same draft with every time zone-aware (naive ones are the campaign's wall clock)."""
        opens, closes = self.checkin_opens_at, self.checkin_closes_at
        return replace(
            self,
            starts_at=as_aware(self.starts_at),
            ends_at=as_aware(self.ends_at),
            checkin_opens_at=as_aware(opens) if opens is not None else None,
            checkin_closes_at=as_aware(closes) if closes is not None else None,
        )

    def checkin_window(self) -> tuple[datetime, datetime]:
        """The sign-in window: the organiser's own ends, or the configured minutes around the start (so
        one end given alone is checked against the default for the other)."""
        config = current_app.config
        opens = self.checkin_opens_at or self.starts_at - timedelta(minutes=config["CHECKIN_OPENS_BEFORE_MINUTES"])
        closes = self.checkin_closes_at or self.starts_at + timedelta(minutes=config["CHECKIN_CLOSES_AFTER_MINUTES"])
        return opens, closes

    def wants_live_code_only(self) -> bool:
        return self.kind in LIVE_CODE_ONLY_KINDS if self.live_code_only is None else self.live_code_only

    def problems(self) -> list[str]:
        """What is wrong with the (aware) draft, in Chinese; empty when it can be saved."""
        unsupported = unsupported_dates(self.starts_at, self.ends_at, self.checkin_opens_at, self.checkin_closes_at)
        if unsupported:
            return [unsupported]  # before any arithmetic on them can overflow
        problems = []
        if self.kind not in EVENT_KINDS:
            problems.append(f"活动类型应为以下之一：{'、'.join(EVENT_KINDS)}")
        if not self.title.strip() or len(self.title.strip()) > TITLE_MAX:
            problems.append(f"活动名称不能为空，且不超过 {TITLE_MAX} 字")
        if len(self.description.strip()) > DESCRIPTION_MAX:
            problems.append(f"简介不能超过 {DESCRIPTION_MAX} 字")
        if self.location is not None and len(self.location.strip()) > LOCATION_MAX:
            problems.append(f"地点不能超过 {LOCATION_MAX} 字")
        if self.ends_at <= self.starts_at:
            problems.append("结束时间应晚于开始时间")
        if self.ends_at - self.starts_at > timedelta(days=MAX_EVENT_DAYS):
            problems.append(f"单次活动不能超过 {MAX_EVENT_DAYS} 天")
        if self.capacity is not None and not CAPACITY_RANGE[0] <= self.capacity <= CAPACITY_RANGE[1]:
            problems.append(f"名额应在 {CAPACITY_RANGE[0]} 到 {CAPACITY_RANGE[1]} 之间")
        coordinates = (self.latitude, self.longitude, self.radius_m)
        if any(value is not None for value in coordinates) and not all(value is not None for value in coordinates):
            problems.append("设置签到范围需同时提供纬度、经度和半径")
        if self.latitude is not None and not LATITUDE_RANGE[0] <= self.latitude <= LATITUDE_RANGE[1]:
            problems.append(f"纬度应在 {LATITUDE_RANGE[0]} 到 {LATITUDE_RANGE[1]} 之间")
        if self.longitude is not None and not LONGITUDE_RANGE[0] <= self.longitude <= LONGITUDE_RANGE[1]:
            problems.append(f"经度应在 {LONGITUDE_RANGE[0]} 到 {LONGITUDE_RANGE[1]} 之间")
        if self.radius_m is not None and not RADIUS_RANGE_M[0] <= self.radius_m <= RADIUS_RANGE_M[1]:
            problems.append(f"签到半径应在 {RADIUS_RANGE_M[0]} 到 {RADIUS_RANGE_M[1]} 米之间")
        opens, closes = self.checkin_window()
        if closes <= opens:
            problems.append("签到截止时间应晚于签到开始时间")
        if self.reminders is not None:
            try:
                event_reminders.validate_reminders(self.reminders)
            except event_reminders.InvalidReminders as exc:
                problems.append(exc.message)
        return problems


def unsupported_dates(*moments: datetime | None) -> str | None:
    """The problem with times outside ``FIRST_DAY``..``LAST_DAY`` (local days, inclusive), if any."""
    earliest, latest = local_days(FIRST_DAY, LAST_DAY)
    if any(moment is not None and not earliest <= moment < latest for moment in moments):
        return f"活动时间应在 {FIRST_DAY} 到 {LAST_DAY} 之间"
    return None


def as_aware(moment: datetime) -> datetime:
    """Aware datetimes stay as they are; naive ones are the campaign's wall clock."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=local_zone())
    return moment


def checked(draft: EventDraft) -> EventDraft:
    """The aware draft, or ``InvalidEvent`` with every problem."""
    draft = draft.aware()
    problems = draft.problems()
    if problems:
        raise InvalidEvent("活动信息有误：" + "；".join(problems))
    return draft
