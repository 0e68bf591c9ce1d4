"""The scheduler's jobs, declared as data with stable ids, and the thin functions they run.

``JOBS`` is reconciled with the persistent job store each time the scheduler starts (see
``scheduler.process``): new ids are added, changed ones updated, ids no longer listed removed. A job
function only opens an app context and calls one service with the current time; every service is
idempotent (it claims a notice key before queueing outbox rows), so a double firing sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from app.extensions import db
from app.models.base import utcnow
from app.services import digest, festivals, housekeeping, lecture_reminders, tips, wishes
from config import ConfigError

Clock = Callable[[], datetime]


# The real clock; tests bind another.
system_clock: Clock = utcnow


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function", so the job store holds a reference rather than pickled code
    description: str  # shown by ``flask jobs``
    time_setting: str | None = None  # the config key of the local "HH:MM" of a daily job
    minute: int | None = None  # or: an hourly job at this minute past each hour
    day_of_week: str = "*"

    def trigger(self, config: dict, zone: ZoneInfo) -> CronTrigger:
        if self.time_setting is None:
            return CronTrigger(day_of_week=self.day_of_week, minute=self.minute, timezone=zone)
        hour, minute = parse_clock_time(self.time_setting, config[self.time_setting])
        return CronTrigger(day_of_week=self.day_of_week, hour=hour, minute=minute, timezone=zone)

    def when(self, config: dict) -> str:
        """The schedule in words, for ``flask jobs``."""
        if self.time_setting is None:
            return f"每小时第 {self.minute} 分"
        days = "每天" if self.day_of_week == "*" else f"每周{WEEKDAY_NAMES[self.day_of_week]}"
        return f"{days} {config[self.time_setting]}"


WEEKDAY_NAMES = {"mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五", "sat": "六", "sun": "日"}


JOBS: tuple[JobSpec, ...] = (
    # Runs every day: the service skips weekends and holidays and keeps 调休 working Saturdays.
    JobSpec("civility-tip", "scheduler.jobs:push_civility_tip", "文明提示（每个工作日一条）", "SCHEDULER_TIP_TIME"),
    JobSpec("festival-notices", "scheduler.jobs:send_festival_notices", "节日通知", "SCHEDULER_FESTIVAL_TIME"),
    # Claims fall due at any hour: release the overdue ones and remind those due within two days.
    JobSpec("wish-deadlines", "scheduler.jobs:handle_wish_deadlines", "微心愿认领到期提醒与自动释放", minute=5),
    JobSpec("weekly-digest", "scheduler.jobs:send_weekly_digest", "每周简报（上周活动与参与、微心愿、本周活动）",
            "SCHEDULER_DIGEST_TIME", day_of_week="mon"),
    # Runs every day; the service acts only on its check dates (10 May/June/November/December).
    JobSpec("moral-lecture", "scheduler.jobs:check_moral_lecture",
            "道德讲堂半年提醒（5、6、11、12 月 10 日检查）", "SCHEDULER_LECTURE_CHECK_TIME"),
    JobSpec("housekeeping", "scheduler.jobs:purge_stale_rows", "清理过期的登录凭证和企业微信回调记录",
            "SCHEDULER_HOUSEKEEPING_TIME"),
    # Runs every day; the service acts 30 days before each half-year ends (31 May, 1 December).
    JobSpec("ledger-behind", "scheduler.jobs:remind_ledger_items_behind",
            "创建台账：半年结束前 30 天提醒未达标工作项的责任人", "SCHEDULER_LEDGER_CHECK_TIME"),
    JobSpec("rectification-deadlines", "scheduler.jobs:remind_rectifications",
            "整改期限提醒（到期前 3 天和逾期当天）", "SCHEDULER_RECTIFICATION_TIME"),
    # Event reminders need no job: publishing queues them as outbox rows with ``due_at`` under
    # ``event:{id}:remind:`` (app.services.event_reminders); editing withdraws and queues again,
    # cancelling withdraws them, and the dispatcher sends each when it falls due.
)

_app: Flask | None = None
_clock: Clock = system_clock


def parse_clock_time(name: str, value: str) -> tuple[int, int]:
    try:
        hour_text, minute_text = value.split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        hour = minute = -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ConfigError(f"{name} must be a local time HH:MM, got {value!r}")
    return hour, minute


def bind(app: Flask, clock: Clock = system_clock) -> None:
    """Give job functions the app and clock of the scheduler process that holds the lock."""
    global _app, _clock
    _app, _clock = app, clock


@contextmanager
def job_context() -> Iterator[datetime]:
    if _app is None:
        raise RuntimeError("scheduler jobs run only inside `flask scheduler run`")
    with _app.app_context():
        yield _clock()


def push_civility_tip() -> None:
    with job_context() as now:
        tips.push_daily_tip(db.session, now)


def send_festival_notices() -> None:
    with job_context() as now:
        festivals.send_due_festival_notices(db.session, now)


def handle_wish_deadlines() -> None:
    with job_context() as now:
        wishes.release_overdue_claims(db.session, now)
        wishes.remind_claims_due(db.session, now)


def send_weekly_digest() -> None:
    with job_context() as now:
        digest.send_weekly_digest(db.session, now)


def check_moral_lecture() -> None:
    with job_context() as now:
        lecture_reminders.remind_if_no_moral_lecture(db.session, now)


def purge_stale_rows() -> None:
    with job_context() as now:
        housekeeping.purge_stale_rows(db.session, now)


def remind_ledger_items_behind() -> None:
    from app.services.ledger import reminders

    with job_context() as now:
        reminders.remind_items_behind(db.session, now)


def remind_rectifications() -> None:
    from app.services.inspections import rectifications

    with job_context() as now:
        rectifications.remind_rectifications(db.session, now)
