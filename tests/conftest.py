"""Fixtures compose: database -> app -> client/runner -> helpers (log in, bind, as admin).

The database is SQLite (a temporary file) unless ``TEST_DATABASE_URL`` (or ``DATABASE_URL``) names
another; ``.ci/run`` runs the suite again on PostgreSQL that way. The schema is built once per run by
the real Alembic migrations; each test starts from empty tables. The WeChat side is the project's
sandbox over real HTTP on loopback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import TestingConfig, normalise_database_url
from sandbox import SandboxSettings
from sandbox.server import SandboxServer
from tests import factories

# Said explicitly: unset, APP_ENV means production (and processes the tests start inherit it).
os.environ["APP_ENV"] = "testing"

WECHAT_APPID = "wx-test-appid"
WECHAT_SECRET = "wx-test-secret"
WECOM_CORP_ID = "ww-test-corp"
WECOM_SECRET = "ww-test-secret"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    url = normalise_database_url(url)
    name = make_url(url).database or ""
    if url.startswith("postgresql") and "test" not in name:
        raise pytest.UsageError(f"refusing to wipe database {name!r}: the test database's name must contain 'test'")
    return url


def _reset_schema(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    settings = SandboxSettings(
        wechat_appid=WECHAT_APPID,
        wechat_secret=WECHAT_SECRET,
        wecom_corp_id=WECOM_CORP_ID,
        wecom_secret=WECOM_SECRET,
    )
    with SandboxServer(settings) as server:
        yield server


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    return url


def make_config(database_url: str, sandbox: SandboxServer, tmp_path: Path, **overrides: object) -> TestingConfig:
    settings: dict[str, object] = dict(
        SECRET_KEY="test-secret-key",
        DATABASE_URL=database_url,
        WECHAT_APPID=WECHAT_APPID,
        WECHAT_SECRET=WECHAT_SECRET,
        WECOM_CORP_ID=WECOM_CORP_ID,
        WECOM_SECRET=WECOM_SECRET,
        WECOM_AGENT_ID=1000002,
        WECHAT_API_BASE=sandbox.url,
        REDIS_URL="",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    settings.update(overrides)
    return TestingConfig(**settings)


@pytest.fixture(scope="session")
def _migrated(database_url: str, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    from flask_migrate import upgrade

    app = create_app(make_config(database_url, sandbox, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _empty_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def config_overrides() -> dict[str, object]:
    """Override in a test module (or with ``pytest.mark.parametrize``) to change settings."""
    return {}


@pytest.fixture
def app(_migrated, database_url, sandbox, tmp_path, config_overrides):
    app = create_app(make_config(database_url, sandbox, tmp_path, **config_overrides))
    with app.app_context():
        _empty_tables()
        yield app
        db.session.rollback()
        _empty_tables()
        db.engine.dispose()
    sandbox.state.reset()


@pytest.fixture
def build_app(database_url, sandbox, tmp_path):
    """``build_app(**settings)``: another app with different settings, beside the main one."""

    def build(**overrides: object):
        return create_app(make_config(database_url, sandbox, tmp_path, **overrides))

    return build


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def staff(app):
    """One person on the roster, not yet bound."""
    return factories.make_staff(name="李明", employee_no="T1001")


@pytest.fixture
def login(client):
    """``login(openid)`` logs in through the sandbox and returns request headers with the bearer token."""

    def do_login(openid: str = "openid-1") -> dict[str, str]:
        response = client.post("/api/mp/login", json={"code": f"test:{openid}"})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return do_login


@pytest.fixture
def bound_headers(client, login, staff):
    """Headers of a logged-in account bound to ``staff``."""
    headers = login("openid-bound")
    response = client.post("/api/mp/bind", json={"name": staff.name, "employee_no": staff.employee_no}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return headers
