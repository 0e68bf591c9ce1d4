"""All models, imported here so Alembic and the app see one metadata."""

from app.models.account import ApiSession, MiniProgramAccount
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.events import Checkin, Event, EventRegistration
from app.models.kv import KeyValue
from app.models.messaging import OutboxMessage, PushTarget
from app.models.org import ROLE_ADMIN, Department, Staff, StaffRole

__all__ = [
    "ROLE_ADMIN",
    "ApiSession",
    "AuditLog",
    "Base",
    "Checkin",
    "Department",
    "Event",
    "EventRegistration",
    "KeyValue",
    "MiniProgramAccount",
    "OutboxMessage",
    "PushTarget",
    "Staff",
    "StaffRole",
]
