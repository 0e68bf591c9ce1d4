"""The data the campaign commands read from other parts of the system, as small interfaces.

Events, wishes, sign-ins and civility tips are built elsewhere. A command that needs one of these
declares it (``requires=("events",)``) and exists for senders — dispatchable and listed by 帮助 —
only once a source is connected with ``connect(app, name, source)``. Until then it is not shown
and typing it answers like any unknown command: no command ever answers with made-up data.

To wire one, implement the protocol (usually a thin adapter over the domain's service functions)
and add one ``connect(...)`` line to ``connect_sources`` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from flask import Flask
from sqlalchemy.orm import Session

from app.models import Staff

EVENTS = "events"
WISHES = "wishes"
TIPS = "tips"
RECORDS = "records"


@dataclass(frozen=True)
class EventLine:
    """One upcoming event as 活动 shows it."""

    id: int
    title: str
    starts_at: datetime
    place: str
    registration: str  # e.g. "报名中（12/30）", "您已报名", "报名已截止", "无需报名"


@dataclass(frozen=True)
class DepartmentParticipation:
    department: str
    staff_count: int
    participants: int  # distinct people with at least one sign-in in the period
    sign_ins: int
    hours: float


class EventsSource(Protocol):
    def upcoming_for(self, session: Session, staff: Staff, now: datetime, limit: int) -> list[EventLine]:
        """Events starting after ``now``, soonest first, with ``staff``'s registration state."""

    def participation_by_department(
        self, session: Session, start: datetime, end: datetime
    ) -> list[DepartmentParticipation]:
        """Sign-ins and volunteer hours in ``[start, end)``, one row per department."""


@dataclass(frozen=True)
class WishLine:
    id: int
    title: str
    detail: str  # who it is for, where, what is needed
    deadline: date | None


class WishesSource(Protocol):
    def open_wishes(self, session: Session, now: datetime, limit: int) -> list[WishLine]:
        """Wishes that can still be claimed, most urgent first."""


class TipsSource(Protocol):
    def tip_for(self, session: Session, day: date) -> str | None:
        """The civility tip of a local day, or None when there is none."""


@dataclass(frozen=True)
class MyRecord:
    sign_ins: int
    hours: float
    claims: int  # wishes claimed
    claims_done: int  # of which delivered


class RecordsSource(Protocol):
    def record_of(self, session: Session, staff: Staff, since: date) -> MyRecord:
        """``staff``'s sign-ins, volunteer hours and wish claims since the local day ``since``."""


def connect(app: Flask, name: str, source: Any) -> None:
    if name not in (EVENTS, WISHES, TIPS, RECORDS):
        raise ValueError(f"unknown bot data source {name!r}")
    app.extensions.setdefault("bot_sources", {})[name] = source


def connect_sources(app: Flask) -> None:
    """Connect the sources that exist. Events, wishes, records and tips are wired here after merging."""
    from app.services.tips import BotTips

    app.extensions.setdefault("bot_sources", {})
    connect(app, TIPS, BotTips())
