"""Every error is JSON ``{"error": {"code", "message"}}`` with the right status, never HTML or a 500."""

from __future__ import annotations

import pytest


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # a Chinese message


def test_unknown_path_gets_json_404(client):
    assert_error(client.get("/api/mp/nowhere"), 404, "not_found")
    assert_error(client.get("/definitely/not/here"), 404, "not_found")


def test_wrong_method_gets_json_405_with_allow_header(client):
    response = client.get("/api/mp/login")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("config_overrides", [{"MAX_CONTENT_LENGTH": 1024}])
def test_oversized_body_gets_json_413(client):
    response = client.post("/api/mp/login", json={"code": "x" * 4096})
    assert_error(response, 413, "payload_too_large")


def test_text_plain_body_gets_415(client):
    assert_error(client.post("/api/mp/login", data="hello", content_type="text/plain"), 415, "unsupported_media_type")


def test_unexpected_failure_gets_json_500_without_details(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_gone(build_app, tmp_path):
    broken = build_app(DATABASE_URL=f"sqlite:///{tmp_path / 'missing-dir' / 'nothing.db'}")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_openapi_document_is_served(client):
    response = client.get("/api/mp/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert "/api/mp/login" in spec["paths"]
    assert "/api/mp/bind" in spec["paths"]
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
