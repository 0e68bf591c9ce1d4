"""Hostile input anywhere in a request gets a JSON 4xx, never a 500: out-of-range path ids, huge
integers and invalid characters in JSON bodies, oversized bodies."""

from __future__ import annotations

import json
import re

import pytest

from tests.wish_helpers import error_code, make_wish, post_multipart, sign_in

OUT_OF_RANGE_IDS = [0, 2**31, 2**63, 10**30]


@pytest.mark.parametrize("wish_id", OUT_OF_RANGE_IDS)
def test_viewer_asking_for_an_out_of_range_wish_id_gets_404(client, wish_id):
    _, headers = sign_in("周杰")
    response = client.get(f"/api/mp/wishes/{wish_id}", headers=headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("photo_id", OUT_OF_RANGE_IDS)
def test_viewer_asking_for_an_out_of_range_photo_id_gets_404(client, photo_id):
    wish = make_wish()
    _, headers = sign_in("周杰")
    response = client.get(f"/api/mp/wishes/{wish.id}/photos/{photo_id}", headers=headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("action", ["claim", "release", "publish", "withdraw", "revoke", "return", "confirm"])
def test_admin_acting_on_an_out_of_range_wish_id_gets_404(client, action):
    _, headers = sign_in("管理员", admin=True)
    response = client.post(f"/api/mp/wishes/{2**31}/{action}", json={"reason": "测试"}, headers=headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_largest_valid_wish_id_is_looked_up_and_not_found(client):
    _, headers = sign_in("周杰")
    response = client.get(f"/api/mp/wishes/{2**31 - 1}", headers=headers)
    assert response.status_code == 404
    assert error_code(response) == "wish_not_found"


def test_openapi_documents_path_ids_as_bounded_integers(client):
    spec = client.get("/api/mp/openapi.json").get_json()
    parameters = spec["paths"]["/api/mp/wishes/{wish_id}/photos/{photo_id}"]["get"]["parameters"]
    assert {p["name"]: p["schema"] for p in parameters} == {
        name: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} for name in ("wish_id", "photo_id")
    }


@pytest.mark.parametrize(
    "body",
    ['{"code": ' + "9" * 5000 + "}", '{"code": "x", "n": [' + "1" * 4301 + "]}", '{"code": ' + "[" * 100_000 + "}"],
    ids=["long-integer", "nested-long-integer", "deep-nesting"],
)
def test_json_body_python_cannot_parse_gets_400_malformed_json(client, body):
    response = client.post("/api/mp/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


def test_long_integer_in_a_bound_users_json_body_gets_400(client):
    wish = make_wish()
    _, headers = sign_in("周杰")
    body = '{"reason": ' + "7" * 4400 + "}"
    response = client.post(f"/api/mp/wishes/{wish.id}/release", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


BAD_TEXT = ["\u0000", "\ud800", "a\udfffb", "\x07", "\x1b[31m", "\x85"]
BAD_TEXT_IDS = ["nul", "lone-high-surrogate", "lone-low-surrogate", "bell", "escape", "c1-control"]


def post_json(client, url: str, body: dict, headers: dict | None = None):
    """JSON as a mini-program sends it: ASCII with ``\\uXXXX`` escapes, so lone surrogates survive."""
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def assert_invalid_characters(response, field: str) -> None:
    assert response.status_code == 422, response.get_json()
    assert error_code(response) == "validation_error"
    assert response.get_json()["error"]["fields"][field] == "包含无效字符"


@pytest.mark.parametrize("text", BAD_TEXT, ids=BAD_TEXT_IDS)
def test_login_code_with_invalid_characters_gets_422(client, sandbox, text):
    assert_invalid_characters(post_json(client, "/api/mp/login", {"code": f"test:{text}"}), "code")
    assert sandbox.state.requests.get("sns/jscode2session", 0) == 0


@pytest.mark.parametrize("text", BAD_TEXT, ids=BAD_TEXT_IDS)
def test_binding_with_invalid_characters_gets_422(client, login, staff, text):
    headers = login("openid-bad-text")
    body = {"name": f"李{text}明", "employee_no": staff.employee_no}
    assert_invalid_characters(post_json(client, "/api/mp/bind", body, headers), "name")
    body = {"name": staff.name, "employee_no": text}
    assert_invalid_characters(post_json(client, "/api/mp/bind", body, headers), "employee_no")


@pytest.mark.parametrize("text", BAD_TEXT, ids=BAD_TEXT_IDS)
def test_reason_with_invalid_characters_gets_422(client, text):
    wish = make_wish()
    _, headers = sign_in("管理员", admin=True)
    response = post_json(client, f"/api/mp/wishes/{wish.id}/withdraw", {"reason": f"原因{text}"}, headers)
    assert_invalid_characters(response, "reason")


def test_tabs_and_line_breaks_are_ordinary_text(client):
    wish = make_wish()
    _, headers = sign_in("管理员", admin=True)
    reason = "第一行\r\n第二行\t缩进 😀"
    response = client.post(f"/api/mp/wishes/{wish.id}/withdraw", json={"reason": reason}, headers=headers)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("text", ["\u0000", "\x07"], ids=["nul", "bell"])
def test_proof_note_with_invalid_characters_gets_422(client, text):
    from tests.wish_helpers import image_bytes, photo

    wish = make_wish()
    _, headers = sign_in("周杰")
    assert client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers).status_code == 200
    data = {"note": f"已送达{text}", "photos": [photo(image_bytes())]}
    response = client.post(f"/api/mp/wishes/{wish.id}/proof", data=data, headers=headers,
                           content_type="multipart/form-data")
    assert_invalid_characters(response, "note")


def test_two_megabyte_json_login_gets_413_json(client, sandbox):
    response = client.post("/api/mp/login", data='{"code": "' + "x" * (2 * 1024 * 1024) + '"}',
                           content_type="application/json")
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"
    assert sandbox.state.requests.get("sns/jscode2session", 0) == 0


def noisy_jpeg(side: int = 700) -> bytes:
    """A photo that does not compress: about 0.6 MB of JPEG for 700×700 pixels."""
    import io
    import random

    from PIL import Image

    pixels = random.Random(side).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_claimer_uploads_several_photos_totalling_more_than_one_megabyte(app, client):
    from tests.wish_helpers import photo

    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    wish = make_wish()
    _, headers = sign_in("周杰")
    assert client.post(f"/api/mp/wishes/{wish.id}/claim", headers=headers).status_code == 200
    photos = [noisy_jpeg(), noisy_jpeg(710), noisy_jpeg(720)]
    assert sum(map(len, photos)) > 1.5 * 1024 * 1024
    data = {"note": "三张照片", "photos": [photo(p, f"{i}.jpg") for i, p in enumerate(photos)]}
    response = post_multipart(client, f"/api/mp/wishes/{wish.id}/proof", headers, data)
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["private"]["proofs"][0]["photos"]) == 3


# ---- events ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/mp/events/{id}"),
        ("post", "/api/mp/events/{id}/registration"),
        ("delete", "/api/mp/events/{id}/registration"),
        ("post", "/api/mp/admin/events/{id}/publish"),
        ("post", "/api/mp/admin/events/{id}/cancel"),
        ("get", "/api/mp/admin/events/{id}/attendance"),
        ("post", "/api/mp/admin/events/{id}/checkins"),
        ("post", "/api/mp/admin/checkins/{id}/undo"),
        ("post", "/api/mp/admin/checkins/{id}/hours"),
        ("get", "/api/mp/admin/events/{id}/screen-link"),
        ("get", "/api/mp/admin/events/{id}/wxacode"),
        ("get", "/screens/events/{id}/live/code"),
        ("get", "/screens/events/{id}/live"),
    ],
)
def test_admin_using_an_out_of_range_event_or_checkin_id_gets_404(client, method, path):
    _, headers = sign_in("管理员", admin=True)
    response = getattr(client, method)(path.format(id=2**31), headers=headers, json={"reason": "测试原因"})
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("text", BAD_TEXT, ids=BAD_TEXT_IDS)
def test_event_title_with_invalid_characters_gets_422(client, text):
    _, headers = sign_in("管理员", admin=True)
    body = {"kind": "志愿服务", "title": f"志愿服务{text}", "starts_at": "2030-01-01T09:00:00",
            "ends_at": "2030-01-01T11:00:00"}
    assert_invalid_characters(post_json(client, "/api/mp/admin/events", body, headers), "title")


