"""Mini-program accounts and the API sessions issued to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from app.models.org import Staff


class MiniProgramAccount(TimestampMixin, Base):
    """A WeChat user of the mini-program. ``session_key`` never leaves the server."""

    __tablename__ = "mp_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    session_key: Mapped[str | None] = mapped_column(String(128))
    # Unique: one roster entry is bound to at most one account.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), unique=True)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    staff: Mapped[Staff | None] = relationship(lazy="joined")

    @property
    def is_bound(self) -> bool:
        return self.staff_id is not None


class ApiSession(Base):
    """An opaque bearer token, stored only as its SHA-256 digest."""

    __tablename__ = "api_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mp_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_ip: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[MiniProgramAccount] = relationship(lazy="joined")

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    @classmethod
    def valid_at(cls, now: Any) -> ColumnElement[bool]:
        """``is_valid`` as SQL, for statements that authenticate inside themselves."""
        return and_(cls.revoked_at.is_(None), cls.expires_at > now)


BIND_PENDING = "pending"
BIND_APPROVED = "approved"
BIND_REJECTED = "rejected"


class BindRequest(Base):
    """A name + 工号 bind waiting for an admin (``BIND_BY_NAME=approval``).

    ``pending_account_id`` is the account while the request is pending and NULL once decided: unique, so
    an account has at most one pending request, enforced by the database."""

    __tablename__ = "bind_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mp_account.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=BIND_PENDING)
    pending_account_id: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_ip: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))

    account: Mapped[MiniProgramAccount] = relationship(lazy="joined")
    staff: Mapped[Staff] = relationship(lazy="joined")
