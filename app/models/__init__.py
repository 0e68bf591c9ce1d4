"""All models, imported here so Alembic and the app see one metadata."""

from app.models.account import ApiSession, MiniProgramAccount
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.kv import KeyValue
from app.models.messaging import OutboxMessage, PushTarget
from app.models.org import ROLE_ADMIN, Department, Staff, StaffRole
from app.models.wish import Wish, WishClaim, WishPhoto, WishProof, WishTransition

__all__ = [
    "ROLE_ADMIN",
    "ApiSession",
    "AuditLog",
    "Base",
    "Department",
    "KeyValue",
    "MiniProgramAccount",
    "OutboxMessage",
    "PushTarget",
    "Staff",
    "StaffRole",
    "Wish",
    "WishClaim",
    "WishPhoto",
    "WishProof",
    "WishTransition",
]
