"""Every console GET page for every role, enumerated from the app's URL map so a new page cannot be
forgotten; the security headers and the absence of inline script, event handlers and other origins on
every page; and the confirmation that every destructive form asks where console/static/console.js
reads it.

To add a page: one line in PAGES (or OPEN_PAGES), and if its rule has a new parameter, its value in
``world`` below. To add a POST action: classify its endpoint in CONFIRM or NO_CONFIRM.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PushTarget
from app.services import audit, checkins, outbox, roles, scheduling
from tests import factories
from tests.console_helpers import assert_console_headers, person, sign_in
from tests.wish_helpers import claimed_with_proof, image_bytes, make_wish

ROLES = ("admin", "liaison", "leader", "nobody", "anonymous")
LOGIN = 302  # sent to the login page
ORIGIN_HOST = "localhost"  # the test client's host: this server

# rule -> expected status for (admin, liaison of 办公室, leader). A person without a console role and an
# anonymous visitor are sent to the login page on every one of these. ``staff_id`` is a person of
# another department than the liaison's.
PAGES: dict[str, tuple[int, int, int]] = {
    "/console/": (200, 200, 200),
    "/console/audit": (200, 403, 200),
    "/console/events": (200, 200, 200),
    "/console/events/new": (200, 403, 403),
    "/console/events/<id:event_id>": (200, 200, 200),
    "/console/events/<id:event_id>/edit": (200, 403, 403),
    "/console/events/<id:event_id>/attendance": (200, 200, 200),
    "/console/events/<id:event_id>/attendance/live": (200, 200, 200),
    "/console/events/<id:event_id>/attendance.xlsx": (200, 200, 200),
    "/console/events/<id:event_id>/poster.png": (200, 200, 200),
    "/console/events/<id:event_id>/poster.pdf": (200, 200, 200),
    "/console/events/<id:event_id>/wxacode.png": (200, 403, 403),
    "/console/events/<id:event_id>/screen": (302, 403, 403),  # on to the venue screen's signed link
    "/console/people": (200, 200, 200),
    "/console/people/<id:staff_id>": (200, 403, 200),
    "/console/people/import": (200, 403, 403),
    "/console/people/import/template.csv": (200, 403, 403),
    "/console/wishes": (200, 403, 200),
    "/console/wishes/new": (200, 403, 403),
    "/console/wishes/<id:wish_id>": (200, 403, 200),
    "/console/wishes/<id:wish_id>/photos/<id:photo_id>": (200, 403, 200),
    "/console/notices": (200, 403, 200),
    "/console/push": (200, 403, 200),
    "/console/schedule": (200, 403, 200),
    "/console/schedule/festivals/<name>": (200, 403, 200),
    "/console/schedule/tips": (200, 403, 200),
}

# Pages outside ``auth.requires``: rule -> expected status for each of ROLES.
OPEN_PAGES: dict[str, tuple[int, int, int, int, int]] = {
    "/console": (302, 302, 302, 302, 302),  # on to the dashboard
    "/console/login": (302, 302, 302, 200, 200),  # signed in: on to the console
    "/console/login/wecom": (302, 302, 302, 302, 302),  # to the QR login
    "/console/login/wecom/callback": (302, 302, 302, 302, 302),  # no state: back to the login page
    "/console/static/<path:filename>": (200, 200, 200, 200, 200),
}

# Every console POST endpoint is classified: does its form ask for confirmation (and when)?
CONFIRM = {
    "console.notice_publish": lambda args, fields: True,  # goes out to the groups, no way back
    "console.event_publish": lambda args, fields: True,
    "console.event_cancel": lambda args, fields: True,
    "console.checkin_undo": lambda args, fields: True,
    "console.person_revoke": lambda args, fields: True,
    "console.person_unbind": lambda args, fields: True,
    "console.person_deactivate": lambda args, fields: True,
    "console.push_target_action": lambda args, fields: args["action"] == "disable",
    "console.push_requeue": lambda args, fields: "message_id" not in fields,  # every given-up message at once
    "console.schedule_calendar": lambda args, fields: True,
    "console.schedule_tip_toggle": lambda args, fields: args["action"] == "disable",
    "console.wish_action": lambda args, fields: args["action"] in ("confirm", "return", "revoke", "withdraw"),
}
NO_CONFIRM = {
    "console.login_password", "console.logout",
    "console.event_new", "console.event_edit", "console.event_manual_checkin", "console.checkin_hours",
    "console.person", "console.person_grant", "console.person_reactivate",
    "console.people_import",  # uploads for a preview; nothing is written
    "console.people_import_confirm",  # the preview is the confirmation
    "console.push_target_add", "console.notice_preview",
    "console.schedule_festival", "console.schedule_festival_preview", "console.schedule_tips",
    "console.wish_new",
}


@pytest.fixture
def config_overrides() -> dict[str, object]:
    # The public address the venue screen's links use is this server's own (the test client's host).
    return {"CHECKIN_URL_BASE": "http://localhost/qr/checkin"}


def console_rules(app, method: str) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/console") and method in rule.methods}


@pytest.fixture
def world(app):
    """People in every role, a published event with a sign-in and out, a draft event, wishes in the
    states that show every action, a push target, a given-up message, festivals and tips."""
    scheduling.install_defaults(db.session)
    cast = {
        "admin": person("admin", name="管理员", employee_no="R0001"),
        "liaison": person("liaison", name="联络员", employee_no="R0002", department="办公室"),
        "leader": person("leader", name="领导", employee_no="R0003", department="机关党委"),
        "nobody": person(None, name="同事", employee_no="R0004", department="办公室"),
        "other": person(None, name="外部门", employee_no="R0005", department="综合业务科"),
    }
    roles.grant_role(db.session, cast["other"], "liaison", audit.Actor.system())
    factories.make_bound_account(cast["other"])
    event = factories.make_event(title="志愿服务：社区清扫", kind="志愿服务", checkout_required=True)
    checkins.manual_check_in(db.session, event.id, cast["nobody"], "in", "测试", cast["admin"])
    checkins.manual_check_in(db.session, event.id, cast["nobody"], "out", "测试", cast["admin"])
    draft_event = factories.make_event(title="草稿活动", publish=False)
    wish = claimed_with_proof()
    draft_wish = make_wish(title="草稿心愿", publish=False, photos=[io.BytesIO(image_bytes())])
    db.session.add(PushTarget(name="一支部群", kind="robot", address="key-1"))
    outbox.enqueue(db.session, dedup_key="given-up", channel="robot", address="1", payload=outbox.text("你好"))
    db.session.commit()
    given_up = db.session.scalars(select(OutboxMessage)).one()
    given_up.status, given_up.last_error = "dead", "错误码 93000：invalid webhook url"
    db.session.commit()
    cast["arguments"] = {
        "event_id": event.id,
        "staff_id": cast["other"].id,
        "wish_id": wish.id,
        "photo_id": next(photo.id for photo in wish.photos if photo.proof_id is None),
        "name": "中秋",
        "filename": "console.js",
    }
    # Pages in other states, for the forms they show
    cast["more"] = [f"/console/events/{draft_event.id}", f"/console/wishes/{draft_wish.id}", f"/console/people/{cast['nobody'].id}",
                    "/console/static/vendor/bootstrap/bootstrap.min.css", "/console/static/vendor/htmx/htmx.min.js"]
    return cast


def path_of(rule: str, arguments: dict[str, object]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in arguments, f"{rule}: give <{name}> a value in world's arguments"
        return str(arguments[name])

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule)


def as_role(client, world, role: str) -> None:
    if role == "anonymous":
        with client.session_transaction() as session:
            session.clear()
    else:
        sign_in(client, world[role])


# ---- page x role -------------------------------------------------------------------------------------


def test_every_console_get_page_is_in_the_table(app):
    """A new console page fails here until its expected status per role is written in PAGES."""
    table = set(PAGES) | set(OPEN_PAGES)
    assert console_rules(app, "GET") - table == set(), "console GET pages missing from PAGES"
    assert table - console_rules(app, "GET") == set(), "PAGES lists rules the app no longer has"


@pytest.mark.parametrize("rule", sorted(PAGES) + sorted(OPEN_PAGES))
def test_each_role_gets_the_expected_status_on_each_page(client, world, rule):
    expected = OPEN_PAGES.get(rule) or (*PAGES[rule], LOGIN, LOGIN)
    path = path_of(rule, world["arguments"])
    for role, status in zip(ROLES, expected, strict=True):
        as_role(client, world, role)
        with client.get(path) as response:
            where = f"{role} GET {path}"
            assert response.status_code == status, (where, response.status_code)
            assert_console_headers(response, where)
            if status == 403:
                assert response.mimetype == "text/html" and "没有权限" in response.get_data(as_text=True), where
            if status == LOGIN and role in ("nobody", "anonymous") and rule in PAGES:
                assert urlsplit(response.headers["Location"]).path == "/console/login", where


# ---- security headers, no inline script, no other origin ----------------------------------------------------


class PageAudit(HTMLParser):
    """What in a page the console's CSP or its no-third-party rule would forbid, and its POST forms."""

    URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcset", "poster", "data", "hx-get", "hx-post", "hx-put", "hx-delete", "hx-patch")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.forms: list[dict] = []
        self.confirm_elsewhere: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in self.URL_ATTRIBUTES and re.match(r"\s*(?:[a-z][a-z0-9+.-]*:)?//", value, re.I) and urlsplit(value.strip()).hostname != ORIGIN_HOST:
                self.problems.append(f"{name}={value!r} on <{tag}> points to another origin")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")
        if tag == "script":
            if not values.get("src", "").startswith("/console/static/"):
                self.problems.append(f"<script> not from /console/static/: {values}")
            self._script = values
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "form" and values.get("method", "get").lower() == "post":
            self.forms.append({"action": values.get("action", ""), "confirm": values.get("data-confirm"), "fields": set(), "buttons": []})
        elif "data-confirm" in values and not (tag == "button" or (tag == "input" and values.get("type") == "submit")):
            self.confirm_elsewhere.append(tag)  # console.js reads it from the form or the submitting button only
        if self.forms and tag == "input" and values.get("type") == "hidden":
            self.forms[-1]["fields"].add(values.get("name"))
        if self.forms and (tag == "button" and values.get("type", "submit") == "submit" or tag == "input" and values.get("type") == "submit"):
            self.forms[-1]["buttons"].append(values.get("data-confirm"))

    def handle_data(self, data: str) -> None:
        if self._script is not None and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def audit_page(html: str) -> PageAudit:
    page = PageAudit()
    page.feed(html)
    page.close()
    return page


