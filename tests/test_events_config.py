"""Production refuses sign-in codes that WeChat could not route: the address must be HTTPS."""

from __future__ import annotations

import pytest

from config import ConfigError, ProductionConfig

SECRET = "a-production-secret-of-at-least-32-characters"


def test_production_refuses_a_plain_http_checkin_address():
    with pytest.raises(ConfigError, match="CHECKIN_URL_BASE"):
        ProductionConfig(SECRET_KEY=SECRET, CHECKIN_URL_BASE="http://127.0.0.1:8000/qr/checkin").validate()


def test_production_accepts_an_https_checkin_address():
    ProductionConfig(
        SECRET_KEY=SECRET,
        CHECKIN_URL_BASE="https://wenming.example.gov.cn/qr/checkin",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",  # production refuses per-process limits
    ).validate()


def test_checkin_address_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHECKIN_URL_BASE", "https://wenming.example.gov.cn/qr/checkin")
    monkeypatch.setenv("LIVE_CODE_PERIOD_SECONDS", "20")
    config = ProductionConfig(SECRET_KEY=SECRET)
    assert config.CHECKIN_URL_BASE == "https://wenming.example.gov.cn/qr/checkin"
    assert config.LIVE_CODE_PERIOD_SECONDS == 20
