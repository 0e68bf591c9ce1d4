"""The outbox dispatcher: sends due rows within WeCom's limits, retries what may succeed later, and
gives up loudly on what never will.

How it stays correct with several dispatchers (see docs/architecture.md, "The dispatcher"):

- A *target* is one ``(channel, address)``: a group robot, a person, a department, a chat. Only the
  holder of the target's lease (``outbox_lease``) sends to it. Leases are taken with a conditional
  ``UPDATE ... WHERE locked_until < now OR holder = me`` (rowcount 1 wins), after a
  ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL so dispatchers never queue behind each other.
- Rate windows are measured, not assumed: before each send the holder looks at the send times of the
  target's last N sent rows; the next send waits until the oldest of them is a full window (plus a
  small margin) old. One holder per target means the window holds across dispatchers.
- Rows are sent one at a time and marked ``sent`` (with their send time) in their own commit right
  after the HTTP call returns. A crash between the call and that commit leaves the row pending; when
  the crashed holder's lease runs out (``OUTBOX_LEASE_SECONDS``) it is sent again. Delivery is
  therefore at-least-once: a crash can duplicate at most the one row per target that was in flight,
  i.e. at most ``OUTBOX_THREADS`` messages per crashed dispatcher, and never more than one copy each.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import OutboxLease, OutboxMessage, PushTarget
from app.models.base import utcnow
from app.models.messaging import (
    CHANNEL_APP,
    STATUS_DEAD,
    STATUS_PENDING,
    STATUS_SENT,
    TARGET_KIND_NAMES,
    TARGET_KIND_OF_CHANNEL,
    TARGET_ROBOT,
)
from app.services import outbox, outbox_media
from app.services.sql import insert_ignoring_conflicts
from app.services.staff import active_admins
from app.timeutil import format_local
from app.wechat import WeChatError, get_robot, get_work
from app.wechat.clients import redact
from config import ConfigError

logger = logging.getLogger(__name__)

DEAD_NOTICE_PREFIX = "outbox-dead:"
TEST_SEND_PREFIX = "test-send:"  # `flask push-targets test-send`
# Rows whose failure tells no admin: the failure notices themselves (no loops) and operator test sends.
SILENT_PREFIXES = (DEAD_NOTICE_PREFIX, TEST_SEND_PREFIX)
APP_RECIPIENT_KINDS = ("touser", "toparty", "totag")
_DISPATCHER_LOCK = ("*", "dispatcher")
_TARGETS_PER_PASS = 200
_ROWS_PER_TARGET = 100


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


@dataclass(frozen=True)
class DispatchSettings:
    robot: Window
    app: Window
    margin: timedelta
    retry_base: float
    retry_max: float
    max_attempts: int
    lease: timedelta
    poll: float
    threads: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DispatchSettings:
        lease = float(config["OUTBOX_LEASE_SECONDS"])
        if lease < 3 * float(config["WECHAT_TIMEOUT"]):
            raise ConfigError("OUTBOX_LEASE_SECONDS must be at least three times WECHAT_TIMEOUT")
        return cls(
            robot=Window(int(config["OUTBOX_ROBOT_LIMIT"]), float(config["OUTBOX_ROBOT_WINDOW_SECONDS"])),
            app=Window(int(config["OUTBOX_APP_LIMIT"]), float(config["OUTBOX_APP_WINDOW_SECONDS"])),
            margin=timedelta(seconds=float(config["OUTBOX_WINDOW_MARGIN_SECONDS"])),
            retry_base=float(config["OUTBOX_RETRY_BASE_SECONDS"]),
            retry_max=float(config["OUTBOX_RETRY_MAX_SECONDS"]),
            max_attempts=int(config["OUTBOX_MAX_ATTEMPTS"]),
            lease=timedelta(seconds=lease),
            poll=float(config["OUTBOX_POLL_SECONDS"]),
            threads=max(1, int(config["OUTBOX_THREADS"])),
        )

    def window_for(self, channel: str) -> Window:
        # WeCom documents no separate limit for app-created chats; treat them like group robots.
        return self.app if channel == CHANNEL_APP else self.robot

    def backoff(self, attempts: int) -> timedelta:
        """Growing back-off: base, 2×base, 4×base … capped, with ±20 % jitter so retries spread out."""
        seconds = min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_max)
        return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class Pending:
    """What the dispatcher needs of one due row, read once (no ORM object to expire between commits)."""

    id: int
    dedup_key: str
    channel: str
    address: str
    payload: dict[str, Any]
    attempts: int

    @staticmethod
    def columns() -> tuple[Any, ...]:
        m = OutboxMessage
        return m.id, m.dedup_key, m.channel, m.address, m.payload, m.attempts


class Undeliverable(Exception):
    """A row that can never be sent as addressed (target gone or disabled, malformed address)."""


def parse_app_address(address: str) -> dict[str, str]:
    """``"touser:a|b"`` → ``{"touser": "a|b"}``; also ``toparty:`` and ``totag:``."""
    kind, _, value = address.partition(":")
    if kind not in APP_RECIPIENT_KINDS or not value:
        raise Undeliverable(f"无效的应用消息地址：{address}")
    return {kind: value}


class Dispatcher:
    """Sends due outbox rows. ``run(once=True)`` drains what is due and returns; ``run()`` loops."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.settings = DispatchSettings.from_config(app.config)
        self.totals: Counter[str] = Counter()
        self._totals_lock = threading.Lock()
        with app.app_context():
            self._single = db.engine.dialect.name == "sqlite"

    # ---- the loop ---------------------------------------------------------------------------------

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> Counter[str]:
        stop = stop or threading.Event()
        waiting_logged = False
        with ThreadPoolExecutor(max_workers=self.settings.threads, thread_name_prefix="outbox") as pool:
            try:
                while not stop.is_set():
                    if self._single and not self._hold_dispatcher_lock():
                        if not waiting_logged:
                            logger.info("another dispatcher holds the SQLite lock; %s waits", self.name)
                            waiting_logged = True
                        stop.wait(self.settings.poll)
                        continue
                    waiting_logged = False
                    try:
                        wake_at = self.run_pass(pool)
                        if once and not self._anything_due():
                            break
                    except Exception:  # the database restarting, say: log, wait, try again
                        logger.exception("dispatcher %s: pass failed; retrying", self.name)
                        wake_at = None
                    stop.wait(self._seconds_until(wake_at))
            finally:
                if self._single:
                    with self.app.app_context():
                        self._release(db.session, *_DISPATCHER_LOCK)
        return self.totals

    def _hold_dispatcher_lock(self) -> bool:
        """SQLite: one dispatcher at a time (a second one waits). Target leases keep sends exact anyway."""
        with self.app.app_context():
            return self._hold(db.session, *_DISPATCHER_LOCK)

    def run_pass(self, pool: ThreadPoolExecutor) -> datetime | None:
        """Work every due target once. Returns the earliest moment a blocked target can send again."""
        with self.app.app_context():
            targets = self._due_targets(db.session)
        wakes = list(pool.map(lambda target: self.work_target(*target), targets))
        return min((w for w in wakes if w is not None), default=None)

    def _seconds_until(self, moment: datetime | None) -> float:
        if moment is None:
            return self.settings.poll
        return max(0.0, min((moment - utcnow()).total_seconds(), self.settings.poll))

    def _anything_due(self) -> bool:
        with self.app.app_context():
            due = select(OutboxMessage.id).where(
                OutboxMessage.status == STATUS_PENDING, OutboxMessage.due_at <= utcnow()
            )
            return bool(db.session.scalar(select(exists(due))))

    def _count(self, what: str) -> None:
        with self._totals_lock:
            self.totals[what] += 1

    # ---- leases -----------------------------------------------------------------------------------

    def _due_targets(self, session: Session) -> list[tuple[str, str]]:
        statement = (
            select(OutboxMessage.channel, OutboxMessage.address)
            .where(OutboxMessage.status == STATUS_PENDING, OutboxMessage.due_at <= utcnow())
            .group_by(OutboxMessage.channel, OutboxMessage.address)
            .order_by(func.min(OutboxMessage.due_at))
            .limit(_TARGETS_PER_PASS)
        )
        targets = [(channel, address) for channel, address in session.execute(statement)]
        session.commit()
        return targets

    def _hold(self, session: Session, channel: str, address: str) -> bool:
        """Take or renew the lease on a target. Commits; True when this dispatcher holds it."""
        insert_ignoring_conflicts(session, OutboxLease, {"channel": channel, "address": address})
        session.commit()
        now = utcnow()
        key = (OutboxLease.channel == channel, OutboxLease.address == address)
        # PostgreSQL: skip a lease row another dispatcher is taking right now instead of queueing.
        if session.scalar(select(OutboxLease.channel).where(*key).with_for_update(skip_locked=True)) is None:
            session.rollback()
            return False
        result = session.execute(
            update(OutboxLease)
            .where(*key, or_(OutboxLease.locked_until.is_(None), OutboxLease.locked_until < now,
                             OutboxLease.holder == self.name))
            .values(holder=self.name, locked_until=now + self.settings.lease)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return result.rowcount == 1

    def _release(self, session: Session, channel: str, address: str) -> None:
        session.rollback()
        session.execute(
            update(OutboxLease)
            .where(OutboxLease.channel == channel, OutboxLease.address == address,
                   OutboxLease.holder == self.name)
            .values(holder=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()

    # ---- one target -------------------------------------------------------------------------------

    def work_target(self, channel: str, address: str) -> datetime | None:
        """Send what is due for one target while its window allows. Returns when to come back, if needed."""
        with self.app.app_context():
            if not self._hold(db.session, channel, address):
                return None
            try:
                return self._drain_target(db.session, channel, address)
            except Exception:
                logger.exception("dispatcher %s failed on target %s:%s", self.name, channel, address)
                return None
            finally:
                self._release(db.session, channel, address)

    def _recent_sends(self, session: Session, channel: str, address: str, window: Window) -> deque[datetime]:
        sent_at = session.scalars(
            select(OutboxMessage.sent_at)
            .where(OutboxMessage.channel == channel, OutboxMessage.address == address,
                   OutboxMessage.sent_at.is_not(None))
            .order_by(OutboxMessage.sent_at.desc())
            .limit(window.limit)
        ).all()
        return deque(reversed(sent_at), maxlen=window.limit)

    def _drain_target(self, session: Session, channel: str, address: str) -> datetime | None:
        """Send the target's due rows in order while its window allows. Returns when to come back."""
        window = self.settings.window_for(channel)
        sends = self._recent_sends(session, channel, address, window)
        lease_until = utcnow() + self.settings.lease
        rows = [Pending(*values) for values in session.execute(
            select(*Pending.columns())
            .where(OutboxMessage.channel == channel, OutboxMessage.address == address,
                   OutboxMessage.status == STATUS_PENDING, OutboxMessage.due_at <= utcnow())
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(_ROWS_PER_TARGET)
        )]
        try:
            send = self._destination(session, channel, address)
        except Undeliverable as exc:
            for row in rows:
                self._mark_dead(session, row, str(exc), notify=False)
            return None
        finally:
            session.commit()
        for row in rows:
            now = utcnow()
            if len(sends) >= window.limit:
                free_at = sends[0] + timedelta(seconds=window.seconds) + self.settings.margin
                if free_at > now:
                    return free_at
            if lease_until - now < self.settings.lease / 2:
                if not self._hold(session, channel, address):
                    return None
                lease_until = utcnow() + self.settings.lease
            outcome, moment = self._deliver(session, row, send)
            if outcome == STATUS_SENT:
                sends.append(moment)
            elif outcome == STATUS_PENDING:  # backed off: the whole target waits
                return moment
        return utcnow() if len(rows) == _ROWS_PER_TARGET else None

    def _destination(self, session: Session, channel: str, address: str) -> Callable[[dict[str, Any]], Any]:
        """How to send to this target, resolved once per visit. Raises ``Undeliverable``."""
        if channel == CHANNEL_APP:
            recipient = parse_app_address(address)
            return lambda payload: get_work().send_app_message({**recipient, **outbox_media.resolve(payload)})
        kind = TARGET_KIND_OF_CHANNEL.get(channel)
        target = session.get(PushTarget, int(address)) if kind and address.isdigit() else None
        if target is None or target.kind != kind:
            raise Undeliverable(f"推送目标 {address} 不存在")
        if not target.enabled:
            raise Undeliverable(f"推送目标「{target.name}」已停用")
        key = target.address
        if kind == TARGET_ROBOT:
            return lambda payload: get_robot().send(key, payload)
        return lambda payload: get_work().send_appchat_message({"chatid": key, **outbox_media.resolve(payload)})

    # ---- one row ----------------------------------------------------------------------------------

    def _deliver(
        self, session: Session, row: Pending, send: Callable[[dict[str, Any]], Any]
    ) -> tuple[str | None, datetime | None]:
        """Send and mark one row. Returns its new status (None: withdrawn meanwhile) and the send
        time (sent) or the retry time (pending).

        Only the target's lease holder sends its rows, so no claim write is needed: one read before
        the call (a row withdrawn since the target was read is skipped) and one write after it.
        """
        still_pending = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.id == row.id, OutboxMessage.status == STATUS_PENDING)
        )
        session.commit()
        if still_pending is None:
            return None, None
        row = replace(row, attempts=row.attempts + 1)
        try:
            send(row.payload)
        except Exception as exc:  # noqa: BLE001  (any failure is a failed attempt, never a stuck row)
            if isinstance(exc, WeChatError):
                error, transient = str(exc), exc.transient
            elif isinstance(exc, outbox_media.Unrenderable):
                error, transient = str(exc), False
            else:  # a bug or an answer nobody expected: log it in full, retry it like an outage
                logger.exception("outbox row %s: unexpected failure while sending", row.id)
                error, transient = redact(f"{type(exc).__name__}: {exc}"), True
            if transient and row.attempts < self.settings.max_attempts:
                return STATUS_PENDING, self._back_off(session, row, error)
            self._mark_dead(session, row, error, notify=True)
            session.commit()
            return STATUS_DEAD, None
        now = utcnow()
        marked = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == STATUS_PENDING)
            .values(status=STATUS_SENT, sent_at=now, attempts=row.attempts, last_error=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if marked.rowcount != 1:
            logger.warning("outbox row %s was sent but changed meanwhile (withdrawn?)", row.id)
        self._count("sent")
        return STATUS_SENT, now

    def _back_off(self, session: Session, row: Pending, error: str) -> datetime:
        """Retry later; every pending row of the same target waits too, so order is kept."""
        due_at = utcnow() + self.settings.backoff(row.attempts)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == row.channel, OutboxMessage.address == row.address,
                   OutboxMessage.status == STATUS_PENDING, OutboxMessage.due_at < due_at)
            .values(due_at=due_at)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id)
            .values(attempts=row.attempts, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
        session.commit()
        logger.warning("outbox row %s failed (attempt %s), retry at %s: %s", row.id, row.attempts, due_at, error)
        self._count("retried")
        return due_at

    def _mark_dead(self, session: Session, row: Pending, error: str, *, notify: bool) -> None:
        """Give up on a row (the caller commits); admins are told unless ``notify`` is False."""
        now = utcnow()
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == STATUS_PENDING)
            .values(status=STATUS_DEAD, dead_at=now, attempts=row.attempts, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
        if notify and not row.dedup_key.startswith(SILENT_PREFIXES):
            notify_admins_of_failure(session, row, error, now)
        logger.error("outbox row %s is dead after %s attempts: %s", row.id, row.attempts, error)
        self._count("dead")


def target_label(session: Session, channel: str, address: str) -> str:
    if channel in TARGET_KIND_OF_CHANNEL and address.isdigit():
        target = session.get(PushTarget, int(address))
        if target is not None:
            return f"{TARGET_KIND_NAMES.get(target.kind, target.kind)}「{target.name}」"
    return f"应用消息 {address}"


def notify_admins_of_failure(session: Session, row: Pending, error: str, now: datetime) -> int:
    """Tell every admin, once per target per hour, that a message was given up on."""
    target_hash = hashlib.sha1(f"{row.channel}:{row.address}".encode()).hexdigest()[:12]
    key = f"{DEAD_NOTICE_PREFIX}{target_hash}:{format_local(now, '%Y%m%d%H')}"
    content = (
        f"【推送失败】发往{target_label(session, row.channel, row.address)}的消息已放弃发送"
        f"（尝试 {row.attempts} 次）。\n原因：{error[:300]}\n"
        "请检查推送目标配置；失败消息可用 flask --app app outbox status 查看，"
        "修复后用 outbox requeue 重新发送。"
    )
    return outbox.enqueue_to_staff(session, key, active_admins(session), outbox.text(content))
