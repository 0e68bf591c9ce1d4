"""The venue screen: a signed link, a rotating code, JSON errors from its API, and a real browser."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.extensions import db
from app.models.base import utcnow
from app.services import checkin_codes, events, venue_screen
from app.services.audit import Actor
from tests import factories
from tests.events_helpers import error_code, nonce, scan

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# 68 characters, as on the trial's projector.
LONG_TITLE = "道德讲堂：弘扬中华优秀传统文化，争做新时代文明职工——暨2026年度全市机关企事业单位职业道德、社会公德与家庭美德专题报告会（第四期上）"
LONGEST_TITLE = (LONG_TITLE + "——学习贯彻新时代公民道德建设实施纲要暨文明单位创建工作推进会议")[:100]  # the column's limit


def screen_path(event, direction: str = "in", expires: int | None = None, sig: str | None = None) -> str:
    """A screen link as an admin gets it (without scheme and host): the signature in the fragment."""
    expires = expires or int(time.time()) + 3600
    sig = sig or checkin_codes.screen_signature(event.id, direction, expires)
    return f"/screens/events/{event.id}/live?direction={direction}&expires={expires}#sig={sig}"


def code_path(page_path: str) -> str:
    return page_path.split("#", 1)[0].replace("/live?", "/live/code?", 1)


def get_code(client, link: str):
    """What the page's script does: the code address, with the fragment's signature in a header."""
    fragment = link.split("#", 1)[1] if "#" in link else ""
    signature = fragment[len("sig="):] if fragment.startswith("sig=") else ""
    return client.get(code_path(link), headers={"X-Screen-Signature": signature} if signature else {})


def test_live_code_endpoint_gives_a_code_that_signs_in(client):
    event = factories.make_event()
    response = get_code(client, screen_path(event))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["svg"].startswith("<svg") or "<svg" in body["svg"][:200]
    assert 0 < body["refresh_in"] <= 30
    assert body["event"]["title"] == event.title and body["event"]["kind"] == event.kind
    headers = factories.make_bound_account(factories.make_staff())
    answer = scan(client, headers, body["qr"])
    assert answer.status_code == 201


SIGNATURE_MANGLES = [
    lambda p: p.replace("sig=", "sig=x"),
    lambda p: p.split("#sig=")[0],
    lambda p: p + "%E4%B8%AD",
]
QUERY_MANGLES = [
    lambda p: p.replace("direction=in", "direction=out"),
    lambda p: p.replace("expires=", "expires=9"),
]
MALFORMED_QUERY_MANGLES = [
    lambda p: p.replace("direction=in", "direction=%E4%B8%AD"),
    lambda p: re.sub(r"expires=\d+", "expires=%C2%B2", p),  # "²": isdigit() yet not a number
    lambda p: re.sub(r"expires=\d+", "expires=%EF%BC%91", p),  # full-width "１"
    lambda p: re.sub(r"expires=\d+", "expires=", p),
    lambda p: re.sub(r"expires=\d+", "expires=" + "9" * 13, p),
]


@pytest.mark.parametrize("mangle", SIGNATURE_MANGLES + QUERY_MANGLES + MALFORMED_QUERY_MANGLES)
def test_tampered_screen_link_gets_403_json_from_the_api(client, mangle):
    event = factories.make_event()
    api = get_code(client, mangle(screen_path(event)))
    assert api.status_code == 403 and error_code(api) == "invalid_screen_link"


@pytest.mark.parametrize("mangle", MALFORMED_QUERY_MANGLES)
def test_malformed_screen_link_gets_a_chinese_403_page(client, mangle):
    event = factories.make_event()
    page = client.get(mangle(screen_path(event)).split("#")[0])
    assert page.status_code == 403 and page.mimetype == "text/html" and "无法显示签到码" in page.get_data(as_text=True)


@pytest.mark.parametrize("mangle", SIGNATURE_MANGLES + QUERY_MANGLES)
def test_screen_page_without_a_valid_signature_names_no_event(client, mangle):
    """The page cannot see the fragment; it shows nothing about the event until the script's signed
    request answers (the browser test shows the refusal on screen)."""
    event = factories.make_event(location="机关三楼多功能厅")
    page = client.get(mangle(screen_path(event)).split("#")[0])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and event.title not in text and "机关三楼多功能厅" not in text


def test_old_link_with_the_signature_in_the_query_is_refused_in_chinese(client):
    event = factories.make_event()
    expires = int(time.time()) + 3600
    old = f"/screens/events/{event.id}/live?direction=in&expires={expires}&sig={checkin_codes.screen_signature(event.id, 'in', expires)}"
    page = client.get(old)
    assert page.status_code == 403 and "重新生成大屏链接" in page.get_data(as_text=True)
    api = client.get(old.replace("/live?", "/live/code?"))
    assert api.status_code == 403 and "重新生成大屏链接" in api.get_json()["error"]["message"]


def test_expired_screen_link_and_cancelled_event_answer_json(client):
    event = factories.make_event()
    expired = get_code(client, screen_path(event, expires=int(time.time()) - 5))
    assert expired.status_code == 403 and error_code(expired) == "screen_link_expired"
    events.cancel_event(db.session, event.id, Actor.system(), "暂停")
    cancelled = get_code(client, screen_path(event))
    assert cancelled.status_code == 409 and error_code(cancelled) == "event_cancelled"
    missing = client.get("/screens/events/99999/live/code?direction=in&expires=1", headers={"X-Screen-Signature": "x"})
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
    url = live_url(base, event)

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("() => document.getElementById('code').dataset.qr !== ''", timeout=10_000)
            assert "道德讲堂：诚信做人" in page.text_content("h1")
            first = page.get_attribute("#code", "data-qr")
            assert page.locator("#code svg").count() == 1
            page.wait_for_function("first => document.getElementById('code').dataset.qr !== first", arg=first, timeout=10_000)
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
    shown = get_code(client, screen_path(event)).get_json()["event"]["span"]
    assert shown == f"{format_local(starts)}–{format_local(event.ends_at, '%Y-%m-%d %H:%M')}"


def test_screen_before_the_window_says_when_sign_in_opens(client):
    starts = utcnow() + timedelta(hours=3)
    event = factories.make_event(starts_at=starts)
    body = get_code(client, screen_path(event)).get_json()
    assert body["state"] == "waiting" and "qr" not in body and "svg" not in body
    assert body["message"] == venue_screen.opening_text(event.checkin_opens_at, utcnow())
    assert body["message"].startswith("签到将于") and body["message"].endswith("开始")
    assert 0 < body["refresh_in"] <= venue_screen.WAITING_POLL_SECONDS
    assert 2.5 * 3600 - 5 <= body["opens_in"] <= 2.5 * 3600


def test_opening_text_names_the_day_when_it_is_not_today():
    from datetime import UTC, datetime

    opens = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # 14:00 in Beijing, a Thursday
    assert venue_screen.opening_text(opens, datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == "签到将于 12月03日（周四）14:00 开始"
    assert venue_screen.opening_text(opens, datetime(2026, 12, 3, 1, 0, tzinfo=UTC)) == "签到将于今天 14:00 开始"
    assert venue_screen.opening_text(opens, datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "签退") == "签退将于今天 14:00 开始"


def test_sign_out_screen_before_the_event_starts_says_when_sign_out_opens(client):
    event = factories.make_event(starts_at=utcnow() + timedelta(hours=3), checkout_required=True)
    body = get_code(client, screen_path(event, direction="out")).get_json()
    assert body["state"] == "waiting" and body["message"] == venue_screen.opening_text(event.starts_at, utcnow(), "签退")


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
    )


def save_screenshot(page, name: str) -> None:
    """A screenshot a reviewer can open, reduced to a 64-colour palette so the repository stays small."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