def test_page_audit_catches_what_it_looks_for():
    page = audit_page('<script>alert(1)</script><a href="https://cdn.example.com/x.js" onclick="x()">x</a>'
                      '<img src="//evil.example/p.png" style="color:red"><script src="/console/static/console.js"></script>'
                      '<div data-confirm="?"></div>')
    assert len(page.problems) == 6 and page.confirm_elsewhere == ["div"], page.problems
    clean = audit_page('<a href="/console/">首页</a><script src="/console/static/console.js" defer></script>')
    assert clean.problems == []


def walk(client, world) -> dict[str, object]:
    """Every console GET page (and the extra states) as the admin: path -> response."""
    sign_in(client, world["admin"])
    paths = [path_of(rule, world["arguments"]) for rule in sorted(PAGES) + sorted(OPEN_PAGES)] + world["more"]
    paths += ["/console/no-such-page", f"/console/events/{world['arguments']['event_id'] + 1000}"]
    responses = {}
    for path in paths:
        response = client.get(path)
        response.close()
        responses[path] = response
    return responses


def test_every_console_answer_sends_the_security_headers_and_no_page_has_inline_script(client, world, sandbox):
    responses = walk(client, world)
    pages = 0
    for path, response in responses.items():
        assert_console_headers(response, path)
        if response.status_code in (301, 302, 303, 307, 308):
            # Redirects stay on this server, except the hand-over to WeCom's sign-in (the sandbox here).
            target = urlsplit(response.headers["Location"])
            allowed = {None, ORIGIN_HOST} | ({urlsplit(sandbox.url).hostname} if path == "/console/login/wecom" else set())
            assert target.hostname in allowed, (path, response.headers["Location"])
            continue
        if response.mimetype != "text/html":
            assert response.mimetype in ("image/png", "image/jpeg", "application/pdf", "text/csv", "text/css", "text/javascript",
                                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (path, response.mimetype)
            continue
        html = response.get_data(as_text=True)
        page = audit_page(html)
        assert page.problems == [], (path, page.problems)
        text = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", html)  # an SVG namespace name is not a link
        for url in re.findall(r"https?://[^\s\"'<>]+", text):  # not even as text to click
            assert urlsplit(url).hostname == ORIGIN_HOST, (path, url)
        pages += 1
    assert pages >= 20  # the walk really read the HTML pages


def test_htmx_fragments_send_the_security_headers_and_no_script(client, world):
    sign_in(client, world["admin"])
    event_id = world["arguments"]["event_id"]
    fragment = client.get(f"/console/events/{event_id}/attendance/live", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert_console_headers(fragment, "live fragment")
    assert audit_page(fragment.get_data(as_text=True)).problems == []


# ---- confirmation of destructive actions ---------------------------------------------------------------------


def test_every_console_post_action_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/console") and "POST" in rule.methods}
    assert endpoints - set(CONFIRM) - NO_CONFIRM == set(), "classify new console POST actions in CONFIRM or NO_CONFIRM"
    assert set(CONFIRM) & NO_CONFIRM == set()


def test_notice_publish_form_carries_the_confirmation_where_console_js_reads_it(client, world):
    sign_in(client, world["admin"])
    page = audit_page(client.get("/console/notices").get_data(as_text=True))
    publish = [form for form in page.forms if form["action"] == "/console/notices"]
    assert len(publish) == 1 and publish[0]["confirm"], publish  # on the <form>: console.js reads form.getAttribute
    with client.get("/console/static/console.js") as response:
        script = response.get_data(as_text=True)
    assert 'form.getAttribute("data-confirm")' in script and "event.submitter" in script


def test_every_destructive_form_asks_for_confirmation(client, world, app):
    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    for path, response in walk(client, world).items():
        if response.mimetype != "text/html":
            continue
        page = audit_page(response.get_data(as_text=True))
        assert page.confirm_elsewhere == [], (path, page.confirm_elsewhere)
        for form in page.forms:
            endpoint, args = adapter.match(form["action"] or path, method="POST")
            assert endpoint in CONFIRM or endpoint in NO_CONFIRM, (path, endpoint)
            asks = form["confirm"] or any(form["buttons"])
            if endpoint in CONFIRM and CONFIRM[endpoint](args, form["fields"]):
                assert asks, f"{path}: the form posting to {form['action']} does not ask for confirmation"
                seen.add(f"{endpoint}:{args.get('action', '')}")
    # the walk showed every destructive action at least once
    assert seen >= {
        "console.notice_publish:", "console.event_publish:", "console.event_cancel:", "console.checkin_undo:",
        "console.person_revoke:", "console.person_unbind:", "console.person_deactivate:",
        "console.push_target_action:disable", "console.push_requeue:", "console.schedule_calendar:",
        "console.schedule_tip_toggle:disable", "console.wish_action:confirm", "console.wish_action:return",
        "console.wish_action:revoke", "console.wish_action:withdraw",
    }, seen
