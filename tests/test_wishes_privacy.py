"""Beneficiaries' private details cannot be harvested by claiming and releasing (issue 10): a cooling-off
period after a release, a claim rate limit per person, a notice to admins when someone churns, and the
details only for the person whose claim is running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, OutboxMessage, WishClaim
from app.models.base import utcnow
from app.models.wish import NOTE_PASSED
from app.services import audit, wishes
from app.timeutil import format_local
from tests.wish_helpers import error_code, fetch_wish, image_bytes, make_wish, sign_in


def claim(client, wish_id, headers):
    return client.post(f"/api/mp/wishes/{wish_id}/claim", headers=headers)


def release(client, wish_id, headers):
    return client.post(f"/api/mp/wishes/{wish_id}/release", headers=headers)


def churn_notices() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("wish-churn:%"))))


# ---- cooling off -----------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"WISH_RECLAIM_COOLDOWN_HOURS": 24}])
def test_claimer_claiming_again_right_after_a_release_gets_429_claim_cooling_off_saying_when(client):
    first, second = make_wish(title="第一个"), make_wish(title="第二个")
    _, headers = sign_in()
    assert claim(client, first.id, headers).status_code == 200
    assert release(client, first.id, headers).status_code == 200
    for target in (second, first):  # another wish, or the same one again
        response = claim(client, target.id, headers)
        assert response.status_code == 429
        assert error_code(response) == "claim_cooling_off"
        released_at = db.session.scalar(select(WishClaim).where(WishClaim.end_reason == "released"))
        until = format_local(released_at.ended_at + timedelta(hours=24), "%m月%d日 %H:%M")
        message = response.get_json()["error"]["message"]
        assert until in message and "24 小时" in message
        assert fetch_wish(target.id).status == "open"


@pytest.mark.parametrize("config_overrides", [{"WISH_RECLAIM_COOLDOWN_HOURS": 2}])
def test_claimer_may_claim_again_once_the_cooling_off_period_is_over(app):
    first, second = make_wish(title="第一个"), make_wish(title="第二个")
    staff = sign_in()[0]
    released_at = utcnow()
    wishes.claim_wish(db.session, first.id, staff, now=released_at - timedelta(minutes=5))
    wishes.release_claim(db.session, first.id, staff, now=released_at)
    with pytest.raises(wishes.ClaimCoolingOff):
        wishes.claim_wish(db.session, second.id, staff, now=released_at + timedelta(hours=2) - timedelta(seconds=1))
    wishes.claim_wish(db.session, second.id, staff, now=released_at + timedelta(hours=2, seconds=1))
    assert fetch_wish(second.id).claimer_id == staff.id


def test_claim_taken_back_by_an_admin_or_by_the_deadline_does_not_cool_off(app):
    revoked, expired, third = make_wish(title="收回"), make_wish(title="逾期"), make_wish(title="再认领")
    staff = sign_in()[0]
    wishes.claim_wish(db.session, revoked.id, staff)
    claim_row = wishes.claim_wish(db.session, expired.id, staff)
    wishes.revoke_claim(db.session, revoked.id, audit.Actor.system(), "换人")
    assert wishes.release_overdue_claims(db.session, claim_row.due_at + timedelta(minutes=1)) == 1
    wishes.claim_wish(db.session, third.id, staff)
    assert fetch_wish(third.id).claimer_id == staff.id


def test_someone_else_may_claim_a_wish_just_released(client):
    wish = make_wish()
    _, first = sign_in()
    _, second = sign_in()
    claim(client, wish.id, first)
    release(client, wish.id, first)
    assert claim(client, wish.id, second).status_code == 200


# ---- rate limit --------------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"WISH_CLAIM_RATE_LIMIT": "3/hour", "WISH_CLAIM_LIMIT": 5}])
def test_claimer_over_the_claim_rate_limit_gets_429_and_others_are_not_affected(client):
    many = [make_wish(title=f"心愿{i}") for i in range(5)]
    _, headers = sign_in()
    _, other = sign_in()
    assert [claim(client, w.id, headers).status_code for w in many[:3]] == [200, 200, 200]
    response = claim(client, many[3].id, headers)
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert "认领过于频繁" in response.get_json()["error"]["message"]
    assert fetch_wish(many[3].id).status == "open"
    assert claim(client, many[3].id, other).status_code == 200


# ---- telling admins ----------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"WISH_RECLAIM_COOLDOWN_HOURS": 0, "WISH_CHURN_ALERT_RELEASES": 3}])
def test_admins_are_told_once_a_day_when_someone_keeps_releasing(client):
    sign_in("管理员", admin=True, wecom_userid="admin1")
    churner, headers = sign_in("周杰", department="财务科")
    wish = make_wish(title="一个新书包")
    for _ in range(2):
        claim(client, wish.id, headers)
        release(client, wish.id, headers)
    assert churn_notices() == []
    claim(client, wish.id, headers)
    release(client, wish.id, headers)
    [notice] = churn_notices()
    assert notice.address == "touser:admin1"
    text = notice.payload["text"]["content"]
    assert "周杰（财务科" in text and "3 次" in text and "一个新书包" in text
    claim(client, wish.id, headers)
    release(client, wish.id, headers)  # a fourth the same day: no second notice
    assert len(churn_notices()) == 1
    tomorrow = utcnow() + timedelta(days=1)
    wishes.claim_wish(db.session, wish.id, churner, now=tomorrow)
    wishes.release_claim(db.session, wish.id, churner, now=tomorrow)
    assert len(churn_notices()) == 2


@pytest.mark.parametrize("config_overrides", [{"WISH_RECLAIM_COOLDOWN_HOURS": 0, "WISH_CHURN_ALERT_RELEASES": 2}])
def test_releases_older_than_the_window_do_not_count_towards_the_notice(app):
    sign_in("管理员", admin=True, wecom_userid="admin1")
    staff = sign_in()[0]
    wish = make_wish()
    long_ago = utcnow() - wishes.CHURN_WINDOW - timedelta(hours=1)
    wishes.claim_wish(db.session, wish.id, staff, now=long_ago)
    wishes.release_claim(db.session, wish.id, staff, now=long_ago)
    wishes.claim_wish(db.session, wish.id, staff)
    wishes.release_claim(db.session, wish.id, staff)
    assert churn_notices() == []


# ---- who sees the details ----------------------------------------------------------------------------


def test_claimer_who_released_no_longer_sees_the_beneficiarys_details(client):
    wish = make_wish()
    _, headers = sign_in()
    assert claim(client, wish.id, headers).get_json()["private"]["contact"] == "13900000001"
    assert release(client, wish.id, headers).get_json()["private"] is None
    response = client.get(f"/api/mp/wishes/{wish.id}", headers=headers)
    assert response.get_json()["private"] is None
    text = response.get_data(as_text=True)
    assert "13900000001" not in text and "王小明" not in text and "三组 12 号" not in text


def test_former_claimer_of_a_confirmed_wish_keeps_the_proofs_but_not_the_details(client):
    import io

    from app.services import images

    wish = make_wish()
    staff, headers = sign_in()
    _, admin = sign_in(admin=True)
    claim(client, wish.id, headers)
    photo = images.clean_image(io.BytesIO(image_bytes()), max_bytes=10**7, max_pixels=10**7)
    wishes.store_proof(db.session, wish.id, staff, "已送到", NOTE_PASSED, [photo])
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=headers).get_json()["private"]["contact"] == "13900000001"
    wishes.confirm_wish(db.session, wish.id, audit.Actor.system())
    response = client.get(f"/api/mp/wishes/{wish.id}", headers=headers)
    private = response.get_json()["private"]
    assert (private["beneficiary_name"], private["household"], private["contact"]) == (None, None, None)
    assert [p["note"] for p in private["proofs"]] == ["已送到"]
    assert "13900000001" not in response.get_data(as_text=True)
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=admin).get_json()["private"]["contact"] == "13900000001"


def test_the_expiry_job_writes_an_audit_entry(app):
    wish = make_wish()
    staff = sign_in()[0]
    claim_row = wishes.claim_wish(db.session, wish.id, staff)
    wishes.release_overdue_claims(db.session, claim_row.due_at + timedelta(minutes=1))
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "wish.expire"))
    assert (entry.actor_type, entry.entity_id, entry.detail) == ("system", str(wish.id), {"claim_id": claim_row.id})
