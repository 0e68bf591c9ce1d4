"""Proof of fulfilment: photos checked by content, stripped of EXIF, served only to those allowed;
every bad upload gets a clear 4xx and leaves nothing behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage, WishPhoto
from sandbox import Fault
from tests.wish_helpers import (  # noqa: F401  (claimed is a fixture)
    assert_nothing_stored, claimed, error_code, fetch_wish, image_bytes, jpeg_with_gps, make_wish, photo, png_bomb,
    post_multipart, sign_in, stored_files,
)


def upload(client, wish_id, headers, photos, note="书包已经送到小明手中。"):
    data = {"photos": photos}
    if note is not None:
        data["note"] = note
    return client.post(f"/api/mp/wishes/{wish_id}/proof", data=data, headers=headers, content_type="multipart/form-data")


def test_claimer_submits_three_photos_and_a_note(app, client, claimed):
    wish, headers = claimed
    admin, _ = sign_in("管理员", admin=True, wecom_userid="admin1")
    photos = [photo(image_bytes("JPEG")), photo(image_bytes("PNG"), "b.png"), photo(image_bytes("WEBP"), "c.webp")]
    response = upload(client, wish.id, headers, photos)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["wish"]["status"] == "fulfilled"
    [proof] = body["private"]["proofs"]
    assert proof["note"] == "书包已经送到小明手中。" and proof["note_status"] == "passed"
    assert [p["content_type"] for p in proof["photos"]] == ["image/jpeg", "image/png", "image/webp"]
    files = stored_files(app)
    assert len(files) == 3
    assert all(f.parent == Path(app.config["UPLOAD_FOLDER"]) / "wishes" for f in files)
    assert all(len(f.stem) == 32 and f.name not in ("photo.jpg", "b.png", "c.webp") for f in files)
    # Admins are told there is something to confirm.
    [notice] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("%:submitted:%")))
    assert notice.address == "touser:admin1" and "周杰" in notice.payload["text"]["content"]


def test_exif_and_gps_are_stripped_and_orientation_applied(app, client, claimed):
    wish, headers = claimed
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(0x8825)  # the upload really carries GPS
    response = upload(client, wish.id, headers, [photo(jpeg_with_gps())])
    assert response.status_code == 201
    [stored] = stored_files(app)
    assert b"Exif" not in stored.read_bytes()[:4096]
    with Image.open(stored) as image:
        assert not image.getexif()
        assert "exif" not in image.info
        assert image.size == (40, 80)  # rotated upright (orientation 6), 80x40 -> 40x80


def test_claimer_and_admin_see_proof_photos_others_get_403(client, claimed):
    wish, headers = claimed
    _, admin_headers = sign_in(admin=True)
    _, stranger = sign_in()
    body = upload(client, wish.id, headers, [photo(image_bytes("PNG"), "a.png")]).get_json()
    url = body["private"]["proofs"][0]["photos"][0]["url"]
    for allowed in (headers, admin_headers):
        with client.get(url, headers=allowed) as response:
            assert response.status_code == 200
            assert response.mimetype == "image/png"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert Image.open(io.BytesIO(response.data)).format == "PNG"
    response = client.get(url, headers=stranger)
    assert response.status_code == 403 and error_code(response) == "photo_forbidden"
    assert client.get(url).status_code == 401
    assert error_code(client.get(f"/api/mp/wishes/{wish.id}/photos/999999", headers=headers)) == "photo_not_found"


def test_next_claimer_sees_only_their_own_proofs_and_admin_sees_all(client, claimed):
    wish, first = claimed
    _, admin_headers = sign_in("管理员", admin=True)
    assert upload(client, wish.id, first, [photo(image_bytes())], note="第一位认领人的说明").status_code == 201
    assert client.post(f"/api/mp/wishes/{wish.id}/return", json={"reason": "照片不清楚"}, headers=admin_headers).status_code == 200
    assert client.post(f"/api/mp/wishes/{wish.id}/revoke", json={"reason": "换人"}, headers=admin_headers).status_code == 200
    _, second = sign_in("吴敏")
    body = client.post(f"/api/mp/wishes/{wish.id}/claim", headers=second).get_json()
    assert body["private"]["proofs"] == []
    assert upload(client, wish.id, second, [photo(image_bytes())], note="第二位认领人的说明").status_code == 201
    proofs = client.get(f"/api/mp/wishes/{wish.id}", headers=second).get_json()["private"]["proofs"]
    assert [(p["note"], p["submitted_by"]["name"]) for p in proofs] == [("第二位认领人的说明", "吴敏")]
    proofs = client.get(f"/api/mp/wishes/{wish.id}", headers=admin_headers).get_json()["private"]["proofs"]
    assert [p["note"] for p in proofs] == ["第二位认领人的说明", "第一位认领人的说明"]


def test_someone_else_cannot_submit_proof(app, client, claimed):
    wish, _ = claimed
    _, stranger = sign_in()
    response = upload(client, wish.id, stranger, [photo(image_bytes())])
    assert response.status_code == 403 and error_code(response) == "not_claimer"
    assert_nothing_stored(app, wish.id)


def test_proof_for_an_open_wish_gets_409(app, client):
    wish = make_wish()
    _, headers = sign_in()
    response = upload(client, wish.id, headers, [photo(image_bytes())])
    assert response.status_code == 409 and error_code(response) == "invalid_wish_transition"
    assert stored_files(app) == []


BAD_UPLOADS = {
    "not an image": ([photo(b"just some text, not a picture", "note.jpg")], 415, "unsupported_photo"),
    "gif renamed to jpg": ([photo(image_bytes("GIF"), "photo.jpg")], 415, "unsupported_photo"),
    "bmp renamed to png": ([photo(image_bytes("BMP"), "photo.png")], 415, "unsupported_photo"),
    "truncated jpeg": ([photo(image_bytes("JPEG", size=(300, 300))[:400], "cut.jpg")], 415, "unsupported_photo"),
    "empty file": ([photo(b"", "empty.jpg")], 415, "unsupported_photo"),
    "decompression bomb": ([photo(png_bomb(), "bomb.png")], 422, "photo_too_many_pixels"),
    "too many": ([photo(image_bytes(), f"{i}.jpg") for i in range(10)], 400, "photo_count_invalid"),
    "none": ([], 400, "photo_count_invalid"),
    "one good one bad": ([photo(image_bytes()), photo(b"%PDF-1.4", "scan.jpg")], 415, "unsupported_photo"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS), ids=list(BAD_UPLOADS))
def test_bad_upload_gets_a_clear_4xx_and_stores_nothing(app, client, claimed, case):
    wish, headers = claimed
    photos, status, code = BAD_UPLOADS[case]
    response = upload(client, wish.id, headers, [(io.BytesIO(f.getvalue()), name) for f, name in photos])
    assert response.status_code == status, response.get_json()
    assert error_code(response) == code
    assert_nothing_stored(app, wish.id)


def test_bad_photo_is_named_by_its_position(client, claimed):
    wish, headers = claimed
    response = upload(client, wish.id, headers, [photo(image_bytes()), photo(b"nope", "x.jpg")])
    assert "第 2 张照片" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("config_overrides", [{"PHOTO_MAX_BYTES": 20_000}])
def test_photo_over_the_size_limit_gets_413_and_stores_nothing(app, client, claimed):
    wish, headers = claimed
    big = Image.effect_noise((200, 200), 100).convert("RGB")
    buffer = io.BytesIO()
    big.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 20_000
    response = upload(client, wish.id, headers, [photo(buffer.getvalue(), "big.png")])
    assert response.status_code == 413 and error_code(response) == "photo_too_large"
    assert_nothing_stored(app, wish.id)


@pytest.mark.parametrize("config_overrides", [{"PHOTO_MAX_PIXELS": 100 * 100}])
def test_photo_over_the_pixel_limit_is_refused_before_decoding(app, client, claimed):
    wish, headers = claimed
    response = upload(client, wish.id, headers, [photo(image_bytes("PNG", size=(200, 100)), "wide.png")])
    assert response.status_code == 422 and error_code(response) == "photo_too_many_pixels"
    assert "200×100" in response.get_json()["error"]["message"]
    assert_nothing_stored(app, wish.id)


@pytest.mark.parametrize("note", [None, "", "  "], ids=["missing", "empty", "blank"])
def test_claimer_submits_photos_without_a_note(client, claimed, sandbox, note):
    """Issue 11: a note is optional when photos are attached (it was a 422); nothing to check with WeChat."""
    wish, headers = claimed
    response = upload(client, wish.id, headers, [photo(image_bytes())], note=note)
    assert response.status_code == 201, response.get_json()
    [proof] = response.get_json()["private"]["proofs"]
    assert (proof["note"], proof["note_status"], len(proof["photos"])) == ("", "passed", 1)
    assert sandbox.state.requests.get("wxa/msg_sec_check", 0) == 0
    assert fetch_wish(wish.id).status == "fulfilled"


def test_note_over_500_characters_gets_422(app, client, claimed):
    wish, headers = claimed
    response = upload(client, wish.id, headers, [photo(image_bytes())], note="长" * 501)
    assert response.status_code == 422
    assert "note" in response.get_json()["error"]["fields"]
    assert_nothing_stored(app, wish.id)


def test_risky_note_is_refused_and_stores_nothing(app, client, claimed, sandbox):
    wish, headers = claimed
    response = upload(client, wish.id, headers, [photo(image_bytes())], note="这里有赌博广告")
    assert response.status_code == 422 and error_code(response) == "note_rejected"
    assert sandbox.state.requests["wxa/msg_sec_check"] == 1
    assert_nothing_stored(app, wish.id)


def test_note_for_review_is_held_for_an_admin(client, claimed):
    wish, headers = claimed
    sign_in(admin=True, wecom_userid="admin1")
    response = upload(client, wish.id, headers, [photo(image_bytes())], note="内容待审核：敏感")
    assert response.status_code == 201
    assert response.get_json()["private"]["proofs"][0]["note_status"] == "held"
    assert fetch_wish(wish.id).status == "fulfilled"
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.like("%:submitted:%")))
    assert "人工审核" in notice.payload["text"]["content"]


def test_content_check_unavailable_gets_503_and_stores_nothing(app, client, claimed, sandbox):
    wish, headers = claimed
    sandbox.state.add_fault(Fault(kind="http_503", path="wxa/msg_sec_check"))
    response = upload(client, wish.id, headers, [photo(image_bytes())])
    assert response.status_code == 503 and error_code(response) == "wechat_unavailable"
    assert_nothing_stored(app, wish.id)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_encoding_gets_415_naming_multipart(app, client, claimed, content_type):
    """Issue 11: the refusal said "请使用 application/json" (or, for JSON, asked for a note)."""
    wish, headers = claimed
    response = client.post(f"/api/mp/wishes/{wish.id}/proof", data='{"note": "x"}', content_type=content_type,
                           headers=headers)
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"
    message = response.get_json()["error"]["message"]
    assert "multipart/form-data" in message and "application/json" not in message
    assert_nothing_stored(app, wish.id)


@pytest.mark.parametrize("config_overrides", [{"PHOTO_MAX_BYTES": 10_000}])
def test_request_over_the_body_limit_gets_413_json(app, client, claimed):
    """The proof upload's own limit: nine photos of PHOTO_MAX_BYTES plus 1 MB."""
    wish, headers = claimed
    data = {"note": "完成", "photos": [photo(b"\xff" * (9 * 10_000 + 1024 * 1024), "huge.jpg")]}
    response = post_multipart(client, f"/api/mp/wishes/{wish.id}/proof", headers, data)
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"
    assert_nothing_stored(app, wish.id)