@pytest.mark.parametrize(
    "path, body, field, translation",
    [
        ("/api/mp/checkins", '{"qr": "p.1.i.x", "nonce": "abcdefgh12", "lat": NaN}', "lat", "不能是 NaN 或无穷大"),
        ("/api/mp/checkins", '{"qr": "p.1.i.x", "nonce": "abcdefgh12", "lng": -Infinity}', "lng", "不能是 NaN 或无穷大"),
        ("/api/mp/admin/checkins/1/hours", '{"hours": Infinity, "reason": "测试调整"}', "hours", "不能是 NaN 或无穷大"),
        ("/api/mp/admin/events", '{"kind": "志愿服务", "title": "志愿服务", "starts_at": "2030-01-01T09:00:00", '
         '"ends_at": "2030-01-01T11:00:00", "reminders": "1d"}', "reminders", "应为列表"),
    ],
    ids=["nan-latitude", "infinite-longitude", "infinite-hours", "reminders-not-a-list"],
)
def test_admin_sending_a_special_number_or_a_non_list_gets_422_in_chinese(client, path, body, field, translation):
    _, headers = sign_in("管理员", admin=True)
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 422 and error_code(response) == "validation_error"
    error = response.get_json()["error"]
    assert error["fields"][field] == translation
    assert not re.search("[a-z]{3,}", error["message"].replace(field, "")), error["message"]  # no English left