def boxes_outside(page, selectors: list[str], width: int, height: int) -> dict[str, dict]:
    """The elements (of ``selectors``) whose box is missing or not entirely inside the viewport."""
    outside = {}
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        if box is None or box["x"] < 0 or box["y"] < 0 or box["x"] + box["width"] > width + 0.5 or box["y"] + box["height"] > height + 0.5:
            outside[selector] = box
    return outside


def live_url(base: str, event, direction: str = "in") -> str:
    path = urlsplit(checkin_codes.screen_link_for(event, direction)[0])  # the same SECRET_KEY signs for both apps
    return f"{base}{path.path}?{path.query}" + (f"#{path.fragment}" if path.fragment else "")


@pytest.mark.slow
@pytest.mark.parametrize(
    "width, height, title",
    [(1024, 768, LONG_TITLE), (1280, 720, LONG_TITLE), (1024, 768, LONGEST_TITLE)],
    ids=["68-chars-1024x768", "68-chars-1280x720", "100-chars-1024x768"],
)
def test_screen_with_a_long_title_keeps_code_instruction_and_countdown_in_view(live_server, width, height, title):
    _app, base = live_server
    assert len(LONG_TITLE) == 68 and len(LONGEST_TITLE) == 100
    event = factories.make_event(title=title, location="机关办公大楼三楼多功能报告厅")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(live_url(base, event))
            page.wait_for_function("() => document.getElementById('code').dataset.qr !== ''", timeout=10_000)
            page.wait_for_function("() => /秒后更新/.test(document.getElementById('status').textContent)", timeout=5_000)
            parts = ["header .kind", "h1", "header .meta", "#code", "#code svg", "#hint", "#status"]
            assert boxes_outside(page, parts, width, height) == {}
            # The whole title is shown (not cut), and the code stays big enough to scan from the room.
            assert page.text_content("h1") == title
            assert "clamped" not in (page.get_attribute("h1", "class") or "")
            header = page.locator("header").bounding_box()
            for part in ("h1", "header .meta"):  # not cut off by the header's own limit either
                box = page.locator(part).bounding_box()
                assert header["y"] <= box["y"] and box["y"] + box["height"] <= header["y"] + header["height"] + 0.5, part
            assert page.locator("#code svg").bounding_box()["height"] >= 0.4 * height
            save_screenshot(page, f"venue-screen-{len(title)}-character-title-{width}x{height}.png")
        finally:
            browser.close()


