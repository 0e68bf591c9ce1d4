"""微心愿 in the console: list, create with photos, proof review with the photos, actions and roles."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import WishPhoto
from app.models import Wish
from app.services import wishes
from tests.console_helpers import count_queries, csrf_token, person, sign_in
from tests.wish_helpers import claimed_with_proof, fetch_wish, image_bytes, make_wish


@pytest.fixture
def cast(app):
    return {"admin": person("admin", name="管理员"), "leader": person("leader", name="领导"), "liaison": person("liaison", name="联络员")}


@pytest.mark.parametrize(("role", "list_status", "new_status"), [("admin", 200, 200), ("leader", 200, 403), ("liaison", 403, 403)])
def test_wish_pages_for_each_role(client, cast, role, list_status, new_status):
    wish = make_wish()
    sign_in(client, cast[role])
    assert client.get("/console/wishes").status_code == list_status
    assert client.get(f"/console/wishes/{wish.id}").status_code == list_status
    assert client.get("/console/wishes/new").status_code == new_status


def test_admin_reviews_a_proof_with_its_photos_and_confirms(client, cast):
    wish = claimed_with_proof()
    sign_in(client, cast["admin"])
    page = client.get(f"/console/wishes/{wish.id}").get_data(as_text=True)
    assert "书包已送到" in page and "王小明" in page and "确认完成" in page
    proof_photo = next(p for p in db.session.scalars(select(WishPhoto).where(WishPhoto.proof_id.is_not(None))))
    with client.get(f"/console/wishes/{wish.id}/photos/{proof_photo.id}") as image:
        assert image.status_code == 200 and image.mimetype.startswith("image/")
    token = csrf_token(client, f"/console/wishes/{wish.id}")
    no_reason = client.post(f"/console/wishes/{wish.id}/return", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "请填写原因" in no_reason.get_data(as_text=True)
    assert client.post(f"/console/wishes/{wish.id}/confirm", data={"csrf_token": token}).status_code == 302
    assert fetch_wish(wish.id).status == "confirmed"
    history = client.get(f"/console/wishes/{wish.id}").get_data(as_text=True)
    assert "确认完成 → 已完成" in history


def test_leader_reads_without_private_details_or_proof_photos(client, cast):
    wish = claimed_with_proof()
    sign_in(client, cast["leader"])
    page = client.get(f"/console/wishes/{wish.id}").get_data(as_text=True)
    assert "王**" in page and "王小明" not in page and "确认完成" not in page
    proof_photo = db.session.scalars(select(WishPhoto).where(WishPhoto.proof_id.is_not(None))).first()
    assert client.get(f"/console/wishes/{wish.id}/photos/{proof_photo.id}").status_code == 403
    token = csrf_token(client, f"/console/wishes/{wish.id}")
    assert client.post(f"/console/wishes/{wish.id}/confirm", data={"csrf_token": token}).status_code == 403
    assert fetch_wish(wish.id).status == "fulfilled"


def test_admin_creates_a_wish_with_photos(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/wishes/new")
    data = {
        "csrf_token": token, "title": "一套冬衣", "story": "天冷了，想要一套冬衣。", "category": "goods",
        "beneficiary_name": "李奶奶", "village": "红旗村", "claim_deadline": "2027-01-20", "publish": "y",
        "photos": [(io.BytesIO(image_bytes()), "a.jpg"), (io.BytesIO(image_bytes("PNG")), "b.png")],
    }
    response = client.post("/console/wishes/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    wish = db.session.scalars(select(Wish).where(Wish.title == "一套冬衣")).one()
    assert wish.status == "open" and len(wish.photos) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "请填写标题"),
        ({"claim_deadline": "2020-01-01"}, "截止日期不能早于今天"),
        ({"claim_deadline": "明年"}, "日期"),
        ({"category": "money"}, "不是有效的选择"),
        ({"photos": [(io.BytesIO(b"not an image at all"), "x.jpg")]}, "图片"),
    ],
)
def test_wish_form_refuses_bad_input_and_writes_nothing(client, cast, fields, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/wishes/new")
    data = {"csrf_token": token, "title": "一套冬衣", "story": "故事", "category": "goods", "beneficiary_name": "李奶奶",
            "village": "红旗村", "claim_deadline": "2027-01-20", **fields}
    response = client.post("/console/wishes/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and message in response.get_data(as_text=True), response.get_data(as_text=True)[-800:]
    assert db.session.scalar(select(func.count(Wish.id))) == 0


def test_wish_list_filters_and_runs_bounded_queries(client, cast):
    sign_in(client, cast["admin"])
    make_wish(title="草稿心愿", publish=False)
    assert "草稿心愿" in client.get("/console/wishes?status=draft").get_data(as_text=True)
    assert "草稿心愿" not in client.get("/console/wishes?status=open").get_data(as_text=True)
    assert "没有这种心愿状态" in client.get("/console/wishes?status=lost", follow_redirects=True).get_data(as_text=True)

    def measure() -> int:
        db.session.remove()
        with count_queries() as statements:
            assert client.get("/console/wishes").status_code == 200
        return len(statements)

    small = measure()
    for number in range(6):
        claimer = person(None, department=f"部门{number}")
        wish = make_wish(title=f"心愿{number}", photos=[io.BytesIO(image_bytes())])
        wishes.claim_wish(db.session, wish.id, claimer)
    assert measure() == small <= 12
