"""The scheduler process: one runs jobs while a second waits, declared jobs are reconciled at start,
and a run missed during an outage is made up once (or skipped when it is too late)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import KeyValue, SchedulerJob
from app.services import scheduling
from config import ConfigError
from scheduler import jobs
from scheduler.lock import LEASE_KEY, AdvisoryLock, LeaseLock, lock_holder
from scheduler.process import SchedulerProcess
from tests.scheduler_helpers import (
    FakeClock,
    RecordingProcess,
    SHANGHAI,
    local,
    make_robots,
    next_job_event,
    notice_keys,
    outbox_keys,
    running,
    simulate_outage,
    store_retired_job,
    stored_next_run,
    wait_for,
)

FAST_LOCK = {"SCHEDULER_LOCK_RETRY_SECONDS": 0.05, "SCHEDULER_LOCK_LEASE_SECONDS": 3}
MID_AUTUMN_T7 = local(date(2026, 9, 18), 11, 0)  # 中秋 2026-09-25, seven days before, late morning
ALL_JOBS = sorted(spec.id for spec in jobs.JOBS)


@pytest.fixture
def config_overrides():
    return FAST_LOCK


@pytest.fixture
def seeded(app):
    scheduling.install_defaults(db.session)
    return make_robots(2)


def register_jobs(app) -> None:
    """A first scheduler run stores the declared jobs, as a deployment's first start does."""
    with running(SchedulerProcess(app)) as process:
        assert sorted(process.reconciliation.added) == ALL_JOBS


def test_first_start_registers_the_declared_jobs_and_jobs_lists_them(app, runner):
    before = runner.invoke(args=["jobs"])
    assert "调度进程：未运行" in before.output and "尚未登记" in before.output
    with running(SchedulerProcess(app)):
        listed = runner.invoke(args=["jobs"])
        assert listed.exit_code == 0, listed.output
        assert "调度进程：运行中" in listed.output
    next_festival = stored_next_run("festival-notices").astimezone(SHANGHAI)
    assert (next_festival.hour, next_festival.minute) == (9, 0)
    assert timedelta(0) < next_festival - datetime.now(UTC) <= timedelta(days=1)
    assert "festival-notices\t节日通知\t每天 09:00\t下次运行：" + next_festival.strftime("%Y-%m-%d %H:%M") in (
        runner.invoke(args=["jobs"]).output
    )


def test_restart_keeps_unchanged_jobs_updates_changed_ones_and_removes_retired_ones(app, build_app):
    register_jobs(app)
    tip_run = stored_next_run("civility-tip")
    store_retired_job(app, "retired-job")

    later = build_app(SCHEDULER_FESTIVAL_TIME="10:15", **FAST_LOCK)
    with running(SchedulerProcess(later)) as process:
        result = process.reconciliation
    with later.app_context():
        db.engine.dispose()
    assert sorted(result.unchanged) == [job for job in ALL_JOBS if job != "festival-notices"]
    assert result.updated == ["festival-notices"]
    assert result.removed == ["retired-job"]
    assert stored_next_run("civility-tip") == tip_run
    moved = stored_next_run("festival-notices").astimezone(SHANGHAI)
    assert (moved.hour, moved.minute) == (10, 15)
    assert db.session.get(SchedulerJob, "retired-job") is None


def test_restarted_scheduler_sends_the_notice_it_missed_once(app, seeded):
    register_jobs(app)
    # Down since the 09:00 run two hours ago (within the misfire grace of six hours).
    simulate_outage(app, "festival-notices", datetime.now(UTC) - timedelta(hours=2))
    with running(RecordingProcess(app, clock=FakeClock(MID_AUTUMN_T7))) as process:
        assert next_job_event(process, "festival-notices") == "executed"
        wait_for(lambda: stored_next_run("festival-notices") > datetime.now(UTC))  # tomorrow's run
    assert notice_keys() == {"festival:2026:中秋:T-7"}
    assert len(outbox_keys()) == 2
    events = []
    while not process.job_events.empty():
        events.append(process.job_events.get())
    assert ("executed", "festival-notices") not in events  # ran once: the missed runs were coalesced


def test_run_missed_beyond_the_grace_is_skipped_and_left_to_the_next_run(seeded, build_app):
    # The daily run is set twelve hours from now, so the only missed run is the one seven hours ago
    # (the misfire grace is six hours), whatever the time of day the suite runs.
    daily = (datetime.now(UTC) + timedelta(hours=12)).astimezone(SHANGHAI).strftime("%H:%M")
    app = build_app(SCHEDULER_FESTIVAL_TIME=daily, **FAST_LOCK)
    register_jobs(app)
    simulate_outage(app, "festival-notices", datetime.now(UTC) - timedelta(hours=7))
    with running(RecordingProcess(app, clock=FakeClock(MID_AUTUMN_T7))) as process:
        assert next_job_event(process, "festival-notices") == "missed"
        wait_for(lambda: stored_next_run("festival-notices") > datetime.now(UTC))  # tomorrow's run
    with app.app_context():
        db.engine.dispose()
    assert outbox_keys() == []


