"""Claiming a 微心愿: exactly one winner, the per-person cap, releasing, and who may claim."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import WishClaim, WishTransition
from app.timeutil import local_today
from tests import factories
from tests.wish_helpers import error_code, fetch_wish, make_wish, race, sign_in


def claim(client, wish_id, headers):
    return client.post(f"/api/mp/wishes/{wish_id}/claim", headers=headers)


def test_bound_staff_claims_an_open_wish_and_sees_private_details(client):
    wish = make_wish()
    staff, headers = sign_in("周杰")
    response = claim(client, wish.id, headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["wish"]["status"] == "claimed"
    assert body["wish"]["claimer"] == {"name": "周杰", "department": "办公室"}
    assert body["private"]["beneficiary_name"] == "王小明"
    assert body["private"]["contact"] == "13900000001"
    assert body["private"]["claim"]["end_reason"] is None
    claim_row = db.session.scalar(select(WishClaim))
    assert claim_row.staff_id == staff.id and claim_row.slot == 1 and claim_row.active_wish_id == wish.id
    last = db.session.scalars(select(WishTransition).order_by(WishTransition.id)).all()[-1]
    assert (last.action, last.from_status, last.to_status, last.actor_type, last.actor_id) == (
        "claim", "open", "claimed", "staff", str(staff.id)
    )


def test_second_claimer_gets_409_wish_already_claimed(client):
    wish = make_wish()
    _, first = sign_in()
    _, second = sign_in()
    assert claim(client, wish.id, first).status_code == 200
    response = claim(client, wish.id, second)
    assert response.status_code == 409
    assert error_code(response) == "wish_already_claimed"
    assert "已被其他同事认领" in response.get_json()["error"]["message"]


def test_claiming_your_own_wish_again_gets_409_wish_already_yours(client):
    wish = make_wish()
    _, headers = sign_in()
    assert claim(client, wish.id, headers).status_code == 200
    response = claim(client, wish.id, headers)
    assert response.status_code == 409
    assert error_code(response) == "wish_already_yours"
    assert db.session.scalar(select(func.count()).select_from(WishClaim)) == 1


def test_hundred_concurrent_claims_of_one_wish_give_one_winner(app):
    wish = make_wish()
    people = [sign_in() for _ in range(100)]
    results = race(app, [lambda c, h=headers: claim(c, wish.id, h) for _, headers in people])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [409] * 99
    assert {error_code(r) for r in results if r.status_code == 409} == {"wish_already_claimed"}
    winner = next(r for r in results if r.status_code == 200).get_json()["wish"]["claimer"]["name"]
    assert fetch_wish(wish.id).claimer.name == winner
    assert db.session.scalar(select(func.count()).select_from(WishClaim)) == 1
    transitions = db.session.scalars(select(WishTransition).where(WishTransition.action == "claim")).all()
    assert len(transitions) == 1


def test_third_claim_gets_409_claim_limit_reached(client):
    wishes = [make_wish(title=f"心愿{i}") for i in range(3)]
    _, headers = sign_in()
    assert [claim(client, w.id, headers).status_code for w in wishes[:2]] == [200, 200]
    response = claim(client, wishes[2].id, headers)
    assert response.status_code == 409
    assert error_code(response) == "claim_limit_reached"
    assert "2" in response.get_json()["error"]["message"]
    assert fetch_wish(wishes[2].id).status == "open"


@pytest.mark.parametrize("config_overrides", [{"WISH_CLAIM_LIMIT": 3}])
def test_claim_limit_is_a_setting(client):
    wishes = [make_wish(title=f"心愿{i}") for i in range(4)]
    _, headers = sign_in()
    statuses = [claim(client, w.id, headers).status_code for w in wishes]
    assert statuses == [200, 200, 200, 409]


def test_cap_holds_when_one_person_claims_many_wishes_at_once(app):
    wishes = [make_wish(title=f"心愿{i}") for i in range(8)]
    staff, headers = sign_in()
    results = race(app, [lambda c, w=w: claim(c, w.id, headers) for w in wishes])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200] + [409] * 6
    assert {error_code(r) for r in results if r.status_code == 409} == {"claim_limit_reached"}
    active = db.session.scalars(select(WishClaim).where(WishClaim.active_staff_id == staff.id)).all()
    assert sorted(c.slot for c in active) == [1, 2]
    claimed = [w for w in wishes if fetch_wish(w.id).status == "claimed"]
    assert len(claimed) == 2


def test_cap_and_single_winner_hold_together_under_contention(app):
    """Ten people race for six wishes, every one of them trying all six at once."""
    wishes = [make_wish(title=f"心愿{i}") for i in range(6)]
    people = [sign_in() for _ in range(10)]
    calls = [lambda c, w=w, h=h: claim(c, w.id, h) for _, h in people for w in wishes]
    results = race(app, calls)
    assert sum(r.status_code == 200 for r in results) == 6
    assert {r.status_code for r in results} <= {200, 409}
    db.session.expire_all()
    per_person = db.session.execute(
        select(WishClaim.staff_id, func.count()).where(WishClaim.ended_at.is_(None)).group_by(WishClaim.staff_id)
    ).all()
    assert all(count <= 2 for _, count in per_person)
    assert sum(count for _, count in per_person) == 6


@pytest.mark.parametrize("config_overrides", [{"WISH_RECLAIM_COOLDOWN_HOURS": 0}])
def test_release_frees_the_slot_and_reopens_the_wish(client):
    first_wish, second_wish, third_wish = (make_wish(title=f"心愿{i}") for i in range(3))
    _, headers = sign_in()
    _, other = sign_in()
    claim(client, first_wish.id, headers)
    claim(client, second_wish.id, headers)
    response = client.post(f"/api/mp/wishes/{first_wish.id}/release", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["wish"]["status"] == "open"
    assert response.get_json()["private"] is None  # no longer theirs
    assert claim(client, third_wish.id, headers).status_code == 200
    # The freed slot is taken again (the claim's read finds the person's slots: issue 17).
    assert db.session.scalar(select(WishClaim.slot).where(WishClaim.wish_id == third_wish.id)) == 1
    assert claim(client, first_wish.id, other).status_code == 200
    released = db.session.scalar(select(WishClaim).where(WishClaim.end_reason == "released"))
    assert released.slot is None and released.active_wish_id is None


def test_release_with_a_reason_records_it(client):
    wish = make_wish()
    _, headers = sign_in()
    claim(client, wish.id, headers)
    response = client.post(f"/api/mp/wishes/{wish.id}/release", json={"reason": "出差无法完成"}, headers=headers)
    assert response.status_code == 200
    last = db.session.scalars(select(WishTransition).order_by(WishTransition.id.desc())).first()
    assert (last.action, last.reason) == ("release", "出差无法完成")


def test_someone_else_releasing_gets_403_not_claimer(client):
    wish = make_wish()
    _, owner = sign_in()
    _, stranger = sign_in()
    claim(client, wish.id, owner)
    response = client.post(f"/api/mp/wishes/{wish.id}/release", headers=stranger)
    assert response.status_code == 403
    assert error_code(response) == "not_claimer"
    assert fetch_wish(wish.id).status == "claimed"


def test_unbound_account_cannot_claim(client, login):
    wish = make_wish()
    response = claim(client, wish.id, login("not-bound"))
    assert response.status_code == 403
    assert error_code(response) == "not_bound"
    assert fetch_wish(wish.id).status == "open"


def test_claim_without_token_gets_401(client):
    wish = make_wish()
    response = client.post(f"/api/mp/wishes/{wish.id}/claim")
    assert response.status_code == 401
    assert error_code(response) == "auth_required"


@pytest.mark.parametrize("publish", [False])
def test_claiming_a_draft_or_missing_wish_gets_404(client, publish):
    draft = make_wish(publish=publish)
    _, headers = sign_in()
    assert error_code(claim(client, draft.id, headers)) == "wish_not_found"
    response = claim(client, 999999, headers)
    assert response.status_code == 404
    assert error_code(response) == "wish_not_found"


def test_claiming_after_the_deadline_gets_409_wish_claim_closed(client):
    wish = make_wish()
    wish.claim_deadline = local_today() - timedelta(days=1)  # the deadline passed while it was open
    db.session.commit()
    _, headers = sign_in()
    response = claim(client, wish.id, headers)
    assert response.status_code == 409
    assert error_code(response) == "wish_claim_closed"


@pytest.mark.parametrize("config_overrides", [{"WISH_FULFIL_DAYS": 14}])
def test_claim_is_due_at_the_earlier_of_fulfil_days_and_the_deadline(client):
    near = make_wish(deadline=local_today() + timedelta(days=3))
    far = make_wish(deadline=local_today() + timedelta(days=60))
    _, headers = sign_in()
    claim(client, near.id, headers)
    claim(client, far.id, headers)
    claims = {c.wish_id: c for c in db.session.scalars(select(WishClaim))}
    near_days = (claims[near.id].due_at - claims[near.id].claimed_at).days
    far_days = (claims[far.id].due_at - claims[far.id].claimed_at).days
    assert 2 <= near_days <= 3
    assert far_days == 14


@pytest.fixture
def sql_trace(app):
    """Statements and transactions begun on the app's engine, in order (issue 17: the refused crowd)."""
    from sqlalchemy import event

    trace: list[tuple[str, str]] = []

    def statement(conn, cursor, text, parameters, context, executemany):  # noqa: ARG001
        trace.append(("statement", " ".join(text.split())[:60]))

    def begin(conn):  # a BEGIN sent (not autocommit, where each statement commits on its own)
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            trace.append(("begin", ""))

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "begin", begin)
    yield trace
    event.remove(db.engine, "before_cursor_execute", statement)
    event.remove(db.engine, "begin", begin)


