"""Settings come from the environment, typed; production refuses unsafe defaults."""

from __future__ import annotations

import pytest

from app import create_app
from config import ConfigError, ProductionConfig, TestingConfig, config_from_env, normalise_database_url


def test_production_refuses_to_start_with_the_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(ProductionConfig())


def test_production_refuses_a_short_secret():
    with pytest.raises(ConfigError):
        create_app(ProductionConfig(SECRET_KEY="short"))


def test_settings_are_read_from_the_environment_with_types(monkeypatch):
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("WECOM_AGENT_ID", "1000005")
    monkeypatch.setenv("WECHAT_TIMEOUT", "2.5")
    monkeypatch.setenv("WECHAT_API_BASE", "http://127.0.0.1:9999/")
    config = config_from_env()
    assert isinstance(config, TestingConfig)
    assert config.WECOM_AGENT_ID == 1000005 and config.WECHAT_TIMEOUT == 2.5
    assert config.WECHAT_API_BASE == "http://127.0.0.1:9999"


def test_a_non_integer_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("WECOM_AGENT_ID", "abc")
    with pytest.raises(ConfigError, match="WECOM_AGENT_ID must be an integer"):
        TestingConfig()


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV"):
        config_from_env()


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = TestingConfig().DATABASE_URL
    assert url.startswith("sqlite:///") and url.endswith("instance/wenming.db")


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"
