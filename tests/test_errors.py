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


# ---- oversized headers (issue 10 item 12) -----------------------------------------------------------


def test_a_10_kb_authorization_header_gets_431_json(client):
    response = client.get("/api/mp/me", headers={"Authorization": "Bearer " + "x" * 10240})
    assert response.status_code == 431 and response.is_json
    assert response.get_json()["error"]["code"] == "header_too_large"


def test_any_oversized_header_gets_431_json_on_every_face(client):
    for path in ("/api/mp/me", "/healthz", "/wecom/callback"):
        response = client.get(path, headers={"X-Padding": "p" * 9000})
        assert response.status_code == 431 and response.get_json()["error"]["code"] == "header_too_large", path


def test_gunicorn_lets_a_10_kb_authorization_header_reach_the_app(tmp_path):
    """Under the shipped gunicorn settings the app, not gunicorn, answers: JSON, not an HTML page."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import requests

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, APP_ENV="testing", DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}", LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # until a worker answers (the app takes seconds to load on a busy machine)
            try:
                assert requests.get(f"http://127.0.0.1:{port}/no-such-page", timeout=60).status_code == 404
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        response = requests.get(
            f"http://127.0.0.1:{port}/api/mp/me", headers={"Authorization": "Bearer " + "x" * 10240}, timeout=30
        )
        assert response.status_code == 431
        assert response.json()["error"]["code"] == "header_too_large"
    finally:
        server.terminate()
        server.wait(timeout=10)


# ---- the OpenAPI document (issue 10 item 11) --------------------------------------------------------


def test_openapi_describes_the_real_error_shape_and_common_statuses(client):
    spec = client.get("/api/mp/openapi.json").get_json()
    for name in ("HTTPError", "ValidationError"):
        schema = spec["components"]["schemas"][name]
        assert schema["required"] == ["error"] and schema["additionalProperties"] is False
        assert schema["properties"]["error"]["required"] == ["code", "message"]
        assert "fields" in schema["properties"]["error"]["properties"]
    login = spec["paths"]["/api/mp/login"]["post"]["responses"]
    assert {"200", "400", "413", "415", "422", "429", "431", "503"} <= set(login)
    assert "431" in spec["paths"]["/api/mp/me"]["get"]["responses"]
    code = spec["components"]["schemas"]["LoginIn"]["properties"]["code"]
    assert (code["minLength"], code["maxLength"]) == (1, 128) and code["pattern"].startswith("^[^\\u0000")
    bind = spec["paths"]["/api/mp/bind"]["post"]["responses"]
    assert bind["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BindOut"}


def test_photo_endpoints_document_their_image_answers(client):
    spec = client.get("/api/mp/openapi.json").get_json()
    for path in ("/api/mp/wishes/{wish_id}/photos/{photo_id}", "/api/mp/selections/photos/{photo_id}"):
        answer = spec["paths"][path]["get"]["responses"]["200"]
        assert set(answer["content"]) == {"image/jpeg", "image/png", "image/webp"}, path