def test_a_refused_claim_is_one_statement_and_opens_no_transaction(client, sql_trace):
    """The crowd that finds the wish taken costs one read, in autocommit: the token, the person and the
    wish together; no BEGIN and no ROLLBACK round trip (issue 17)."""
    wish_id = make_wish().id
    _, first = sign_in()
    _, second = sign_in()
    assert claim(client, wish_id, first).status_code == 200
    db.session.close()  # the request shares the test's app context (and session): start it clean
    sql_trace.clear()
    response = claim(client, wish_id, second)
    assert response.status_code == 409 and error_code(response) == "wish_already_claimed"
    assert [kind for kind, _ in sql_trace] == ["statement"], sql_trace
    assert sql_trace[0][1].startswith("SELECT person.staff_id")


def test_a_won_claim_writes_in_one_transaction_between_autocommitted_reads(client, sql_trace):
    """A winner's request: the one read (which also found a free slot), then the claim's writes (the
    wish, its transition, the claim, the audit entry) after one BEGIN, then the answer's one read (the
    wish with its photos, proofs and claimer) in autocommit again: no second BEGIN (issue 17)."""
    wish_id = make_wish().id
    staff, headers = sign_in()
    staff_id = staff.id
    db.session.close()  # the request shares the test's app context (and session): start it clean
    sql_trace.clear()
    response = claim(client, wish_id, headers)
    assert response.status_code == 200 and response.get_json()["private"]["claim"]["end_reason"] is None
    shape = [text[:27] if kind == "statement" else kind for kind, text in sql_trace]
    assert shape[:3] == [
        "SELECT person.staff_id, per",
        "begin",
        "UPDATE wish SET status=%(st" if db.engine.dialect.name == "postgresql" else "UPDATE wish SET status=?, c",
    ], sql_trace
    # The transition's row (written with the UPDATE) and the claim, then the audit entry.
    assert sorted(shape[3:5]) == ["INSERT INTO wish_claim (wis", "INSERT INTO wish_transition"], sql_trace
    assert shape[5:] == ["INSERT INTO audit_log (at, ", "SELECT wish.id, wish.title,"], sql_trace
    assert db.session.scalar(select(func.count()).select_from(WishClaim).where(WishClaim.staff_id == staff_id)) == 1


