"""Where access tokens live, so every process shares one token instead of fetching its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wechatpy.session import SessionStorage

from app.models.kv import KeyValue


class DatabaseStorage(SessionStorage):
    """wechatpy session storage on the ``kv_store`` table.

    It uses its own short sessions on the engine so a token fetch never joins (or commits) the
    caller's transaction.
    """

    def __init__(self, engine: Engine, prefix: str = "wechatpy") -> None:
        self.engine = engine
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def get(self, key: str, default: Any = None) -> Any:
        with Session(self.engine) as session:
            row = session.scalar(select(KeyValue).where(KeyValue.key == self._key(key)))
            if row is None:
                return default
            if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
                return default
            return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        expires_at = datetime.now(UTC) + timedelta(seconds=ttl) if ttl else None
        try:
            with Session(self.engine) as session, session.begin():
                row = session.get(KeyValue, self._key(key))
                if row is None:
                    session.add(KeyValue(key=self._key(key), value=json.dumps(value), expires_at=expires_at))
                else:
                    row.value = json.dumps(value)
                    row.expires_at = expires_at
        except IntegrityError:
            # Another process stored a fresh value for the same key first; theirs is as good as ours.
            pass

    def delete(self, key: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(KeyValue).where(KeyValue.key == self._key(key)))
