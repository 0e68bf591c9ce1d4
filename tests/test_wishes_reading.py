"""Reading 微心愿: masked public lists, pagination and filters, private details, my wishes, statistics,
the CLI and the demo data."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.demo import seed_demo
from app.extensions import db
from app.models import Wish, WishPhoto
from app.models.wish import mask_name
from app.services import wishes
from app.timeutil import local_today
from tests.wish_helpers import error_code, fetch_wish, image_bytes, make_wish, sign_in


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧***"), ("李", "李*"), (" 赵云 ", "赵*")]
)
def test_beneficiary_names_are_masked(name, masked):
    assert mask_name(name) == masked


def test_public_list_masks_the_beneficiary_and_hides_contact_details(client):
    make_wish()
    _, headers = sign_in()
    response = client.get("/api/mp/wishes", headers=headers)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    [item] = response.get_json()["items"]
    assert item["beneficiary"] == "王**" and item["village"] == "红旗村"
    assert "王小明" not in text and "13900000001" not in text and "三组 12 号" not in text
    assert item["status_label"] == "待认领" and item["category_label"] == "实物类"


def test_detail_is_private_until_claimed_and_only_for_the_claimer_and_admins(client):
    wish = make_wish()
    _, claimer = sign_in()
    _, other = sign_in()
    _, admin = sign_in(admin=True)
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=other).get_json()["private"] is None
    client.post(f"/api/mp/wishes/{wish.id}/claim", headers=claimer)
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=claimer).get_json()["private"]["contact"] == "13900000001"
    assert client.get(f"/api/mp/wishes/{wish.id}", headers=admin).get_json()["private"]["beneficiary_name"] == "王小明"
    response = client.get(f"/api/mp/wishes/{wish.id}", headers=other)
    assert response.get_json()["private"] is None
    assert "13900000001" not in response.get_data(as_text=True)


def test_list_is_paginated_and_filtered(client):
    for i in range(5):
        make_wish(title=f"实物{i}")
    for i in range(2):
        make_wish(title=f"服务{i}", category="service")
    make_wish(title="草稿", publish=False)
    _, headers = sign_in()
    body = client.get("/api/mp/wishes?per_page=3&page=2", headers=headers).get_json()
    assert body["meta"] == {"page": 2, "per_page": 3, "total": 7, "pages": 3}
    assert len(body["items"]) == 3
    body = client.get("/api/mp/wishes?category=service", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["服务1", "服务0"]
    body = client.get("/api/mp/wishes?status=claimed", headers=headers).get_json()
    assert body["meta"]["total"] == 0


@pytest.mark.parametrize("query", ["status=lost", "category=money", "page=0", "per_page=1000", "page=abc"])
def test_bad_list_query_gets_422(client, query):
    _, headers = sign_in()
    response = client.get(f"/api/mp/wishes?{query}", headers=headers)
    assert response.status_code == 422
    assert error_code(response) == "validation_error"


def test_drafts_are_for_admins_only(client):
    draft = make_wish(publish=False)
    _, headers = sign_in()
    _, admin = sign_in(admin=True)
    response = client.get("/api/mp/wishes?status=draft", headers=headers)
    assert response.status_code == 403 and error_code(response) == "admin_required"
    assert client.get(f"/api/mp/wishes/{draft.id}", headers=headers).status_code == 404
    assert client.get("/api/mp/wishes?status=draft", headers=admin).get_json()["meta"]["total"] == 1
    assert client.get("/api/mp/wishes", headers=admin).get_json()["meta"]["total"] == 1


def test_logged_in_but_unbound_account_reading_wishes_gets_403_not_bound(client, login):
    """Issue 10: any WeChat user could read wishes, their claimers' names and departments, and photos."""
    wish = make_wish(photos=(io.BytesIO(image_bytes()),))
    headers = login("browser")
    for url in ("/api/mp/wishes", f"/api/mp/wishes/{wish.id}", f"/api/mp/wishes/{wish.id}/photos/{wish.photos[0].id}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert error_code(response) == "not_bound"


@pytest.mark.parametrize("config_overrides", [{"WISH_RECLAIM_COOLDOWN_HOURS": 0}])
def test_my_wishes_lists_my_claims_newest_first_including_ended_ones(client):
    first, second = make_wish(title="第一个"), make_wish(title="第二个")
    _, headers = sign_in()
    client.post(f"/api/mp/wishes/{first.id}/claim", headers=headers)
    client.post(f"/api/mp/wishes/{first.id}/release", headers=headers)
    client.post(f"/api/mp/wishes/{second.id}/claim", headers=headers)
    response = client.get("/api/mp/me/wishes", headers=headers)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["wish"]["title"], i["end_reason"], i["state_label"]) for i in items] == [
        ("第二个", None, "进行中"),
        ("第一个", "released", "已放弃"),
    ]
    assert response.get_json()["meta"]["total"] == 2


