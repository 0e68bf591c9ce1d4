"""All models, imported here so Alembic and the app see one metadata."""

from app.models.account import ApiSession, MiniProgramAccount
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.kv import KeyValue
from app.models.messaging import OutboxMessage, PushTarget
from app.models.org import ROLE_ADMIN, Department, Staff, StaffRole
from app.models.scheduling import CivilityTip, FestivalSetting, ScheduledNotice, SchedulerJob, TipOfDay

__all__ = [
    "ROLE_ADMIN",
    "ApiSession",
    "AuditLog",
    "Base",
    "CivilityTip",
    "Department",
    "FestivalSetting",
    "KeyValue",
    "MiniProgramAccount",
    "OutboxMessage",
    "PushTarget",
    "ScheduledNotice",
    "SchedulerJob",
    "Staff",
    "StaffRole",
    "TipOfDay",
]
