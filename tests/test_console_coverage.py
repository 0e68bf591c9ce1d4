"""Every console GET page for every role, enumerated from the app's URL map so a new page cannot be
forgotten; the security headers and the absence of inline script, event handlers and other origins on
every page; and the confirmation that every destructive form asks where console/static/console.js
reads it.

To add a page: one line in PAGES (or OPEN_PAGES; and in SECTION_PAGES if the 检查组 or a judge may open
it), and if its rule has a new parameter, its value in ``world`` below. To add a POST action: classify
its endpoint in CONFIRM or NO_CONFIRM.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from datetime import date, timedelta

from app.extensions import db
from app.models import InspectionPhoto, OutboxMessage, PushTarget, Staff
from app.models.base import utcnow
from app.models.org import ROLE_INSPECTOR
from app.services import audit, checkins, outbox, pledges, roles, scheduling, selections, voting
from app.services.inspections import rectifications, rounds, surveys
from app.services.ledger import builds, plan, records
from app.timeutil import local_today
from tests import factories
from tests.console_helpers import assert_console_headers, person, sign_in
from tests.inspection_helpers import lock, make_round, score_all
from tests.ledger_helpers import add_document, held_event, image_png, init_plan, pdf_bytes, sign_in_people
from tests.selection_helpers import make_selection, move_to, nominate_people
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
    # 台账: a liaison reads their department's items only (<number> is another's); the pack is the admin's.
    "/console/ledger": (200, 200, 200),
    "/console/ledger/<int:year>/items/<int:number>": (200, 403, 200),
    "/console/ledger/<int:year>/items/<int:number>/documents/<id:document_id>": (200, 403, 200),
    "/console/ledger/<int:year>/export": (302, 403, 403),  # without htmx: back to the plan page
    "/console/ledger/<int:year>/export.zip": (200, 403, 403),
    "/console/events/<id:event_id>/ledger-photos/<id:document_id>": (200, 200, 200),  # an activity's photo, as its page
    # 评选 and 承诺: only appointed judges score (the admin is not one here)
    "/console/selections": (200, 200, 200),
    "/console/selections/new": (200, 403, 403),
    "/console/selections/<id:selection_id>": (200, 200, 200),
    "/console/selections/<id:selection_id>/edit": (200, 403, 403),
    "/console/selections/<id:selection_id>/entries/<id:entry_id>": (200, 200, 200),
    "/console/selections/<id:selection_id>/photos/<id:photo_id>": (200, 200, 200),
    "/console/selections/<id:selection_id>/votes": (200, 403, 403),
    "/console/selections/<id:selection_id>/results": (200, 200, 200),  # published results
    "/console/selections/<id:selection_id>/results.xlsx": (200, 200, 200),
    "/console/selections/<id:selection_id>/scores": (403, 403, 403),
    "/console/selections/<id:selection_id>/scores/photos/<id:photo_id>": (403, 403, 403),
    "/console/judging": (200, 200, 200),
    "/console/pledges": (200, 200, 200),
    "/console/pledges/new": (200, 403, 403),
    "/console/pledges/<id:pledge_id>": (200, 200, 200),
    "/console/pledges/<id:pledge_id>/signatures.xlsx": (200, 403, 200),
    # 检查 and 整改: a liaison sees only their department's rectifications (the photo is another's)
    "/console/inspections": (200, 403, 200),
    "/console/inspections/new": (200, 403, 403),
    "/console/inspections/<id:round_id>": (200, 403, 200),
    "/console/inspections/<id:round_id>/checks": (200, 403, 200),
    "/console/inspections/<id:round_id>/survey": (200, 403, 200),
    "/console/inspections/<id:round_id>/report.<any(docx, pdf):fmt>": (200, 403, 200),
    "/console/inspections/photos/<id:photo_id>": (200, 403, 200),
    "/console/surveys/<id:survey_id>/results.pdf": (200, 403, 200),
    "/console/rectifications": (200, 200, 200),
}

# The roles outside the table's columns on the sections that concern them: (检查组, a judge without a
# console role, appointed to <selection_id>). Every other page answers them 403 (the console's landing
# page sends each on to their section).
SECTION_ROLES = ("inspector", "judge")
SECTION_PAGES: dict[str, tuple[int, int]] = {
    "/console/": (302, 302),
    "/console/ledger": (200, 403),  # 材料审核: the 检查组 reads the whole 台账
    "/console/ledger/<int:year>/items/<int:number>": (200, 403),
    "/console/ledger/<int:year>/items/<int:number>/documents/<id:document_id>": (200, 403),
    "/console/ledger/<int:year>/export": (403, 403),
    "/console/ledger/<int:year>/export.zip": (403, 403),
    "/console/events/<id:event_id>/ledger-photos/<id:document_id>": (403, 403),  # as the event page
    "/console/selections/<id:selection_id>/scores": (403, 200),
    "/console/selections/<id:selection_id>/scores/photos/<id:photo_id>": (403, 200),
    "/console/judging": (200, 200),  # an inspector may be appointed a judge too
    "/console/inspections": (200, 403),
    "/console/inspections/new": (200, 403),
    "/console/inspections/<id:round_id>": (200, 403),
    "/console/inspections/<id:round_id>/checks": (200, 403),
    "/console/inspections/<id:round_id>/survey": (200, 403),
    "/console/inspections/<id:round_id>/report.<any(docx, pdf):fmt>": (200, 403),
    "/console/inspections/photos/<id:photo_id>": (200, 403),
    "/console/surveys/<id:survey_id>/results.pdf": (200, 403),
    "/console/rectifications": (200, 403),
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
    "console.ledger_document_delete": lambda args, fields: True,
    "console.event_record_lock": lambda args, fields: True,  # the record and every reflection frozen
    "console.selection_publish": lambda args, fields: True,  # announced to the groups
    "console.selection_cancel": lambda args, fields: True,
    "console.selection_review": lambda args, fields: args["verdict"] == "reject",  # the author is told
    "console.selection_publish_results": lambda args, fields: True,  # ranking frozen, 公示 sent
    "console.pledge_publish": lambda args, fields: True,
    "console.pledge_withdraw": lambda args, fields: True,
    "console.pledge_remind": lambda args, fields: True,  # a message to everyone who has not signed
    "console.inspection_submit": lambda args, fields: True,  # the scorer cannot change it after
    "console.inspection_state": lambda args, fields: args["action"] == "lock",
    "console.inspection_publish": lambda args, fields: True,  # once per round, pushed to the groups
    "console.inspection_checklist": lambda args, fields: True,  # removed points take their results along
    "console.inspection_correct": lambda args, fields: True,  # a correction of a locked score, audited
    "console.survey_close": lambda args, fields: True,
    "console.rectification_accept": lambda args, fields: True,  # closes it for good
    "console.rectification_return": lambda args, fields: True,  # the responsible person starts again
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
    "console.ledger_init", "console.ledger_item_edit", "console.ledger_document_upload",
    "console.ledger_export_start",  # a new pack replaces the previous one only once it is ready
    "console.event_ledger_items", "console.event_record", "console.event_reflections_pick", "console.event_ledger_photo",
    "console.selection_new", "console.selection_edit", "console.selection_judges", "console.selection_nominate",
    "console.selection_score", "console.pledge_new",
    "console.inspection_new", "console.inspection_score", "console.inspection_details", "console.inspection_template",
    "console.inspection_rectification_add", "console.inspection_check_record", "console.inspection_survey_create",
    "console.survey_questions", "console.rectification_evidence",
}


@pytest.fixture
def config_overrides() -> dict[str, object]:
    # The public address the venue screen's links use is this server's own (the test client's host).
    return {"CHECKIN_URL_BASE": "http://localhost/qr/checkin"}


def console_rules(app, method: str) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/console") and method in rule.methods}


@pytest.fixture
def world(app):
    """People in every role (and a 检查组 member, an appointed judge), a published event with a sign-in
    and out, a draft event, wishes in the states that show every action, a push target, a given-up
    message, festivals and tips; a 台账 plan with a document, a 道德讲堂 with its record and photo;
    selections (open with an approved and a waiting work, draft, results published), pledges (published,
    draft); inspection rounds (draft with a survey, submitted, locked) and rectifications."""
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
    cast["inspector"] = person(ROLE_INSPECTOR, name="检查员", employee_no="R0006", department="创建办")
    cast["judge"] = person(None, name="评委", employee_no="R0007", department="机关党委")  # appointed, no console role

    # 台账: item 6 is the liaison's department's, item 10 another's (with a document); a 道德讲堂 with
    # sign-ins, a record, a reflection and an activity photo.
    year = local_today().year - 1
    init_plan(year)
    plan.update_item(db.session, year, 6, audit.Actor.system(), departments=["办公室"])
    plan.update_item(db.session, year, 10, audit.Actor.system(), departments=["综合业务科"])
    document = add_document(year, 10, "方案", pdf_bytes(), "学雷锋活动方案.pdf", dated=date(year, 2, 1))
    lecture = held_event("道德讲堂", date(year, 3, 5), title="道德讲堂：孝老爱亲")
    sign_in_people(lecture, [cast["nobody"]])
    records.save_record(db.session, lecture.id, audit.Actor.system(), host="主持人", speaker="宣讲人",
                        segments=[{"name": "唱歌曲", "content": "《公民道德歌》"}])
    records.write_reflection(db.session, lecture.id, db.session.get(Staff, cast["nobody"].id), "openid-r4", "孝老爱亲，从我做起。")
    photo = add_document(year, 6, "照片", image_png(), "讲堂现场.png", event_id=lecture.id)

    # 评选: a works selection with an approved work (a photo) and an appointed judge; 承诺: a published pledge.
    selection = make_selection("nominating", title="书法比赛", kind="works", work_item=13)
    voting.appoint_judges(db.session, selection.id, [cast["judge"]], audit.Actor.system())
    entry = selections.submit_work(db.session, selection.id, db.session.get(Staff, cast["other"].id), "openid-r5",
                                   "兰亭序临本", "行书", [io.BytesIO(image_bytes())])
    selections.review_entry(db.session, selection.id, entry.id, True, None, audit.Actor.system())
    pending = selections.submit_work(db.session, selection.id, db.session.get(Staff, cast["nobody"].id), "openid-r4",
                                     "行书条幅", "行书", [io.BytesIO(image_bytes())])  # waiting for review
    draft_selection = make_selection("nominating", publish=False, title="草稿评选")
    decided = make_selection("nominating", title="最美家庭评选")  # voted, counted and its results published
    decided_entries = nominate_people(decided.id, cast["admin"], [cast["nobody"]])
    move_to(decided.id, "voting")
    voting.cast_vote(db.session, decided.id, decided_entries[0], db.session.get(Staff, cast["leader"].id))
    move_to(decided.id, "counting")
    voting.publish_results(db.session, decided.id, audit.Actor.system())
    pledge = pledges.create_pledge(db.session, title="诚信承诺书", body="本人承诺：诚实守信，依法办事。", work_item=18,
                                   opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + timedelta(days=7),
                                   actor=audit.Actor.system())
    pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
    draft_pledge = pledges.create_pledge(db.session, title="草稿承诺书", body="本人承诺：爱岗敬业。", work_item=18,
                                         opens_at=utcnow() + timedelta(days=1), closes_at=utcnow() + timedelta(days=7),
                                         actor=audit.Actor.system())

    # 检查: a round of the same year with a survey; a rectification of another department than the
    # liaison's reported done with a photo, and a pending one of the liaison's own.
    found = make_round(year=year, starts_on=date(year, 11, 20), ends_on=date(year, 11, 30))
    survey = surveys.create_survey(db.session, found.id, audit.Actor.system())
    done = rectifications.add_rectification(db.session, found.id, requirement="整理办公室物品摆放",
                                            responsible_employee_no=cast["other"].employee_no,
                                            deadline=local_today() + timedelta(days=10), actor=audit.Actor.system(), number=14)
    rectifications.submit_rectification(db.session, done.id, db.session.get(Staff, cast["other"].id), "已整改",
                                        [io.BytesIO(image_bytes())])
    submitted = make_round(year=year, title="第二轮检查", starts_on=date(year, 6, 1), ends_on=date(year, 6, 10))
    score_all(submitted.id)
    rounds.submit_round(db.session, submitted.id, audit.Actor.system())
    locked = lock(make_round(year=year, title="第一轮检查", starts_on=date(year, 3, 1), ends_on=date(year, 3, 10)))
    rectifications.add_rectification(db.session, found.id, requirement="补齐道德讲堂记录",
                                      responsible_employee_no=cast["nobody"].employee_no,
                                      deadline=local_today() + timedelta(days=10), actor=audit.Actor.system(), number=6)

    cast["arguments"] = {
        "event_id": event.id,
        "staff_id": cast["other"].id,
        "wish_id": wish.id,
        "photo_id": next(photo.id for photo in wish.photos if photo.proof_id is None),
        "name": "中秋",
        "filename": "console.js",
        "year": year,
        "number": 10,  # not the liaison's department's item
        "document_id": document.id,
        "selection_id": selection.id,
        "entry_id": entry.id,
        "pledge_id": pledge.id,
        "round_id": found.id,
        "survey_id": survey.id,
        "fmt": "docx",
        # where a parameter's name means another object on one rule
        "/console/events/<id:event_id>/ledger-photos/<id:document_id>": {"event_id": lecture.id, "document_id": photo.id},
        "/console/selections/<id:selection_id>/photos/<id:photo_id>": {"photo_id": entry.photos[0].id},
        "/console/selections/<id:selection_id>/scores/photos/<id:photo_id>": {"photo_id": entry.photos[0].id},
        "/console/selections/<id:selection_id>/results": {"selection_id": decided.id},
        "/console/selections/<id:selection_id>/results.xlsx": {"selection_id": decided.id},
        "/console/inspections/photos/<id:photo_id>": {
            "photo_id": db.session.scalar(select(InspectionPhoto.id).where(InspectionPhoto.rectification_id == done.id))},
    }
    # What a rule needs that is too slow to make for every test: made only where the rule is visited.
    cast["prepare"] = {"/console/ledger/<int:year>/export.zip": lambda: build_pack(year)}
    # Pages in other states, for the forms they show
    cast["more"] = [f"/console/events/{draft_event.id}", f"/console/wishes/{draft_wish.id}", f"/console/people/{cast['nobody'].id}",
                    "/console/static/vendor/bootstrap/bootstrap.min.css", "/console/static/vendor/htmx/htmx.min.js",
                    f"/console/events/{lecture.id}", f"/console/ledger/{year}/items/6", f"/console/ledger?year={year}",
                    f"/console/ledger?year={year + 2}", f"/console/selections/{draft_selection.id}",
                    f"/console/selections/{selection.id}/results", f"/console/pledges/{draft_pledge.id}",
                    f"/console/inspections/{found.id}/report.pdf", f"/console/inspections/{submitted.id}",
                    f"/console/inspections/{locked.id}", f"/console/selections/{selection.id}/entries/{pending.id}"]
    return cast


def build_pack(year: int) -> None:
    """The year's 台账 pack, built in its background thread as the console does, waited for."""
    build = builds.start_build(db.session, year, "管理员", audit.Actor.system())
    builds.launch(build.id)
    builds.wait_for_builds()


