"""Helpers for scheduler tests: a controlled clock, local wall-clock times, group robots, a scheduler
process in a thread, and a way to make a stored job look as if its run was missed during an outage."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget, SchedulerJob
from scheduler.process import SchedulerProcess

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FakeClock:
    """The scheduler's notion of now; tests move it instead of sleeping."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


def make_robots(count: int = 2) -> list[PushTarget]:
    robots = [PushTarget(name=f"{n + 1}群", kind="robot", address=f"robot-key-{n + 1:04d}") for n in range(count)]
    db.session.add_all(robots)
    db.session.commit()
    return robots


def outbox_keys() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(OutboxMessage.dedup_key)))


def notice_keys() -> set[str]:
    """Outbox keys without their per-robot suffix."""
    return {key.rsplit(":robot:", 1)[0] for key in outbox_keys()}


@contextmanager
def running(process: SchedulerProcess, expect: str = "running", timeout: float = 20) -> Iterator[SchedulerProcess]:
    """Run ``process`` in a thread until the block ends; waits until it is running (or waiting)."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(process.run()), daemon=True)
    thread.start()
    try:
        wait_for(lambda: process.state == expect and (expect != "running" or process.reconciliation), timeout)
        yield process
    finally:
        process.stop()
        thread.join(timeout)
        assert not thread.is_alive(), "scheduler thread did not stop"


def wait_for(condition, timeout: float = 20) -> None:
    done = threading.Event()
    deadline = datetime.now(UTC).timestamp() + timeout
    while not condition():
        if datetime.now(UTC).timestamp() > deadline:
            raise AssertionError("condition not reached in time")
        done.wait(0.02)


class RecordingProcess(SchedulerProcess):
    """A scheduler process that also records each job's run, error or miss, for tests to wait on."""

    KINDS = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_ERROR: "error", EVENT_JOB_MISSED: "missed"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.job_events: queue.Queue[tuple[str, str]] = queue.Queue()

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        super()._on_job_event(event)
        self.job_events.put((self.KINDS[event.code], event.job_id))


def next_job_event(process: RecordingProcess, job_id: str, timeout: float = 20) -> str:
    """The next run, miss or error of ``job_id`` reported by ``process``."""
    deadline = datetime.now(UTC).timestamp() + timeout
    while True:
        kind, event_job = process.job_events.get(timeout=max(0.01, deadline - datetime.now(UTC).timestamp()))
        if event_job == job_id:
            return kind


def job_store(app) -> SQLAlchemyJobStore:
    """The persistent job store opened without a running scheduler (whose thread could race the test)."""
    store = SQLAlchemyJobStore(engine=db.engine, tablename=SchedulerJob.__tablename__)
    store.start(BackgroundScheduler(timezone=ZoneInfo(app.config["TIMEZONE"])), "default")
    return store


def simulate_outage(app, job_id: str, missed_run: datetime) -> None:
    """Rewrite a stored job's next run time as if the scheduler had been down since ``missed_run``."""
    store = job_store(app)
    job = store.lookup_job(job_id)
    job._modify(next_run_time=missed_run)
    store.update_job(job)


def store_retired_job(app, job_id: str) -> None:
    """A job a previous release declared and this one no longer does."""
    store = job_store(app)
    job = Job(
        store._scheduler, id=job_id, func="scheduler.jobs:push_civility_tip", trigger=IntervalTrigger(hours=1),
        executor="default", args=(), kwargs={}, name="旧任务", misfire_grace_time=60, coalesce=True,
        max_instances=1, next_run_time=datetime.now(UTC),
    )
    store.add_job(job)


def stored_next_run(job_id: str) -> datetime | None:
    db.session.expire_all()
    value = db.session.scalar(select(SchedulerJob.next_run_time).where(SchedulerJob.id == job_id))
    return None if value is None else datetime.fromtimestamp(value, UTC)