@pytest.mark.parametrize("spoil", ["revoked", "expired", "unknown"])
def test_a_token_the_claims_read_does_not_accept_gets_401_as_everywhere(client, spoil, sql_trace):
    """The claim's one read authenticates (issue 17); a token it does not accept is answered the full
    way, on the very next request after it was revoked or expired, and nothing is claimed."""
    wish_id = make_wish().id
    person, headers = sign_in()
    assert client.get("/api/mp/wishes", headers=headers).status_code == 200  # valid until now
    headers = factories.spoil_token(person, headers, spoil)
    db.session.close()
    sql_trace.clear()
    response = claim(client, wish_id, headers)
    assert response.status_code == 401 and error_code(response) == "invalid_token"
    assert sql_trace[0][1].startswith("SELECT person.staff_id"), sql_trace  # the one read tried first
    assert fetch_wish(wish_id).status == "open"


def test_someone_taken_off_the_roster_cannot_claim_on_the_next_request(client):
    wish_id = make_wish().id
    person, headers = sign_in()
    assert client.get("/api/mp/wishes", headers=headers).status_code == 200
    person.active = False
    db.session.commit()
    response = claim(client, wish_id, headers)
    assert response.status_code == 403 and error_code(response) == "not_bound"
    assert fetch_wish(wish_id).status == "open"


