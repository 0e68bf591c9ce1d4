"""Hostile input anywhere in a request gets a JSON 4xx, never a 500: out-of-range path ids, huge
integers and invalid characters in JSON bodies, oversized bodies."""

from __future__ import annotations

import pytest

from tests.wish_helpers import error_code, make_wish, sign_in

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