def path_of(rule: str, arguments: dict[str, object]) -> str:
    """The rule's path with world's arguments (a rule's own entry there overrides the shared ones)."""
    values = {**arguments, **arguments.get(rule, {})}

    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in values, f"{rule}: give <{name}> a value in world's arguments"
        return str(values[name])

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", value, rule)


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


def get_as_each(client, world, rule: str, roles: tuple[str, ...], expected: tuple[int, ...]) -> dict[str, str]:
    """GET the rule's page as each role: its expected status, the headers, a Chinese 403. Returns where
    each redirected role was sent (path)."""
    world["prepare"].get(rule, lambda: None)()
    path = path_of(rule, world["arguments"])
    sent_to = {}
    for role, status in zip(roles, expected, strict=True):
        as_role(client, world, role)
        with client.get(path) as response:
            where = f"{role} GET {path}"
            assert response.status_code == status, (where, response.status_code)
            assert_console_headers(response, where)
            if status == 403:
                assert response.mimetype == "text/html" and "没有权限" in response.get_data(as_text=True), where
            if "Location" in response.headers:
                sent_to[role] = urlsplit(response.headers["Location"]).path
    return sent_to


@pytest.mark.parametrize("rule", sorted(PAGES) + sorted(OPEN_PAGES))
def test_each_role_gets_the_expected_status_on_each_page(client, world, rule):
    sent_to = get_as_each(client, world, rule, ROLES, OPEN_PAGES.get(rule) or (*PAGES[rule], LOGIN, LOGIN))
    if rule in PAGES:
        assert sent_to["nobody"] == sent_to["anonymous"] == "/console/login", sent_to


