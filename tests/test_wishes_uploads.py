"""Proof uploads cannot tie up the workers (issue 10): only the claimer gets as far as the body, within a
limit per person; every photo's header is read before any is decoded; the pixels of one upload are
capped together; large JPEGs are decoded at reduced size and stored within ``PHOTO_MAX_SIDE``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from app.services import images
from tests.wish_helpers import (  # noqa: F401  (claimed is a fixture)
    assert_nothing_stored, claimed, error_code, image_bytes, photo, png_bomb, post_multipart, sign_in,
)


@pytest.fixture
def decoded(monkeypatch) -> list[tuple[int, int]]:
    """The size of every image whose pixels are decoded, in order (the one expensive step)."""
    sizes: list[tuple[int, int]] = []
    original = images.load_pixels

    def spy(image: Image.Image) -> Image.Image:
        loaded = original(image)
        sizes.append(loaded.size)
        return loaded

    monkeypatch.setattr(images, "load_pixels", spy)
    return sizes


def submit(client, wish_id, headers, photos, note="完成", counting=False):
    return post_multipart(client, f"/api/mp/wishes/{wish_id}/proof", headers, {"note": note, "photos": photos},
                          counting=counting)


def near_limit_pngs(count: int) -> list:
    """PNGs of 7000 × 7000 (49 million pixels, just under PHOTO_MAX_PIXELS) in a few kB each."""
    data = png_bomb(7000, 7000)
    return [photo(data, f"{i}.png") for i in range(count)]


def test_eight_near_limit_pngs_and_a_broken_ninth_are_refused_without_decoding_any(app, client, claimed, decoded):
    wish, headers = claimed
    response = submit(client, wish.id, headers, [*near_limit_pngs(8), photo(b"\x89PNG broken", "9.png")])
    assert response.status_code == 415
    assert error_code(response) == "unsupported_photo"
    assert "第 9 张照片" in response.get_json()["error"]["message"]
    assert decoded == []
    assert_nothing_stored(app, wish.id)


def test_eight_near_limit_pngs_are_refused_by_the_total_without_decoding_any(app, client, claimed, decoded):
    wish, headers = claimed
    response = submit(client, wish.id, headers, near_limit_pngs(8))
    assert response.status_code == 422
    assert error_code(response) == "upload_too_many_pixels"
    assert "392 百万像素" in response.get_json()["error"]["message"]
    assert decoded == []
    assert_nothing_stored(app, wish.id)


@pytest.mark.parametrize("config_overrides", [{"PHOTO_MAX_TOTAL_PIXELS": 100 * 100}])
def test_total_pixels_per_upload_is_a_setting(app, client, claimed, decoded):
    wish, headers = claimed
    response = submit(client, wish.id, headers, [photo(image_bytes(size=(80, 80))), photo(image_bytes(size=(80, 80)))])
    assert response.status_code == 422 and error_code(response) == "upload_too_many_pixels"
    assert decoded == []
    assert_nothing_stored(app, wish.id)


def test_nine_12_megapixel_phone_photos_pass_decoded_at_half_size(app, client, claimed, decoded):
    wish, headers = claimed
    assert app.config["PHOTO_MAX_SIDE"] == 1920
    phone_photo = image_bytes("JPEG", size=(4032, 3024), colour=(90, 140, 60))
    response = submit(client, wish.id, headers, [photo(phone_photo, f"IMG_{i}.jpg") for i in range(9)])
    assert response.status_code == 201, response.get_json()
    # libjpeg decoded each at 1/2 scale (2016 × 1512), a quarter of the pixels, then fitted to 1920.
    assert decoded == [(2016, 1512)] * 9
    [proof] = response.get_json()["private"]["proofs"]
    assert {(p["width"], p["height"]) for p in proof["photos"]} == {(1920, 1440)}
    stored = [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*.jpg")]
    assert len(stored) == 9
    with Image.open(stored[0]) as image:
        assert image.size == (1920, 1440)


@pytest.mark.parametrize("config_overrides", [{"PHOTO_MAX_SIDE": 50}])
def test_png_larger_than_the_stored_size_is_fitted_and_keeps_its_format(app, client, claimed, decoded):
    wish, headers = claimed
    response = submit(client, wish.id, headers, [photo(image_bytes("PNG", size=(200, 100)), "wide.png")])
    assert response.status_code == 201, response.get_json()
    [stored] = Path(app.config["UPLOAD_FOLDER"]).rglob("*.png")
    with Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (50, 25))
    assert decoded == [(200, 100)]  # PNG has no reduced decoding


def test_someone_else_posting_proof_gets_403_before_the_body_is_read(app, client, claimed, decoded):
    wish, _ = claimed
    _, stranger = sign_in("路人")
    response, read = submit(client, wish.id, stranger, near_limit_pngs(8), counting=True)
    assert response.status_code == 403 and error_code(response) == "not_claimer"
    assert read == 0
    assert decoded == []
    response, read = submit(client, 424242, stranger, [photo(image_bytes())], counting=True)
    assert response.status_code == 404 and error_code(response) == "wish_not_found"
    assert read == 0
    assert_nothing_stored(app, wish.id)


@pytest.mark.parametrize("config_overrides", [{"PHOTO_MAX_BYTES": 10_000}])
def test_someone_else_posting_an_oversized_body_gets_403_not_413(app, client, claimed):
    wish, _ = claimed
    _, stranger = sign_in("路人")
    response = submit(client, wish.id, stranger, [photo(b"\xff" * (9 * 10_000 + 1024 * 1024), "huge.jpg")])
    assert response.status_code == 403 and error_code(response) == "not_claimer"


@pytest.mark.parametrize("config_overrides", [{"WISH_PROOF_RATE_LIMIT": "2/hour"}])
def test_claimer_over_the_proof_rate_limit_gets_429_before_the_body_is_read(app, client, claimed):
    wish, headers = claimed
    for _ in range(2):
        assert submit(client, wish.id, headers, [photo(b"not a photo", "x.jpg")]).status_code == 415
    response, read = submit(client, wish.id, headers, [photo(image_bytes())], counting=True)
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert "提交凭证过于频繁" in response.get_json()["error"]["message"]
    assert read == 0
    assert_nothing_stored(app, wish.id)


def test_header_check_alone_reads_no_pixels(decoded):
    header = images.read_header(io.BytesIO(image_bytes("JPEG", size=(640, 480))), max_bytes=10**7, max_pixels=10**7)
    assert (header.format, header.width, header.height, header.pixels) == ("JPEG", 640, 480, 640 * 480)
    assert decoded == []