@pytest.mark.slow
def test_screen_before_the_window_shows_when_sign_in_opens_in_the_browser(live_server):
    _app, base = live_server
    event = factories.make_event(title=LONG_TITLE, starts_at=utcnow() + timedelta(hours=3))
    expected = venue_screen.opening_text(event.checkin_opens_at, utcnow())
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(live_url(base, event))
            page.wait_for_function("() => /距签到开始还有 2 小时 29 分/.test(document.getElementById('status').textContent)", timeout=10_000)
            assert page.text_content("#notice") == expected
            assert page.locator("#code").is_hidden()
            assert boxes_outside(page, ["h1", "#notice", "#hint", "#status"], 1024, 768) == {}
            save_screenshot(page, "venue-screen-before-sign-in-opens-1024x768.png")
        finally:
            browser.close()


@pytest.mark.slow
def test_screen_signature_stays_out_of_the_server_log_and_the_address_bar(live_server, caplog):
    _app, base = live_server
    event = factories.make_event(title="道德讲堂：诚信做人")
    url = live_url(base, event)
    signature = url.split("#sig=", 1)[1]
    caplog.set_level(logging.INFO, logger="werkzeug")  # the development server's access log
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            console = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(url)
            page.wait_for_function("() => document.getElementById('code').dataset.qr !== ''", timeout=10_000)
            assert "Content-Security-Policy" in page.evaluate("fetch(location.href).then(r => [...r.headers.keys()].join(' ')).then(k => k.replace('content-security-policy', 'Content-Security-Policy'))")
            assert not [text for text in console if "Content Security Policy" in text]  # the policy blocks nothing the page uses
            assert "sig=" not in page.url and page.url.startswith(url.split("#")[0])
            page.reload()  # a reload (F5 on the projector) keeps working: the tab kept the signature
            page.wait_for_function("() => document.getElementById('code').dataset.qr !== ''", timeout=10_000)
            assert page.text_content("h1") == "道德讲堂：诚信做人"
        finally:
            browser.close()
    logged = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("/live/code?" in line for line in logged)  # the polls were logged ...
    assert not any(signature in line for line in logged)  # ... without the secret


@pytest.mark.slow
def test_screen_with_a_tampered_signature_says_so_in_chinese(live_server):
    _app, base = live_server
    event = factories.make_event(title="道德讲堂：诚信做人")
    url = live_url(base, event).replace("#sig=", "#sig=x")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("() => /大屏链接无效/.test(document.getElementById('notice').textContent)", timeout=10_000)
            assert "诚信做人" not in page.content()
        finally:
            browser.close()