@pytest.mark.parametrize("rule", sorted(PAGES))
def test_the_inspector_and_a_judge_get_the_expected_status_on_each_page(client, world, rule):
    sent_to = get_as_each(client, world, rule, SECTION_ROLES, SECTION_PAGES.get(rule, (403, 403)))
    if rule == "/console/":
        assert sent_to == {"inspector": "/console/inspections", "judge": "/console/judging"}


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
    for prepare in world["prepare"].values():
        prepare()
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
                                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                         "application/zip"), (path, response.mimetype)
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
    world["prepare"]["/console/ledger/<int:year>/export.zip"]()
    pack = client.get(f"/console/ledger/{world['arguments']['year']}/export", headers={"HX-Request": "true"})
    assert pack.status_code == 200 and "下载台账" in pack.get_data(as_text=True) and "<html" not in pack.get_data(as_text=True)
    assert_console_headers(pack, "pack fragment")
    assert audit_page(pack.get_data(as_text=True)).problems == []


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
        "console.ledger_document_delete:", "console.event_record_lock:", "console.selection_publish:",
        "console.selection_cancel:", "console.selection_review:", "console.selection_publish_results:",
        "console.pledge_publish:", "console.pledge_withdraw:", "console.pledge_remind:", "console.inspection_submit:",
        "console.inspection_state:lock", "console.inspection_publish:", "console.inspection_checklist:",
        "console.inspection_correct:", "console.survey_close:", "console.rectification_accept:",
        "console.rectification_return:",
    }, seen
