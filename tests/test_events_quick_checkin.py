"""The one-statement sign-in: a first, valid scan is one INSERT, and every other scan, including one
checked against a copy of an event that has since changed, gets the same answer as the full way."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Checkin
from app.models.base import utcnow
from app.services import events
from app.services.audit import Actor
from tests import factories
from tests.events_helpers import error_code, nonce, printed_qr, scan


@contextmanager
def statements():
    """Collects the SQL statements the app sends while the block runs."""
    sent: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        sent.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield sent
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", collect)


def scan_alone(client, headers, qr: str, **extra):
    """Scan as a request does in service, before its session has begun a transaction (the tests share
    their session with the app); returns the response and the statements it sent."""
    db.session.rollback()
    with statements() as sent:
        response = scan(client, headers, qr, **extra)
    db.session.rollback()  # and ends it, as the request's teardown does
    return response, sent


def tried_the_statement(sent: list[str]) -> bool:
    return any(statement.lstrip().upper().startswith("INSERT INTO CHECKIN") for statement in sent)


def answer(client, headers, qr: str, **extra):
    return scan_alone(client, headers, qr, **extra)[0]


def people(count: int) -> list[tuple]:
    staff = [factories.make_staff(employee_no=f"Q{n:04d}") for n in range(count)]
    return [(person, factories.make_bound_account(person)) for person in staff]


def records(event_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Checkin).where(Checkin.event_id == event_id))


def test_a_first_valid_sign_in_is_one_statement_and_answers_like_the_full_way(client):
    (_first, first_headers), (second, second_headers) = people(2)
    event = factories.make_event(location="三楼会议室")
    assert answer(client, first_headers, printed_qr(event.id)).status_code == 201  # reads the event once
    response, sent = scan_alone(client, second_headers, printed_qr(event.id))
    assert response.status_code == 201, response.get_json()
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("INSERT INTO CHECKIN")
    body = response.get_json()
    assert body["status"] == "checked_in"
    assert body["event"] == {
        "id": event.id,
        "kind": "道德讲堂",
        "title": event.title,
        "location": "三楼会议室",
        "starts_at": body["event"]["starts_at"],
        "ends_at": body["event"]["ends_at"],
        "status": "published",
    }
    record = db.session.scalar(select(Checkin).where(Checkin.staff_id == second.id))
    assert record.method == "printed" and record.direction == "in" and record.nonce is not None
    assert body["checked_in_at"].startswith(record.at.isoformat()[:19])
    again = answer(client, second_headers, printed_qr(event.id))
    assert again.status_code == 200 and again.get_json()["checked_in_at"] == body["checked_in_at"]
    assert records(event.id) == 2


def test_a_registered_person_signs_in_with_one_statement_and_an_unregistered_one_is_refused(client):
    (registered, registered_headers), (_other, other_headers), (warm, warm_headers) = people(3)
    event = factories.make_event(registration_required=True, capacity=10)
    events.register(db.session, event.id, registered)
    events.register(db.session, event.id, warm)
    assert answer(client, warm_headers, printed_qr(event.id)).status_code == 201
    response, sent = scan_alone(client, registered_headers, printed_qr(event.id))
    assert response.status_code == 201 and len(sent) == 1
    refused = answer(client, other_headers, printed_qr(event.id))
    assert refused.status_code == 403 and error_code(refused) == "registration_required"
    assert records(event.id) == 2


def test_a_cancellation_after_the_event_was_copied_is_answered(client):
    (_first, first_headers), (_second, second_headers) = people(2)
    event = factories.make_event()
    assert answer(client, first_headers, printed_qr(event.id)).status_code == 201
    events.cancel_event(db.session, event.id, Actor.system(), "场地临时占用")
    response = answer(client, second_headers, printed_qr(event.id))
    assert response.status_code == 409 and error_code(response) == "event_cancelled"
    assert records(event.id) == 1


def test_a_moved_event_is_answered_as_it_is_now_in_both_directions(client):
    (_first, first_headers), (_second, second_headers), (_third, third_headers), (_fourth, fourth_headers) = people(4)
    event = factories.make_event()
    assert answer(client, first_headers, printed_qr(event.id)).status_code == 201
    later = utcnow() + timedelta(hours=5)
    events.update_event(db.session, event.id, {"starts_at": later, "ends_at": later + timedelta(hours=1)}, Actor.system())
    for headers in (second_headers, third_headers):  # the second scan reads the event afresh and keeps a copy
        not_yet = answer(client, headers, printed_qr(event.id))
        assert not_yet.status_code == 403 and error_code(not_yet) == "checkin_not_open"
    # The copy now says "not open"; moving the event back must not leave anyone refused by it.
    soon = utcnow() + timedelta(minutes=5)
    events.update_event(db.session, event.id, {"starts_at": soon, "ends_at": soon + timedelta(hours=1)}, Actor.system())
    assert answer(client, third_headers, printed_qr(event.id)).status_code == 201
    assert answer(client, second_headers, printed_qr(event.id)).status_code == 201
    # And the stale copies were replaced: the next first scan is one statement again.
    response, sent = scan_alone(client, fourth_headers, printed_qr(event.id))
    assert response.status_code == 201 and len(sent) == 1
    assert records(event.id) == 4


@pytest.mark.parametrize("spoil", ["revoked", "expired", "unknown"])
def test_a_token_the_statement_does_not_accept_gets_401(client, spoil):
    ((person, headers),) = people(1)
    event = factories.make_event()
    headers = factories.spoil_token(person, headers, spoil)
    response, sent = scan_alone(client, headers, printed_qr(event.id))
    assert response.status_code == 401 and error_code(response) == "invalid_token"
    assert tried_the_statement(sent) and records(event.id) == 0


def test_someone_taken_off_the_roster_gets_403_not_bound(client):
    ((person, headers),) = people(1)
    event = factories.make_event()
    person.active = False
    db.session.commit()
    response, sent = scan_alone(client, headers, printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "not_bound"
    assert tried_the_statement(sent) and records(event.id) == 0


def test_someone_unregistered_after_the_event_was_copied_is_refused(client):
    (leaving, leaving_headers), (staying, staying_headers) = people(2)
    event = factories.make_event(registration_required=True, capacity=10)
    events.register(db.session, event.id, leaving)
    events.register(db.session, event.id, staying)
    assert answer(client, staying_headers, printed_qr(event.id)).status_code == 201
    events.cancel_registration(db.session, event.id, leaving)
    response, sent = scan_alone(client, leaving_headers, printed_qr(event.id))
    assert response.status_code == 403 and error_code(response) == "registration_required"
    assert tried_the_statement(sent) and records(event.id) == 1


def test_a_cancellation_made_by_hand_without_touching_updated_at_is_still_refused(client):
    (_first, first_headers), (_second, second_headers) = people(2)
    event = factories.make_event()
    assert answer(client, first_headers, printed_qr(event.id)).status_code == 201
    db.session.execute(text("UPDATE event SET status = 'cancelled' WHERE id = :id"), {"id": event.id})
    db.session.commit()
    response, sent = scan_alone(client, second_headers, printed_qr(event.id))
    assert response.status_code == 409 and error_code(response) == "event_cancelled"
    assert tried_the_statement(sent) and records(event.id) == 1


def test_a_missing_token_is_401_before_the_body_is_read(client):
    response = client.post("/api/mp/checkins", json={"nonce": "short"})
    assert response.status_code == 401


def test_a_reused_nonce_on_another_event_is_still_refused(client):
    ((_person, headers),) = people(1)
    first, second = factories.make_event(), factories.make_event(title="另一场活动")
    key = nonce()
    assert answer(client, headers, printed_qr(first.id), nonce=key).status_code == 201
    reused = answer(client, headers, printed_qr(second.id), nonce=key)
    assert reused.status_code == 409 and error_code(reused) == "nonce_reused"