def test_two_schedulers_started_together_send_every_notice_once(app, seeded):
    """On PostgreSQL the second waits on pg_try_advisory_lock; on SQLite on the kv_store lease."""
    register_jobs(app)
    simulate_outage(app, "festival-notices", datetime.now(UTC) - timedelta(hours=1))
    clock = FakeClock(MID_AUTUMN_T7)
    first, second = RecordingProcess(app, clock=clock), RecordingProcess(app, clock=clock)
    start = threading.Barrier(2)
    threads = [threading.Thread(target=lambda p=p: (start.wait(), p.run()), daemon=True) for p in (first, second)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: {first.state, second.state} == {"running", "waiting"} and (
            first.reconciliation or second.reconciliation))
        active, standby = (first, second) if first.state == "running" else (second, first)
        assert next_job_event(active, "festival-notices") == "executed"
        assert notice_keys() == {"festival:2026:中秋:T-7"} and len(outbox_keys()) == 2
        assert standby.job_events.empty() and standby.reconciliation is None

        # The active one stops (a deploy, a crash): the standby takes over without re-sending.
        active.stop()
        wait_for(lambda: standby.state == "running" and standby.reconciliation is not None)
        assert sorted(standby.reconciliation.unchanged) == ALL_JOBS
        jobs.send_festival_notices()  # even a stray extra run changes nothing
        assert len(outbox_keys()) == 2
    finally:
        first.stop()
        second.stop()
        for thread in threads:
            thread.join(20)
    assert not any(thread.is_alive() for thread in threads)


def test_a_double_firing_without_the_lock_still_sends_each_notice_once(app, seeded):
    jobs.bind(app, FakeClock(MID_AUTUMN_T7))
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def fire() -> None:
        try:
            start.wait()
            jobs.send_festival_notices()
            jobs.push_civility_tip()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=fire) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert notice_keys() == {"festival:2026:中秋:T-7", "tip:2026-09-18"}
    assert len(outbox_keys()) == 4


def test_lease_is_taken_over_when_its_holder_stops_renewing(app):
    holder, standby = LeaseLock(db.engine, 60, holder="a"), LeaseLock(db.engine, 60, holder="b")
    assert holder.try_acquire() and holder.still_held()
    assert not standby.try_acquire()
    assert db.session.scalar(select(KeyValue.value).where(KeyValue.key == LEASE_KEY)) == "a"
    # `flask jobs` reads the lease on SQLite; on PostgreSQL it reads the advisory lock, which nobody holds here.
    assert lock_holder(db.engine) == (None if db.engine.dialect.name == "postgresql" else "a")
    # The holder crashed: nobody renews, and the lease runs out.
    db.session.execute(
        update(KeyValue).where(KeyValue.key == LEASE_KEY).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    assert standby.try_acquire()
    assert not holder.still_held()
    standby.release()
    assert holder.try_acquire()
    holder.release()


def test_scheduler_that_loses_its_lock_stops(app):
    lock = LeaseLock(db.engine, 3, holder="mine")
    process = SchedulerProcess(app, lock=lock)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(process.run()), daemon=True)
    thread.start()
    try:
        wait_for(lambda: process.reconciliation is not None)
        db.session.execute(
            update(KeyValue)
            .where(KeyValue.key == LEASE_KEY)
            .values(value="intruder", expires_at=datetime.now(UTC) + timedelta(hours=1))
        )
        db.session.commit()
        thread.join(20)
    finally:
        process.stop()
    assert result == [1] and process.lost_lock


def test_postgresql_advisory_lock_admits_one_holder(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist only on PostgreSQL; SQLite uses the lease tested above")
    first, second = AdvisoryLock(db.engine), AdvisoryLock(db.engine)
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire() and not second.still_held()
        assert lock_holder(db.engine).startswith("PostgreSQL 会话")
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()
    assert lock_holder(db.engine) is None


def test_a_scheduler_of_another_database_on_the_same_server_is_not_reported(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist only on PostgreSQL")
    from sqlalchemy import create_engine

    other = create_engine(db.engine.url.set(database="postgres"))
    elsewhere, here = AdvisoryLock(other), AdvisoryLock(db.engine)
    try:
        assert elsewhere.try_acquire()
        assert lock_holder(db.engine) is None
        assert here.try_acquire()  # advisory locks are per database
    finally:
        elsewhere.release()
        here.release()
        other.dispose()


@pytest.mark.parametrize("value", ["25:00", "8", "08:60", "早上八点"])
def test_a_bad_job_time_setting_is_refused(value):
    with pytest.raises(ConfigError, match="SCHEDULER_TIP_TIME must be a local time HH:MM"):
        jobs.parse_clock_time("SCHEDULER_TIP_TIME", value)


def test_job_times_accept_hours_without_a_leading_zero():
    assert jobs.parse_clock_time("SCHEDULER_TIP_TIME", "8:05") == (8, 5)
