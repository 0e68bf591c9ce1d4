"""Writing the audit log. Callers add the entry inside their own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff member, a mini-program account, an operator at the CLI, or the system."""

    type: str
    id: str | None = None

    @classmethod
    def staff(cls, staff_id: int) -> Actor:
        return cls("staff", str(staff_id))

    @classmethod
    def account(cls, account_id: int) -> Actor:
        return cls("account", str(account_id))

    @classmethod
    def cli(cls) -> Actor:
        import getpass

        return cls("cli", getpass.getuser())

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str | None = None,
    entity_id: object | None = None,
    **detail: Any,
) -> AuditLog:
    entry = AuditLog(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        detail=detail,
    )
    session.add(entry)
    return entry
