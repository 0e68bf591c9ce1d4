"""All models, imported here so Alembic and the app see one metadata."""

from app.models.account import ApiSession, MiniProgramAccount
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.console import ConsoleCredential
from app.models.events import Checkin, Event, EventRegistration
from app.models.kv import KeyValue
from app.models.bot import Announcement, InboundMessage
from app.models.messaging import OutboxLease, OutboxMessage, PushTarget
from app.models.org import ROLE_ADMIN, Department, Staff, StaffRole
from app.models.scheduling import (
    CalendarOverride,
    CivilityTip,
    FestivalSetting,
    ScheduledNotice,
    SchedulerJob,
    TipOfDay,
)
from app.models.wish import Wish, WishClaim, WishPhoto, WishProof, WishTransition

__all__ = [
    "ROLE_ADMIN",
    "Announcement",
    "ApiSession",
    "AuditLog",
    "Base",
    "Checkin",
    "CalendarOverride",
    "CivilityTip",
    "ConsoleCredential",
    "Department",
    "Event",
    "EventRegistration",
    "FestivalSetting",
    "InboundMessage",
    "KeyValue",
    "MiniProgramAccount",
    "OutboxLease",
    "OutboxMessage",
    "PushTarget",
    "ScheduledNotice",
    "SchedulerJob",
    "Staff",
    "StaffRole",
    "TipOfDay",
    "Wish",
    "WishClaim",
    "WishPhoto",
    "WishProof",
    "WishTransition",
]
