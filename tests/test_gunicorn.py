"""gunicorn's access log never holds a secret: signatures, tokens and credentials are masked."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


@pytest.fixture(scope="module")
def conf() -> dict:
    return runpy.run_path(str(GUNICORN_CONF))


@pytest.mark.parametrize(
    "url, masked",
    [
        ("/screens/events/1/live/code?direction=in&expires=17&sig=S3cr3tSig", "/screens/events/1/live/code?direction=in&expires=17&sig=***"),
        ("/qr/checkin?t=p.1.i.AAAAAAAAAAAAAAAA", "/qr/checkin?t=***"),
        ("/wecom/callback?msg_signature=abc&timestamp=1&nonce=2&echostr=xyz", "/wecom/callback?msg_signature=***&timestamp=1&nonce=2&echostr=***"),
        ("/console/login?code=ONE-TIME&state=s", "/console/login?code=***&state=s"),
        ("/api/mp/events?status=open&limit=10", "/api/mp/events?status=open&limit=10"),
        ("/x?TOKEN=a&sig=b", "/x?TOKEN=***&sig=***"),
    ],
)
def test_secret_query_values_are_masked(conf, url, masked):
    assert conf["mask_secrets"](url) == masked


def test_logger_masks_request_line_query_referer_and_credential_headers(conf):
    logger_class = conf["logger_class"]
    logger = logger_class.__new__(logger_class)  # atoms() needs no configuration
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/qr/checkin?t=secret-token", "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/qr/checkin", "QUERY_STRING": "t=secret-token", "HTTP_REFERER": "https://x/live?sig=old-sig",
        "HTTP_AUTHORIZATION": "Bearer secret-bearer",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer secret-bearer"), ("X-SCREEN-SIGNATURE", "secret-sig")])
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    assert atoms["r"] == "GET /qr/checkin?t=*** HTTP/1.1" and atoms["q"] == "t=***"
    assert atoms["f"] == "https://x/live?sig=***"
    assert atoms["{authorization}i"] == atoms["{x-screen-signature}i"] == atoms["{http_authorization}e"] == "***"
    assert "secret" not in repr(atoms)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_server(database_url, tmp_path_factory):
    """The app under gunicorn with the project's config file; yields its base URL and access-log path."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "access.log"
    env = {
        **os.environ, "APP_ENV": "testing", "SECRET_KEY": "layouts-access-log-test-key-0123456789",
        "DATABASE_URL": database_url, "REDIS_URL": "", "WEB_CONCURRENCY": "1",
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}",
        "--access-logfile", str(log), "app:create_app()",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=60)  # the worker may still be loading the app
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
                time.sleep(0.3)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def logged_lines(log: Path, last_path: str) -> str:
    """The access log once the request for ``last_path`` is in it (gunicorn writes lines as they finish,
    so a count of lines taken before can include a line still to come)."""
    deadline = time.monotonic() + 10
    while last_path not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return log.read_text()


@pytest.mark.slow
def test_gunicorn_access_log_masks_secrets_in_real_requests(gunicorn_server):
    base, log = gunicorn_server
    requests.get(f"{base}/qr/checkin?t=p.1.i.SECRETTOKEN00001", timeout=10)
    requests.get(f"{base}/screens/events/1/live/code?direction=in&expires=1&sig=SECRETSIGNATURE1", timeout=10)
    lines = logged_lines(log, "/screens/events/1/live/code?")
    assert "GET /qr/checkin?t=*** HTTP/1.1" in lines and "live/code?direction=in&expires=1&sig=***" in lines
    assert "SECRET" not in lines


@pytest.mark.slow
def test_oversized_authorization_header_gets_the_json_error_under_gunicorn(gunicorn_server):
    base, _log = gunicorn_server
    response = requests.get(f"{base}/api/mp/me", headers={"Authorization": "Bearer " + "a" * 10_240}, timeout=10)
    assert response.status_code == 431 and response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "header_too_large" and "请求头" in response.json()["error"]["message"]