@pytest.mark.parametrize("config_overrides", [{"WISH_CLAIM_RATE_LIMIT": "2/minute"}])
def test_refused_claims_count_towards_the_claim_rate_limit(client):
    """The limit counts attempts, also those the one read refuses (the wish taken)."""
    wish_id = make_wish().id
    _, winner = sign_in()
    _, other = sign_in()
    assert claim(client, wish_id, winner).status_code == 200
    assert [claim(client, wish_id, other).status_code for _ in range(2)] == [409, 409]
    response = claim(client, wish_id, other)
    assert response.status_code == 429 and error_code(response) == "rate_limited"


def test_a_claim_refused_after_the_reads_leaves_nothing_written(client, app):
    """Someone at the cap is refused by the read before the claim: nothing is written — the wish stays
    open, with no transition and no claim."""
    _, headers = sign_in()
    app.config["WISH_CLAIM_LIMIT"] = 1
    assert claim(client, make_wish().id, headers).status_code == 200
    second_id = make_wish().id
    transitions = select(func.count()).select_from(WishTransition).where(WishTransition.wish_id == second_id)
    before = db.session.scalar(transitions)
    db.session.close()  # the request shares the test's app context (and session): start it clean
    response = claim(client, second_id, headers)
    assert response.status_code == 409 and error_code(response) == "claim_limit_reached"
    assert fetch_wish(second_id).status == "open"
    assert db.session.scalar(transitions) == before
    assert db.session.scalar(select(func.count()).select_from(WishClaim).where(WishClaim.wish_id == second_id)) == 0


def test_a_stale_read_of_the_slots_is_retried_inside_the_transaction(app):
    """The read before the claim may miss a slot the person took meanwhile: the claim's insert then
    collides on (active_staff_id, slot), is rolled back and retried with the slots read afresh inside
    the transaction; and the session is left in no autocommit, so a caller's next write is transactional."""
    from types import SimpleNamespace

    from app.models.base import utcnow
    from app.services import sql
    from app.services.wishes import claims

    staff, _ = sign_in()
    held, wanted = make_wish(title="已认领"), make_wish(title="想认领")
    claims.claim_wish(db.session, held.id, staff)  # slot 1
    assert not sql.in_autocommit(db.session)
    stale = SimpleNamespace(status="open", claim_deadline=wanted.claim_deadline, claimer_id=None,
                            released_at=None, used_slots=0)  # as if slot 1 were free
    claim_row = claims._claim(db.session, wanted.id, staff.id, utcnow(), stale)
    assert claim_row.slot == 2 and claim_row.wish.status == "claimed"
    assert not sql.in_autocommit(db.session)
    assert sorted(db.session.scalars(select(WishClaim.slot).where(WishClaim.active_staff_id == staff.id))) == [1, 2]