def test_a_database_failure_after_writing_files_removes_them(app, claimed):
    """If the wish changed between the checks and the write, the files just written are deleted."""
    from app.services import images, wishes

    wish, _ = claimed
    claimer = fetch_wish(wish.id).claimer
    wishes.release_claim(db.session, wish.id, claimer)
    cleaned = [images.clean_image(io.BytesIO(image_bytes()), max_bytes=10**7, max_pixels=10**7)]
    with pytest.raises(wishes.InvalidWishTransition):
        wishes.store_proof(db.session, wish.id, claimer, "完成", "passed", cleaned)
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count()).select_from(WishPhoto)) == 0


def test_text_in_place_of_a_photo_gets_422_in_chinese(app, client, claimed):
    wish, headers = claimed
    response = client.post(
        f"/api/mp/wishes/{wish.id}/proof", data={"note": "完成", "photos": "not-a-file"}, headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["photos.0"] == "应为图片文件"
    assert_nothing_stored(app, wish.id)


def test_photos_under_a_misspelt_field_are_not_counted(app, client, claimed):
    wish, headers = claimed
    response = client.post(
        f"/api/mp/wishes/{wish.id}/proof", data={"note": "完成", "photo": [photo(image_bytes())]}, headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert error_code(response) == "photo_count_invalid"
    assert_nothing_stored(app, wish.id)


def test_a_draft_wish_photo_asked_for_through_an_open_wish_gets_404(client):
    draft = make_wish(publish=False, title="草稿心愿", photos=(io.BytesIO(image_bytes()),))
    public = make_wish()
    _, headers = sign_in("路人")
    [photo_row] = draft.photos
    response = client.get(f"/api/mp/wishes/{public.id}/photos/{photo_row.id}", headers=headers)
    assert response.status_code == 404 and error_code(response) == "photo_not_found"


def test_admin_asking_the_history_of_a_missing_wish_gets_404(client):
    _, admin_headers = sign_in("管理员", admin=True)
    response = client.get("/api/mp/wishes/424242/history", headers=admin_headers)
    assert response.status_code == 404 and error_code(response) == "wish_not_found"
