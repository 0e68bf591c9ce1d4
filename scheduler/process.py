"""The scheduler process: wait for the lock, reconcile the declared jobs, run them.

``flask --app app scheduler run`` creates one ``SchedulerProcess`` and calls ``run()``; nothing in
the web app ever starts a scheduler. APScheduler keeps jobs and their next run times in the app
database (``apscheduler_jobs``), so a run missed during downtime is found at start: within the
misfire grace (hours) it runs once, coalesced; later than that APScheduler logs and skips it, and the
services themselves decide from each notice's own date what is still worth sending.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app.extensions import db
from app.models import SchedulerJob
from app.services import scheduling
from scheduler import jobs
from scheduler.lock import SchedulerLock, make_lock

logger = logging.getLogger(__name__)

PERSISTENT = "default"  # the job store in the database


@dataclass
class Reconciliation:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def job_options(app: Flask) -> dict:
    """Every job: missed runs coalesced into one, never two at once, late by at most the grace."""
    grace = int(app.config["SCHEDULER_MISFIRE_GRACE_HOURS"] * 3600)
    return {"coalesce": True, "max_instances": 1, "misfire_grace_time": grace}


def reconcile_jobs(scheduler: BaseScheduler, app: Flask, specs: tuple[jobs.JobSpec, ...] = jobs.JOBS) -> Reconciliation:
    """Make the persistent job store match ``specs``. An unchanged job keeps its stored next run time
    (which is how a run missed during downtime is still found); a changed trigger is rescheduled."""
    zone = ZoneInfo(app.config["TIMEZONE"])
    options = job_options(app)
    stored = {job.id: job for job in scheduler.get_jobs(jobstore=PERSISTENT)}
    result = Reconciliation()
    for spec in specs:
        trigger = spec.trigger(app.config, zone)
        job = stored.pop(spec.id, None)
        if job is None:
            scheduler.add_job(
                spec.func, trigger, id=spec.id, name=spec.description, jobstore=PERSISTENT, **options
            )
            result.added.append(spec.id)
            continue
        wanted = {"func": spec.func, "name": spec.description, **options}
        current = {"func": job.func_ref, "name": job.name, **{key: getattr(job, key) for key in options}}
        changes = {key: value for key, value in wanted.items() if current[key] != value}
        if changes:
            scheduler.modify_job(spec.id, jobstore=PERSISTENT, **changes)
        if repr(job.trigger) != repr(trigger):
            scheduler.reschedule_job(spec.id, jobstore=PERSISTENT, trigger=trigger)
            changes["trigger"] = trigger
        (result.updated if changes else result.unchanged).append(spec.id)
    for job_id in stored:
        scheduler.remove_job(job_id, jobstore=PERSISTENT)
        result.removed.append(job_id)
    return result


def build_scheduler(app: Flask, engine: Engine) -> BlockingScheduler:
    """``engine`` is the job store's own (APScheduler disposes it on shutdown, then may still use it
    once more while its loop ends), so the caller disposes it after ``start()`` returns."""
    return BlockingScheduler(
        jobstores={
            PERSISTENT: SQLAlchemyJobStore(engine=engine, tablename=SchedulerJob.__tablename__),
        },
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults=job_options(app),
        timezone=ZoneInfo(app.config["TIMEZONE"]),
    )


def install_defaults(app: Flask) -> None:
    """Festival settings and the tip library exist before the first job runs (idempotent)."""
    with app.app_context():
        added_settings, added_tips = scheduling.install_defaults(db.session)
    if added_settings or added_tips:
        logger.info("installed %d festival settings and %d civility tips", added_settings, added_tips)


class SchedulerProcess:
    """One scheduler: ``run()`` blocks (waiting for the lock, then running jobs) until ``stop()``."""

    def __init__(self, app: Flask, clock: jobs.Clock = jobs.system_clock, lock: SchedulerLock | None = None) -> None:
        self.app = app
        self.clock = clock
        if lock is None:
            with app.app_context():
                lock = make_lock(db.engine, app.config["SCHEDULER_LOCK_LEASE_SECONDS"])
        self.lock = lock
        self.state = "idle"  # idle -> waiting -> running -> stopped
        self.lost_lock = False
        self.failed = False
        self.reconciliation: Reconciliation | None = None
        self._stopping = threading.Event()
        self._scheduler: BlockingScheduler | None = None

    def run(self) -> int:
        """Returns the process exit status: 0 after ``stop()``, 1 if the lock was lost or start-up failed."""
        with contextlib.ExitStack() as stack:
            stack.callback(self._finish)
            if not self._wait_for_lock():
                return 0
            install_defaults(self.app)
            jobs.bind(self.app, self.clock)
            with self.app.app_context():
                store_engine = create_engine(db.engine.url, pool_pre_ping=True)
            stack.callback(store_engine.dispose)
            scheduler = self._scheduler = build_scheduler(self.app, store_engine)
            scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
            scheduler.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
            heartbeat = threading.Thread(target=self._heartbeat, name="scheduler-lock-heartbeat", daemon=True)
            heartbeat.start()
            self.state = "running"
            scheduler.start()  # blocks until shutdown
            return 1 if self.lost_lock or self.failed else 0

    def _finish(self) -> None:
        self.state = "stopped"
        self.lock.release()

    def stop(self) -> None:
        self._stopping.set()
        self._shutdown()

    def _wait_for_lock(self) -> bool:
        self.state = "waiting"
        retry = self.app.config["SCHEDULER_LOCK_RETRY_SECONDS"]
        announced = False
        while not self._stopping.is_set():
            if self.lock.try_acquire():
                logger.info("scheduler lock acquired; this process runs the jobs")
                return True
            if not announced:
                logger.warning("another scheduler process holds the lock; waiting (retry every %ss)", retry)
                announced = True
            self._stopping.wait(retry)
        return False

    def _shutdown(self) -> None:
        scheduler = self._scheduler
        if scheduler is not None and scheduler.state != STATE_STOPPED:
            try:
                scheduler.shutdown(wait=False)
            except SchedulerNotRunningError:
                pass  # stopped concurrently

    def _on_started(self, _event: object) -> None:
        assert self._scheduler is not None
        try:
            self.reconciliation = reconcile_jobs(self._scheduler, self.app)
        except Exception:
            # APScheduler would only log a listener's error and run on with stale jobs.
            logger.exception("could not reconcile the scheduler's jobs; stopping")
            self.failed = True
            self._shutdown()
            return
        logger.info("jobs reconciled: %s", self.reconciliation)
        if self._stopping.is_set():  # stop() came while the scheduler was starting
            self._shutdown()

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        """Runs, errors and misses of jobs (APScheduler logs runs and errors itself)."""
        if event.code == EVENT_JOB_MISSED:
            logger.warning("job %s missed its run at %s (beyond the misfire grace); skipped", event.job_id,
                           event.scheduled_run_time)

    def _heartbeat(self) -> None:
        """Renew the lease (SQLite) or check the lock connection (PostgreSQL) until stopped."""
        interval = max(1, self.app.config["SCHEDULER_LOCK_LEASE_SECONDS"] // 3)
        while not self._stopping.wait(interval) and self.state == "running":
            if not self.lock.still_held():
                logger.error("scheduler lock lost; stopping so that jobs never run in two processes")
                self.lost_lock = True
                self._shutdown()
                return
