"""The mini-program against the real backend: node runs the mini-program's own request module and pages
(miniprogram/test/contract/journey.js, with a ``wx`` shim over HTTP) against this app served on a free
loopback port and the WeChat sandbox (including one vote in a 评选, a signed 承诺书, a 感悟 and a survey answered once). Data is made with the project's own services. A backend change that
breaks the mini-program fails here, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from app.extensions import db
from app.models import Checkin, EventRegistration, PledgeSignature, Reflection, SurveyRespondent, Vote, WishPhoto
from app.models.base import utcnow
from app.services import audit, pledges, tips
from app.services.inspections import surveys
from config import PROJECT_ROOT
from tests import factories
from tests.events_helpers import printed_qr
from tests.inspection_helpers import make_round
from tests.ledger_helpers import held_event, sign_in_people
from tests.selection_helpers import make_selection, move_to, nominate_people, person
from tests.wish_helpers import fetch_wish, image_bytes, make_wish

JOURNEY = PROJECT_ROOT / "miniprogram" / "test" / "contract" / "journey.js"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """This test's app over real HTTP on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="contract-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def run_journey(environment: dict[str, str]) -> dict:
    node = shutil.which("node")
    assert node, "node 20 is needed for the mini-program tests (make test installs it)"
    completed = subprocess.run(
        [node, str(JOURNEY)],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_staff_member_walks_every_journey_from_the_miniprogram(app, live_server, tmp_path):
    staff = factories.make_staff(name="李明", employee_no="T1001")
    event = factories.make_event(kind="志愿服务", title="社区清洁", registration_required=True, capacity=10)
    wish = make_wish(title="一个新书包", beneficiary_name="王小明")
    tips.seed_tips(db.session)
    admin, _ = person("管理员", admin=True)
    selection = make_selection("nominating")
    [entry_id] = nominate_people(selection.id, admin, [factories.make_staff(name="候选人", department="财务科")])
    move_to(selection.id, "voting")
    now = utcnow()
    pledge = pledges.create_pledge(db.session, actor=audit.Actor.system(), title="诚信承诺书", body="本人承诺：诚实守信。",
                                   work_item=18, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7))
    pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
    lecture = held_event("道德讲堂", date(2026, 11, 20), title="道德讲堂：孝老爱亲")
    sign_in_people(lecture, [staff])
    inspection = make_round()
    survey = surveys.create_survey(db.session, inspection.id, audit.Actor.system())
    photo = tmp_path / "proof.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(640, 480)))

    report = run_journey(
        {
            "MP_BASE_URL": live_server,
            "MP_OPENID": "contract-openid",
            "MP_NAME": staff.name,
            "MP_EMPLOYEE_NO": staff.employee_no,
            "MP_EVENT_ID": str(event.id),
            "MP_WISH_ID": str(wish.id),
            "MP_QR": printed_qr(event.id),
            "MP_PHOTO": str(photo),
            "MP_SELECTION_ID": str(selection.id),
            "MP_ENTRY_ID": str(entry_id),
            "MP_PLEDGE_ID": str(pledge.id),
            "MP_LECTURE_ID": str(lecture.id),
            "MP_SURVEY_ID": str(survey.id),
        }
    )

    assert report["staff"] == "李明"
    assert report["home"]["tip"] is True
    assert event.id in report["home"]["upcoming"]
    assert report["registered_count"] == 1
    assert (report["first_scan"], report["second_scan"]) == ("checked_in", "already_checked_in")
    assert report["logins"] == 2  # the first login, and one re-login after the token was spoiled
    assert report["beneficiary_before_claim"] == "王**"
    assert report["beneficiary_after_claim"] == "王小明"
    assert report["wish_status"] == "fulfilled"
    assert report["my_checkins"] == [[event.id, "in"], [lecture.id, "in"]]
    assert report["my_wishes"] == [[wish.id, "fulfilled"]]
    assert report["selection_phase"] == "投票"
    assert report["vote"] == {"before": 3, "after": 2, "voted": [entry_id], "counts_shown": False}
    assert report["pledge_signed_by"] == "李明"
    assert report["can_reflect"] is True
    assert report["reflection_before"] is None
    assert report["reflection"] == {"same": True, "content": "听了模范的故事，要孝敬父母。", "count": 14}
    assert report["survey"] == {"listed": "待填写", "answered": True, "reopened": True, "second": "survey_already_answered"}
    assert report["errors_shown"] == []

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Checkin).where(Checkin.event_id == event.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(EventRegistration).where(EventRegistration.event_id == event.id)) == 1
    assert fetch_wish(wish.id).status == "fulfilled"
    assert db.session.scalar(select(func.count()).select_from(WishPhoto).where(WishPhoto.wish_id == wish.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Vote).where(Vote.selection_id == selection.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Reflection).where(Reflection.event_id == lecture.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(PledgeSignature).where(PledgeSignature.pledge_id == pledge.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(SurveyRespondent).where(SurveyRespondent.survey_id == survey.id)) == 1
