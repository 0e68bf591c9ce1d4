"""GET /api/mp/tips/today: the mini-program's home page shows the same tip the groups get."""

from __future__ import annotations

from app.extensions import db
from app.services import tips
from app.timeutil import local_today


def test_bound_staff_gets_todays_tip_and_it_stays_the_days_tip(client, bound_headers):
    tips.seed_tips(db.session)
    first = client.get("/api/mp/tips/today", headers=bound_headers)
    assert first.status_code == 200
    body = first.get_json()
    assert body["theme"] and body["content"]
    assert client.get("/api/mp/tips/today", headers=bound_headers).get_json() == body
    db.session.expire_all()
    assert tips.todays_tip(db.session, local_today()).content == body["content"]


def test_empty_library_answers_404_in_chinese(client, bound_headers):
    response = client.get("/api/mp/tips/today", headers=bound_headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == {"code": "tip_not_found", "message": "今天没有文明提示"}


def test_unbound_account_is_refused(client, login):
    response = client.get("/api/mp/tips/today", headers=login("openid-unbound"))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_bound"
