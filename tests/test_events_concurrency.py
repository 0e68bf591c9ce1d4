"""Concurrency: the database, not the application, keeps one record per person and the capacity.

Threads with their own test clients hit the same app at once; on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.extensions import db
from app.models import Checkin, Event, EventRegistration
from tests import factories
from tests.events_helpers import nonce, printed_qr


def run_together(app, calls):
    """Run every ``call(client)`` in its own thread, released at the same moment; return responses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = call(client)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_200_distinct_people_signing_in_at_once_are_all_recorded(app):
    event = factories.make_event()
    department = factories.make_department("机关党委")
    people = [factories.make_staff(employee_no=f"P{n:04d}", department=department.name) for n in range(200)]
    headers = [factories.make_bound_account(person) for person in people]
    qr = printed_qr(event.id)

    def sign_in(person_headers):
        return lambda client: client.post("/api/mp/checkins", json={"qr": qr, "nonce": nonce()}, headers=person_headers)

    results = run_together(app, [sign_in(h) for h in headers])
    assert Counter(status for status, _ in results) == {201: 200}, [body for status, body in results if status != 201][:3]
    db.session.expire_all()
    per_person = db.session.execute(
        select(Checkin.staff_id, func.count()).where(Checkin.event_id == event.id).group_by(Checkin.staff_id)
    ).all()
    assert len(per_person) == 200 and {count for _, count in per_person} == {1}


def test_50_concurrent_scans_by_one_person_leave_one_record(app):
    event = factories.make_event()
    headers = factories.make_bound_account(factories.make_staff())
    qr = printed_qr(event.id)
    same_nonce = nonce()

    def scan(index):
        # Half are retries of one request (same nonce), half are fresh scans.
        key = same_nonce if index % 2 else nonce()
        return lambda client: client.post("/api/mp/checkins", json={"qr": qr, "nonce": key}, headers=headers)

    results = run_together(app, [scan(i) for i in range(50)])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 200: 49}, statuses
    times = {body["checked_in_at"] for _, body in results}
    assert len(times) == 1  # every answer names the one record's time
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 1


def test_concurrent_registrations_never_exceed_capacity(app):
    event = factories.make_event(registration_required=True, capacity=7)
    headers = [factories.make_bound_account(factories.make_staff()) for _ in range(40)]
    path = f"/api/mp/events/{event.id}/registration"

    def register(person_headers):
        return lambda client: client.post(path, headers=person_headers)

    results = run_together(app, [register(h) for h in headers])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 7, 409: 33}, statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {"event_full"}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(EventRegistration)) == 7
    assert db.session.scalar(select(Event.registered_count)) == 7
