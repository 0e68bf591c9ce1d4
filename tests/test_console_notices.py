"""公告 in the console: preview, all groups / chosen groups / mini-program only, delivery per group."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, OutboxMessage, PushTarget
from tests.console_helpers import count_queries, csrf_token, person, sign_in


@pytest.fixture
def setup(app):
    robots = [PushTarget(name=f"群{i}", kind="robot", address=f"key-{i}") for i in range(3)]
    db.session.add_all(robots)
    db.session.commit()
    return {"admin": person("admin", name="管理员"), "leader": person("leader"), "liaison": person("liaison"), "robots": robots}


@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("leader", 200), ("liaison", 403)])
def test_notices_page_for_each_role(client, setup, role, expected):
    sign_in(client, setup[role])
    assert client.get("/console/notices").status_code == expected


def post(client, **data):
    token = csrf_token(client, "/console/notices")
    return client.post("/console/notices", data={"csrf_token": token, **data})


def keys() -> set[str]:
    return set(db.session.scalars(select(OutboxMessage.dedup_key)))


def test_admin_sends_to_all_chosen_or_no_groups(client, setup):
    sign_in(client, setup["admin"])
    robots = setup["robots"]
    assert post(client, content="周五大扫除", audience="all").status_code == 302
    first = db.session.scalars(select(Announcement)).one()
    assert len(keys()) == 3 and first.group_count == 3
    assert post(client, content="支部会议", audience="chosen", target=[str(robots[1].id)]).status_code == 302
    assert len(keys()) == 4
    assert post(client, content="小程序通知", audience="miniprogram").status_code == 302
    assert len(keys()) == 4
    page = client.get("/console/notices").get_data(as_text=True)
    assert "群1：待发" in page and "仅小程序" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [({"content": "", "audience": "all"}, "请填写公告内容"), ({"content": "x", "audience": "chosen"}, "请选择至少一个已启用的群"),
     ({"content": "x", "audience": "chosen", "target": ["999"]}, "请选择至少一个已启用的群"), ({"content": "x", "audience": "nowhere"}, "不是有效的选择")],
)
def test_bad_announcements_are_refused(client, setup, data, message):
    sign_in(client, setup["admin"])
    response = post(client, **data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(Announcement)).first() is None


def test_preview_shows_what_groups_receive(client, setup):
    sign_in(client, setup["admin"])
    token = csrf_token(client, "/console/notices")
    fragment = client.post("/console/notices/preview", data={"content": "<b>大扫除</b>"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "【公告】" in body and "&lt;b&gt;" in body and "<html" not in body
    assert client.post("/console/notices/preview", data={"content": "x"}).status_code == 400  # no CSRF header


def test_notices_page_runs_bounded_queries(client, setup):
    sign_in(client, setup["admin"])

    def measure() -> int:
        db.session.remove()
        with count_queries() as statements:
            assert client.get("/console/notices").status_code == 200
        return len(statements)

    post(client, content="公告", audience="all")
    small = measure()
    for number in range(5):
        post(client, content=f"公告{number}", audience="all")
    assert measure() == small <= 12
