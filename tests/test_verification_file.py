"""WeChat's ordinary-link QR rule: the verification file is served where WeChat fetches it."""

from __future__ import annotations

import pytest

from app.verification import verification_paths
from config import ConfigError

FILE = "a1B2c3D4e5.txt"
CONTENT = "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture
def config_overrides():
    return {
        "WECHAT_QR_VERIFY_FILE": FILE,
        "WECHAT_QR_VERIFY_CONTENT": CONTENT,
        "CHECKIN_URL_BASE": "https://wm.example.gov.cn/qr/checkin",
    }


def test_wechat_fetches_the_file_from_the_rules_directory_and_the_top(client):
    for path in ("/qr/" + FILE, "/" + FILE):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data(as_text=True) == CONTENT
        assert response.mimetype == "text/plain"


def test_other_names_are_not_found_as_json(client):
    response = client.get("/qr/other.txt")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"]


def test_paths_follow_the_rules_last_directory():
    assert set(verification_paths("https://h/qr/checkin", FILE)) == {f"/qr/{FILE}", f"/{FILE}"}
    assert set(verification_paths("https://h/qr/checkin/", FILE)) == {f"/qr/checkin/{FILE}", f"/{FILE}"}
    assert verification_paths("https://h/checkin", FILE) == [f"/{FILE}"]
    assert verification_paths("https://h", FILE) == [f"/{FILE}"]


def test_nothing_is_served_without_a_configured_file(build_app):
    app = build_app(CHECKIN_URL_BASE="https://wm.example.gov.cn/qr/checkin")
    assert app.test_client().get("/qr/" + FILE).status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [("../secret.txt", CONTENT), ("verify.html", CONTENT), (FILE, "")],
)
def test_operator_gets_a_config_error_for_a_bad_file_setting(build_app, name, content):
    with pytest.raises(ConfigError):
        build_app(WECHAT_QR_VERIFY_FILE=name, WECHAT_QR_VERIFY_CONTENT=content)
