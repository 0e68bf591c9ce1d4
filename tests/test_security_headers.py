"""Security headers on every HTML page (venue screen, /qr/checkin, HTML error pages) and nosniff on
every answer; the pages carry no inline script or style, so the policy can forbid them."""

from __future__ import annotations

import re
import time

import pytest

from app.security_headers import CONTENT_SECURITY_POLICY
from tests import factories


def screen_page(event) -> str:
    expires = int(time.time()) + 3600
    return f"/screens/events/{event.id}/live?direction=in&expires={expires}"


def html_pages(event) -> dict[str, tuple[str, int]]:
    return {
        "venue screen": (screen_page(event), 200),
        "code scanned outside WeChat": ("/qr/checkin?t=p.1.i.AAAAAAAAAAAAAAAA", 200),
        "screen error page": (f"/screens/events/{event.id}/live?direction=sideways&expires=1", 403),
        "old screen link": (screen_page(event) + "&sig=abc", 403),
    }


def assert_html_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("page", ["venue screen", "code scanned outside WeChat", "screen error page", "old screen link"])
def test_every_html_page_gets_the_security_headers(client, page):
    event = factories.make_event()
    path, status = html_pages(event)[page]
    response = client.get(path)
    assert response.status_code == status and response.mimetype == "text/html"
    assert_html_security_headers(response)


@pytest.mark.parametrize("page", ["venue screen", "code scanned outside WeChat", "screen error page"])
def test_screen_pages_send_no_referrer(client, page):
    event = factories.make_event()
    path, _status = html_pages(event)[page]
    assert client.get(path).headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("page", ["venue screen", "code scanned outside WeChat", "screen error page", "old screen link"])
def test_html_pages_have_no_inline_script_or_style(client, page):
    event = factories.make_event()
    html = client.get(html_pages(event)[page][0]).get_data(as_text=True)
    assert "<style" not in html and not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert script.strip() == ""  # every script is a src= file
    for script_tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in script_tag


def test_json_answers_and_static_files_get_nosniff(client):
    event = factories.make_event()
    for response in (
        client.get("/healthz"),
        client.get("/api/mp/me"),  # 401, JSON
        client.get("/no/such/page"),  # 404, JSON
        client.get(f"/screens/events/{event.id}/live/code?direction=in&expires=1", headers={"X-Screen-Signature": "x"}),
    ):
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers
    script = client.get("/screens/static/live.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    script.close()


def test_an_unexpected_error_answer_still_gets_nosniff(app, client):
    @app.get("/_test/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/_test/boom")
    assert response.status_code == 500 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_view_can_set_its_own_policy(app, client):
    @app.get("/_test/own-policy")
    def own_policy():
        return "<p>x</p>", 200, {"Content-Type": "text/html", "Content-Security-Policy": "default-src 'none'"}

    response = client.get("/_test/own-policy")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert CONTENT_SECURITY_POLICY.endswith("frame-ancestors 'none'")


def test_oversized_header_gets_a_json_431(client):
    response = client.get("/api/mp/me", headers={"Authorization": "Bearer " + "a" * 10_240})
    assert response.status_code == 431 and response.get_json()["error"]["code"] == "header_too_large"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Under the limits: a wrong token of ordinary size is a 401, and any other header may be up to 8 KB.
    ordinary = client.get("/api/mp/me", headers={"Authorization": "Bearer " + "a" * 900, "X-Note": "n" * 8_000})
    assert ordinary.status_code == 401
    long_authorization = client.get("/api/mp/me", headers={"Authorization": "Bearer " + "a" * 4_000})
    assert long_authorization.status_code == 431  # no bearer token of ours is longer than 1 KB
