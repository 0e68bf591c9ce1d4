"""The venue screen: a signed link, a rotating code, JSON errors from its API, and a real browser."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.extensions import db
from app.services import checkin_codes, events
from app.services.audit import Actor
from tests import factories
from tests.events_helpers import error_code, nonce, scan

CHROMIUM = "/usr/bin/chromium"


def screen_path(event, direction: str = "in", expires: int | None = None, sig: str | None = None) -> str:
    expires = expires or int(time.time()) + 3600
    sig = sig or checkin_codes.screen_signature(event.id, direction, expires)
    return f"/screens/events/{event.id}/live?direction={direction}&expires={expires}&sig={sig}"


def code_path(page_path: str) -> str:
    return page_path.replace("/live?", "/live/code?", 1)


def test_live_code_endpoint_gives_a_code_that_signs_in(client):
    event = factories.make_event()
    response = client.get(code_path(screen_path(event)))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["svg"].startswith("<svg") or "<svg" in body["svg"][:200]
    assert 0 < body["refresh_in"] <= 30
    headers = factories.make_bound_account(factories.make_staff())
    answer = scan(client, headers, body["qr"])
    assert answer.status_code == 201


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p.replace("sig=", "sig=x"),
        lambda p: p.replace("direction=in", "direction=out"),
        lambda p: p.replace("expires=", "expires=9"),
        lambda p: p.split("&sig=")[0],
        lambda p: p.replace("direction=in", "direction=%E4%B8%AD"),
        lambda p: p + "%E4%B8%AD",
        lambda p: re.sub(r"expires=\d+", "expires=%C2%B2", p),  # "²": isdigit() yet not a number
        lambda p: re.sub(r"expires=\d+", "expires=%EF%BC%91", p),  # full-width "１"
        lambda p: re.sub(r"expires=\d+", "expires=", p),
        lambda p: re.sub(r"expires=\d+", "expires=" + "9" * 13, p),
    ],
)
def test_tampered_screen_link_gets_403_json_from_the_api_and_a_chinese_page(client, mangle):
    event = factories.make_event()
    path = mangle(screen_path(event))
    api = client.get(code_path(path))
    assert api.status_code == 403 and error_code(api) == "invalid_screen_link"
    page = client.get(path)
    assert page.status_code == 403 and page.mimetype == "text/html" and "无法显示签到码" in page.get_data(as_text=True)


def test_expired_screen_link_and_cancelled_event_answer_json(client):
    event = factories.make_event()
    expired = client.get(code_path(screen_path(event, expires=int(time.time()) - 5)))
    assert expired.status_code == 403 and error_code(expired) == "screen_link_expired"
    events.cancel_event(db.session, event.id, Actor.system(), "暂停")
    cancelled = client.get(code_path(screen_path(event)))
    assert cancelled.status_code == 409 and error_code(cancelled) == "event_cancelled"
    missing = client.get("/screens/events/99999/live/code?direction=in&expires=1&sig=x")
    assert missing.status_code == 403 and error_code(missing) == "invalid_screen_link"


def test_scanning_the_code_outside_wechat_shows_how_to_sign_in(client):
    response = client.get("/qr/checkin?t=p.1.i.AAAAAAAAAAAAAAAA")
    assert response.status_code == 200 and "微信" in response.get_data(as_text=True)


@pytest.fixture
def live_server(app, build_app):
    """The app with a 2-second code period, served over real HTTP on a free loopback port."""
    served = build_app(LIVE_CODE_PERIOD_SECONDS=2)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    server.daemon_threads = False  # server_close() then waits for requests in flight, and their connections
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()


@pytest.mark.slow
def test_browser_shows_the_code_changing_and_the_old_code_is_refused_after_it_expires(live_server):
    app, base = live_server
    event = factories.make_event(title="道德讲堂：诚信做人")
    headers = factories.make_bound_account(factories.make_staff())
    path = urlsplit(checkin_codes.screen_link_for(event, "in")[0])  # the same SECRET_KEY signs for both apps
    url = f"{base}{path.path}?{path.query}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page()
            page.goto(url)
            assert "道德讲堂：诚信做人" in page.text_content("h1")
            page.wait_for_function("document.getElementById('code').dataset.qr !== ''", timeout=10_000)
            first = page.get_attribute("#code", "data-qr")
            assert page.locator("#code svg").count() == 1
            page.wait_for_function(f"document.getElementById('code').dataset.qr !== {first!r}", timeout=10_000)
            second = page.get_attribute("#code", "data-qr")
            assert second != first and second.startswith(app.config["CHECKIN_URL_BASE"])
            # The first code is accepted for its own period and the next; after that it is refused.
            time.sleep(2 * app.config["LIVE_CODE_PERIOD_SECONDS"] + 0.5)
            stale = requests.post(f"{base}/api/mp/checkins", json={"qr": first, "nonce": nonce()}, headers=headers, timeout=10)
            assert stale.status_code == 410 and stale.json()["error"]["code"] == "code_expired"
            current = page.get_attribute("#code", "data-qr")
            fresh = requests.post(f"{base}/api/mp/checkins", json={"qr": current, "nonce": nonce()}, headers=headers, timeout=10)
            assert fresh.status_code == 201, fresh.json()
        finally:
            browser.close()


def test_screen_of_a_two_day_event_shows_the_end_date(client):
    from datetime import timedelta

    from app.models.base import utcnow
    from app.timeutil import format_local

    starts = utcnow() + timedelta(minutes=10)
    event = factories.make_event(kind="志愿服务", starts_at=starts, ends_at=starts + timedelta(days=1, hours=2))
    page = client.get(screen_path(event)).get_data(as_text=True)
    assert f"{format_local(starts)}–{format_local(event.ends_at, '%Y-%m-%d %H:%M')}" in page
