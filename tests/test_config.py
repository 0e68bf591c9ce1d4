"""Settings come from the environment, typed; production refuses unsafe defaults."""

from __future__ import annotations

import secrets

import pytest

from app import create_app
from config import (
    DEFAULT_SECRET_KEY,
    Config,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_from_env,
    normalise_database_url,
    secret_key_problem,
)


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


@pytest.mark.parametrize("limit", ["0", "61"])
def test_the_claim_limit_is_bounded(monkeypatch, limit):
    """A person's active claims travel as bits of a 64-bit integer in the claim's read (issue 17)."""
    monkeypatch.setenv("WISH_CLAIM_LIMIT", limit)
    with pytest.raises(ConfigError, match="WISH_CLAIM_LIMIT must be between 1 and 60"):
        TestingConfig().validate()


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


PRODUCTION = dict(
    SECRET_KEY="kQ3v9Zr2Lx7Tn4Wp8Ys1Bd6Hf0Jm5Gc-_aE",
    CHECKIN_URL_BASE="https://wenming.example.gov.cn/qr/checkin",
    RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
    WECHAT_API_BASE="",
)


def test_production_settings_that_are_safe_are_accepted():
    ProductionConfig(**PRODUCTION).validate()


def test_unset_app_env_means_production_and_refuses_the_placeholder_key(monkeypatch):
    monkeypatch.delenv("APP_ENV")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = config_from_env()
    assert isinstance(config, ProductionConfig) and config.DEBUG is False
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        config.validate()


@pytest.mark.parametrize("env", ["development", "testing"])
def test_the_placeholder_key_runs_only_where_app_env_says_development_or_testing(monkeypatch, env):
    monkeypatch.setenv("APP_ENV", env)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = config_from_env()
    config.validate()
    assert config.SECRET_KEY == DEFAULT_SECRET_KEY


@pytest.mark.parametrize("key", [DEFAULT_SECRET_KEY, "test-secret-key"])
def test_a_bare_config_refuses_a_key_from_the_repository(key):
    with pytest.raises(ConfigError, match="repository"):
        Config(SECRET_KEY=key).validate()


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,  # passed before: 32 identical characters
        "ab" * 32,
        "0123456789ab" * 3,  # enough distinct characters, but a repeated pattern
        "abcdefghijklmnopqrstuvwxyz012345abcdefghijklmnopqrstuvwxyz012345",  # a repeated pattern
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcdefghijkl",  # few bits despite enough distinct characters
    ],
)
def test_production_refuses_a_low_entropy_secret(key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        ProductionConfig(**{**PRODUCTION, "SECRET_KEY": key}).validate()


@pytest.mark.parametrize("key", [secrets.token_urlsafe(48), secrets.token_hex(32), secrets.token_hex(16)])
def test_production_accepts_generated_secrets(key):
    assert secret_key_problem(key) is None


def test_production_refuses_per_process_rate_limits_unless_accepted():
    settings = {**PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(ConfigError, match="RATELIMIT_ALLOW_PER_PROCESS"):
        ProductionConfig(**settings).validate()
    ProductionConfig(**settings, RATELIMIT_ALLOW_PER_PROCESS=True).validate()


def test_production_without_redis_defaults_to_memory_limits_and_is_refused(monkeypatch):
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_ALLOW_PER_PROCESS"):
        monkeypatch.delenv(name, raising=False)
    settings = {k: v for k, v in PRODUCTION.items() if k != "RATELIMIT_STORAGE_URI"}
    with pytest.raises(ConfigError, match="memory://"):
        ProductionConfig(**settings).validate()


def test_production_refuses_a_plain_http_wechat_base_unless_allowed(monkeypatch):
    settings = {**PRODUCTION, "WECHAT_API_BASE": "http://127.0.0.1:8001"}
    with pytest.raises(ConfigError, match="WECHAT_API_BASE"):
        ProductionConfig(**settings).validate()
    monkeypatch.setenv("WECHAT_API_BASE_ALLOW_HTTP", "1")
    ProductionConfig(**settings).validate()
    ProductionConfig(**{**PRODUCTION, "WECHAT_API_BASE": "https://wechat-proxy.example.gov.cn"}).validate()


def test_development_allows_the_sandbox_and_memory_limits():
    DevelopmentConfig(WECHAT_API_BASE="http://127.0.0.1:8001", RATELIMIT_STORAGE_URI="memory://").validate()


def test_make_run_says_development_whatever_the_shell_has(monkeypatch):
    import importlib.util

    from config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("run_dev", PROJECT_ROOT / "scripts" / "run_dev.py")
    run_dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_dev)
    monkeypatch.setenv("APP_ENV", "production")
    assert run_dev.demo_environment()["APP_ENV"] == "development"
    monkeypatch.delenv("APP_ENV")
    assert run_dev.demo_environment()["APP_ENV"] == "development"


def test_the_tests_say_testing():
    import os

    assert os.environ["APP_ENV"] == "testing"


def test_forwarded_requests_without_trusted_proxies_are_warned_about_once(build_app, caplog):
    app = build_app(TRUSTED_PROXY_COUNT=0)
    client = app.test_client()
    with caplog.at_level("WARNING", logger="wenming.security"):  # a path without a database query
        client.get("/api/mp/nothing-here")
        assert not caplog.records
        for _ in range(3):
            client.get("/api/mp/nothing-here", headers={"X-Forwarded-For": "203.0.113.7"})
    warnings = [r for r in caplog.records if "TRUSTED_PROXY_COUNT" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].name == "wenming.security"


def test_forwarded_requests_through_a_trusted_proxy_are_not_warned_about(build_app, caplog):
    app = build_app(TRUSTED_PROXY_COUNT=1)
    with caplog.at_level("WARNING", logger="wenming.security"):
        app.test_client().get("/api/mp/nothing-here", headers={"X-Forwarded-For": "203.0.113.7"})
    assert not [r for r in caplog.records if "TRUSTED_PROXY_COUNT" in r.getMessage()]
