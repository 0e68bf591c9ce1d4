"""The 微心愿 lifecycle: every illegal transition refused, admin actions, history, outbox messages, jobs."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import AppError
from app.extensions import db
from app.models import OutboxMessage, WishClaim, WishTransition
from app.models.base import utcnow
from app.models.wish import NOTE_PASSED, STATUS_LABELS, TRANSITIONS
from app.services import audit, images, wishes
from tests.wish_helpers import error_code, fetch_wish, image_bytes, make_wish, sign_in

ADMIN = audit.Actor.system()


def clean_photo():
    return images.clean_image(io.BytesIO(image_bytes()), max_bytes=10_000_000, max_pixels=10_000_000)


def wish_in(status: str, claimer):
    """A wish put into ``status`` the way the services would have left it."""
    wish = make_wish(publish=status != "draft")
    if status in ("claimed", "fulfilled", "confirmed"):
        wishes.claim_wish(db.session, wish.id, claimer)
    if status in ("fulfilled", "confirmed"):
        wishes.store_proof(db.session, wish.id, claimer, "已送到", NOTE_PASSED, [clean_photo()])
    if status == "confirmed":
        wishes.confirm_wish(db.session, wish.id, ADMIN)
    if status == "withdrawn":
        wishes.withdraw_wish(db.session, wish.id, ADMIN, "测试")
    assert fetch_wish(wish.id).status == status
    return wish


def attempt(action: str, wish_id: int, claimer, other):
    """Run ``action`` through its service as the person who would normally do it."""
    run = {
        "publish": lambda: wishes.publish_wish(db.session, wish_id, ADMIN),
        "claim": lambda: wishes.claim_wish(db.session, wish_id, other),
        "release": lambda: wishes.release_claim(db.session, wish_id, claimer),
        "revoke": lambda: wishes.revoke_claim(db.session, wish_id, ADMIN, "收回"),
        "submit_proof": lambda: wishes.store_proof(db.session, wish_id, claimer, "完成", NOTE_PASSED, [clean_photo()]),
        "return": lambda: wishes.return_proof(db.session, wish_id, ADMIN, "照片不清楚"),
        "confirm": lambda: wishes.confirm_wish(db.session, wish_id, ADMIN),
        "withdraw": lambda: wishes.withdraw_wish(db.session, wish_id, ADMIN, "撤回"),
    }[action]
    return run()


ILLEGAL = [
    (action, status)
    for action, transition in TRANSITIONS.items()
    if action != "expire"  # the job's conditional update; covered by test_fulfilled_wishes_are_not_auto_released
    for status in STATUS_LABELS
    if status not in transition.sources
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(app, action, status):
    claimer = sign_in()[0]
    other = sign_in()[0]
    wish = wish_in(status, claimer)
    transitions_before = db.session.scalar(select(func.count()).select_from(WishTransition))
    with pytest.raises(AppError) as refused:
        attempt(action, wish.id, claimer, other)
    hidden = action == "claim" and status in ("draft", "withdrawn")
    taken = action == "claim" and status in ("claimed", "fulfilled", "confirmed")
    expected = (404, "wish_not_found") if hidden else (409, "wish_already_claimed") if taken else (409, "invalid_wish_transition")
    assert (refused.value.status_code, refused.value.code) == expected
    assert fetch_wish(wish.id).status == status
    assert db.session.scalar(select(func.count()).select_from(WishTransition)) == transitions_before


def test_illegal_transition_over_http_answers_409_with_its_own_code(client):
    wish = make_wish()
    _, admin_headers = sign_in(admin=True)
    response = client.post(f"/api/mp/wishes/{wish.id}/confirm", json={}, headers=admin_headers)
    assert response.status_code == 409
    assert error_code(response) == "invalid_wish_transition"
    assert "待认领" in response.get_json()["error"]["message"]


def test_full_lifecycle_records_every_transition_with_who_and_why(client):
    wish = make_wish(publish=False)
    admin, admin_headers = sign_in("管理员", admin=True)
    claimer, headers = sign_in("周杰", wecom_userid="zhoujie")
    assert client.post(f"/api/mp/wishes/{wish.id}/publish", headers=admin_headers).status_code == 200
    assert client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers).status_code == 200
    wishes.store_proof(db.session, wish.id, claimer, "已送到", NOTE_PASSED, [clean_photo()])
    response = client.post(f"/api/mp/wishes/{wish.id}/return", json={"reason": "照片看不清"}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["wish"]["status"] == "claimed"
    wishes.store_proof(db.session, wish.id, claimer, "重新拍了照片", NOTE_PASSED, [clean_photo()])
    response = client.post(f"/api/mp/wishes/{wish.id}/confirm", json={"reason": "已回访"}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["wish"]["status"] == "confirmed"

    response = client.get(f"/api/mp/wishes/{wish.id}/history", headers=admin_headers)
    assert response.status_code == 200
    steps = [(t["action"], t["from_status"], t["to_status"]) for t in response.get_json()["items"]]
    assert steps == [
        ("create", None, "draft"),
        ("publish", "draft", "open"),
        ("claim", "open", "claimed"),
        ("submit_proof", "claimed", "fulfilled"),
        ("return", "fulfilled", "claimed"),
        ("submit_proof", "claimed", "fulfilled"),
        ("confirm", "fulfilled", "confirmed"),
    ]
    items = response.get_json()["items"]
    assert items[1]["actor_type"] == "staff" and items[1]["actor_id"] == str(admin.id)
    assert items[4]["reason"] == "照片看不清" and items[6]["reason"] == "已回访"
    assert all(item["at"] for item in items)
    claim = db.session.scalar(select(WishClaim))
    assert claim.end_reason == "completed" and claim.slot is None and claim.active_wish_id is None
    assert fetch_wish(wish.id).claimer_id == claimer.id  # kept for statistics


def test_confirmation_thanks_the_claimer_through_the_outbox(client):
    wish = make_wish()
    _, admin_headers = sign_in(admin=True)
    claimer, headers = sign_in("周杰", wecom_userid="zhoujie")
    client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers)
    wishes.store_proof(db.session, wish.id, claimer, "已送到", NOTE_PASSED, [clean_photo()])
    client.post(f"/api/mp/wishes/{wish.id}/confirm", json={}, headers=admin_headers)
    thanks = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("%:thanks:%"))).all()
    assert len(thanks) == 1
    assert thanks[0].address == "touser:zhoujie" and thanks[0].channel == "app"
    assert "感谢您完成微心愿「一个新书包」" in thanks[0].payload["text"]["content"]
    assert "王**" in thanks[0].payload["text"]["content"]


def test_admin_revoke_reopens_the_wish_and_tells_the_claimer_why(client):
    wish = make_wish()
    _, admin_headers = sign_in(admin=True)
    _, headers = sign_in(wecom_userid="zhoujie")
    client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers)
    response = client.post(f"/api/mp/wishes/{wish.id}/revoke", json={"reason": "长期未联系受助人"}, headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["wish"]["status"] == "open" and response.get_json()["wish"]["claimer"] is None
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.like("%:revoked:%")))
    assert "长期未联系受助人" in message.payload["text"]["content"]


def test_admin_withdraws_an_open_wish_and_it_disappears_from_the_public_list(client):
    wish = make_wish()
    _, admin_headers = sign_in(admin=True)
    _, headers = sign_in()
    response = client.post(f"/api/mp/wishes/{wish.id}/withdraw", json={"reason": "已由村委解决"}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["wish"]["status"] == "withdrawn"
    assert client.get("/api/mp/wishes", headers=headers).get_json()["meta"]["total"] == 0
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=headers).status_code == 404
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=admin_headers).status_code == 200


@pytest.mark.parametrize("action", ["publish", "withdraw", "revoke", "return", "confirm"])
def test_staff_who_are_not_admins_get_403_on_admin_actions(client, action):
    wish = make_wish()
    _, headers = sign_in()
    response = client.post(f"/api/mp/wishes/{wish.id}/{action}", json={"reason": "x"}, headers=headers)
    assert response.status_code == 403
    assert error_code(response) == "admin_required"


@pytest.mark.parametrize("action", ["withdraw", "revoke", "return"])
def test_admin_actions_that_need_a_reason_get_422_without_one(client, action):
    wish = make_wish()
    _, admin_headers = sign_in(admin=True)
    response = client.post(f"/api/mp/wishes/{wish.id}/{action}", json={}, headers=admin_headers)
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["fields"]


def test_admin_action_on_a_missing_wish_gets_404(client):
    _, admin_headers = sign_in(admin=True)
    response = client.post("/api/mp/wishes/424242/withdraw", json={"reason": "x"}, headers=admin_headers)
    assert response.status_code == 404
    assert error_code(response) == "wish_not_found"


def test_held_note_needs_explicit_approval_to_confirm(client):
    wish = make_wish()
    _, admin_headers = sign_in(admin=True)
    claimer, headers = sign_in()
    client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers)
    wishes.store_proof(db.session, wish.id, claimer, "待审的说明", "held", [clean_photo()])
    response = client.post(f"/api/mp/wishes/{wish.id}/confirm", json={}, headers=admin_headers)
    assert response.status_code == 409
    assert error_code(response) == "note_review_required"
    assert fetch_wish(wish.id).status == "fulfilled"
    response = client.post(f"/api/mp/wishes/{wish.id}/confirm", json={"approve_note": True}, headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["private"]["proofs"][0]["note_status"] == "approved"


# ---- jobs ------------------------------------------------------------------------------------------


def test_overdue_claims_are_released_and_the_claimer_is_told_once(app):
    wish = make_wish()
    claimer = sign_in(wecom_userid="zhoujie")[0]
    claim = wishes.claim_wish(db.session, wish.id, claimer)
    later = claim.due_at + timedelta(minutes=1)
    assert wishes.release_overdue_claims(db.session, claim.due_at - timedelta(minutes=1)) == 0
    assert wishes.release_overdue_claims(db.session, later) == 1
    assert wishes.release_overdue_claims(db.session, later) == 0  # a second run does nothing
    released = fetch_wish(wish.id)
    assert released.status == "open" and released.claimer_id is None
    ended = db.session.scalar(select(WishClaim))
    assert ended.end_reason == "expired" and ended.slot is None
    last = db.session.scalars(select(WishTransition).order_by(WishTransition.id.desc())).first()
    assert (last.action, last.actor_type, last.from_status, last.to_status) == ("expire", "system", "claimed", "open")
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("%:expired:%")))
    assert message.address == "touser:zhoujie" and "自动释放" in message.payload["text"]["content"]


def test_fulfilled_wishes_are_not_auto_released(app):
    wish = make_wish()
    claimer = sign_in()[0]
    claim = wishes.claim_wish(db.session, wish.id, claimer)
    wishes.store_proof(db.session, wish.id, claimer, "已送到", NOTE_PASSED, [clean_photo()])
    assert wishes.release_overdue_claims(db.session, claim.due_at + timedelta(days=5)) == 0
    assert fetch_wish(wish.id).status == "fulfilled"


@pytest.mark.parametrize("config_overrides", [{"WISH_REMIND_DAYS_BEFORE": 2}])
def test_claims_due_within_two_days_get_one_reminder_however_often_the_job_runs(app):
    wish = make_wish()
    claimer = sign_in(wecom_userid="zhoujie")[0]
    claim = wishes.claim_wish(db.session, wish.id, claimer)
    assert wishes.remind_claims_due(db.session, claim.due_at - timedelta(days=3)) == 0
    assert wishes.remind_claims_due(db.session, claim.due_at - timedelta(days=2)) == 1
    assert wishes.remind_claims_due(db.session, claim.due_at - timedelta(days=1)) == 0
    assert wishes.remind_claims_due(db.session, claim.due_at + timedelta(minutes=1)) == 0  # overdue: released instead
    [reminder] = db.session.scalars(select(OutboxMessage))
    assert reminder.dedup_key == f"wish:{wish.id}:claim:{claim.id}:due-reminder:user:zhoujie"
    assert "提交完成凭证" in reminder.payload["text"]["content"]


def test_releasing_a_claim_withdraws_its_pending_reminder(app):
    wish = make_wish()
    claimer = sign_in(wecom_userid="zhoujie")[0]
    claim = wishes.claim_wish(db.session, wish.id, claimer)
    wishes.remind_claims_due(db.session, claim.due_at - timedelta(hours=1))
    wishes.release_claim(db.session, wish.id, claimer)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_return_gives_the_claimer_time_to_resubmit(app):
    wish = make_wish()
    claimer = sign_in()[0]
    claim = wishes.claim_wish(db.session, wish.id, claimer)
    wishes.store_proof(db.session, wish.id, claimer, "已送到", NOTE_PASSED, [clean_photo()])
    db.session.get(WishClaim, claim.id).due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    wishes.return_proof(db.session, wish.id, ADMIN, "缺少受助人签收照片")
    due = db.session.get(WishClaim, claim.id).due_at
    assert due > utcnow() + timedelta(days=2)