def test_wish_photos_are_visible_to_everyone_signed_in(client, app):
    wish = wishes.create_wish(
        db.session,
        wishes.WishDraft(title="台灯", story="想要台灯", category="goods", beneficiary_name="陈小芳",
                         village="红旗村", claim_deadline=local_today() + timedelta(days=10)),
        wishes.audit.Actor.system(), [io.BytesIO(image_bytes("JPEG"))], publish=True,
    )
    _, headers = sign_in()
    [item] = client.get("/api/mp/wishes", headers=headers).get_json()["items"]
    [listed] = item["photos"]
    with client.get(listed["url"], headers=headers) as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert wish.photos[0].id == listed["id"]


def test_statistics_count_by_status_and_confirmed_wishes_per_department(app):
    from app.models.wish import NOTE_PASSED
    from app.services import audit, images

    helper = sign_in(department="机关党委")[0]
    sign_in(department="办公室")
    done = make_wish(title="完成的")
    make_wish(title="待认领的")
    make_wish(title="草稿", publish=False)
    wishes.claim_wish(db.session, done.id, helper)
    photo = images.clean_image(io.BytesIO(image_bytes()), max_bytes=10**7, max_pixels=10**7)
    wishes.store_proof(db.session, done.id, helper, "已完成", NOTE_PASSED, [photo])
    wishes.confirm_wish(db.session, done.id, audit.Actor.system())
    assert wishes.count_wishes_by_status(db.session) == {
        "draft": 1, "open": 1, "claimed": 0, "fulfilled": 0, "confirmed": 1, "withdrawn": 0,
    }
    assert wishes.fulfilled_wishes_by_department(db.session) == [("机关党委", 1), ("办公室", 0)]


def test_admin_reads_statistics_over_http_and_staff_get_403(client):
    make_wish()
    _, headers = sign_in()
    _, admin = sign_in(admin=True)
    assert client.get("/api/mp/wishes/stats", headers=headers).status_code == 403
    body = client.get("/api/mp/wishes/stats", headers=admin).get_json()
    assert body["by_status"]["open"] == 1
    assert body["by_department"] == [{"department": "办公室", "confirmed": 0}]


# ---- CLI ---------------------------------------------------------------------------------------


def test_operator_creates_a_published_wish_with_a_photo_by_cli(runner, tmp_path):
    picture = tmp_path / "书包.jpg"
    picture.write_bytes(image_bytes("JPEG"))
    deadline = (local_today() + timedelta(days=20)).isoformat()
    result = runner.invoke(args=[
        "wishes", "create", "--title", "一个新书包", "--story", "想要一个新书包", "--category", "goods",
        "--beneficiary", "王小明", "--village", "红旗村", "--household", "三组 12 号", "--contact", "13900000001",
        "--value", "120", "--deadline", deadline, "--photo", str(picture), "--publish",
    ])
    assert result.exit_code == 0, result.output
    assert "状态：待认领" in result.output and "照片 1 张" in result.output
    wish = db.session.scalar(select(Wish))
    assert (wish.status, wish.beneficiary_name, wish.estimated_value) == ("open", "王小明", 120)
    assert db.session.scalar(select(WishPhoto)).proof_id is None


def test_cli_refuses_a_past_deadline_and_a_non_image_and_creates_nothing(runner, tmp_path):
    past = (local_today() - timedelta(days=1)).isoformat()
    args = ["wishes", "create", "--title", "t", "--story", "s", "--category", "service", "--beneficiary", "李",
            "--village", "红旗村"]
    result = runner.invoke(args=[*args, "--deadline", past])
    assert result.exit_code != 0 and "截止日期不能早于今天" in result.output
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    future = (local_today() + timedelta(days=5)).isoformat()
    result = runner.invoke(args=[*args, "--deadline", future, "--photo", str(fake)])
    assert result.exit_code != 0 and "无法识别" in result.output
    assert db.session.scalar(select(Wish)) is None
    assert not any((tmp_path / "uploads").rglob("*.*"))


def test_cli_publishes_lists_and_withdraws(runner):
    wish = make_wish(publish=False)
    result = runner.invoke(args=["wishes", "publish", str(wish.id)])
    assert result.exit_code == 0 and "已发布" in result.output
    result = runner.invoke(args=["wishes", "publish", str(wish.id)])
    assert result.exit_code != 0 and "不能发布" in result.output
    result = runner.invoke(args=["wishes", "list"])
    assert "[待认领]" in result.output and "王小明" in result.output
    result = runner.invoke(args=["wishes", "withdraw", str(wish.id), "--reason", "重复登记"])
    assert result.exit_code == 0
    assert fetch_wish(wish.id).status == "withdrawn"


def test_cli_runs_the_jobs(runner):
    result = runner.invoke(args=["wishes", "release-overdue"])
    assert result.exit_code == 0 and "已释放 0 个" in result.output
    result = runner.invoke(args=["wishes", "remind-due"])
    assert result.exit_code == 0 and "已排队 0 条" in result.output


def test_demo_data_has_wishes_in_every_state_and_is_idempotent(app):
    seed_demo(db.session)
    seed_demo(db.session)
    counts = wishes.count_wishes_by_status(db.session)
    assert counts == {"draft": 1, "open": 2, "claimed": 1, "fulfilled": 1, "confirmed": 1, "withdrawn": 1}
