"""``make run`` (scripts/run_dev.py): every address the service makes follows the ports it listens on."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from app import create_app
from app.services.checkin_codes import code_url, printed_token
from config import DevelopmentConfig

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "run_dev.py"


def run_dev():
    spec = importlib.util.spec_from_file_location("run_dev", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_on_other_ports_signs_links_and_calls_wechat_on_those_ports(monkeypatch, app):
    for name in ("CHECKIN_URL_BASE", "WECHAT_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUN_PORT", "8123")
    monkeypatch.setenv("SANDBOX_PORT", "8124")
    env = run_dev().demo_environment()
    addresses = [value for value in env.values() if re.match(r"https?://127\.0\.0\.1:\d+", value)]
    assert sorted(addresses) == ["http://127.0.0.1:8123/qr/checkin", "http://127.0.0.1:8124"]

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = DevelopmentConfig(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    assert config.CHECKIN_URL_BASE.startswith("http://127.0.0.1:8123/")
    assert config.WECHAT_API_BASE == "http://127.0.0.1:8124"
    with create_app(config).app_context():
        assert code_url(printed_token(7, "in")).startswith("http://127.0.0.1:8123/qr/checkin?t=")


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_make_run_with_a_port_that_is_not_one_stops_in_chinese(monkeypatch, value):
    monkeypatch.setenv("RUN_PORT", value)
    with pytest.raises(SystemExit) as stopped:
        run_dev().demo_environment()
    assert str(stopped.value) == f"错误：RUN_PORT 应为 1 到 65535 之间的端口号，现在是“{value}”"
