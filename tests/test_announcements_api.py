"""The mini-program's announcement board."""

from __future__ import annotations

from app.extensions import db
from app.services.announcements import publish_announcement
from tests import factories


def test_bound_staff_see_announcements_newest_first(client, bound_headers):
    author = factories.make_staff(name="郭敏", admin=True)
    for content in ("第一条", "第二条", "第三条"):
        publish_announcement(db.session, author, content)
        db.session.commit()
    body = client.get("/api/mp/announcements?per_page=2", headers=bound_headers).get_json()
    assert [item["content"] for item in body["items"]] == ["第三条", "第二条"]
    assert body["meta"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}


def test_unbound_account_gets_403(client, login):
    response = client.get("/api/mp/announcements", headers=login("openid-unbound"))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_bound"


def test_bad_page_size_gets_422(client, bound_headers):
    response = client.get("/api/mp/announcements?per_page=500", headers=bound_headers)
    assert response.status_code == 422
    assert "per_page" in response.get_json()["error"]["fields"]
