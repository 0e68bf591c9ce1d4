"""Bot: 评选 lists selections with their phase; 承诺 lists pledges with the sender's own signatures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.services import audit, pledges
from tests import factories
from tests.bot_helpers import FAST_OUTBOX
from tests.selection_helpers import make_selection
from tests.test_bot_campaign import ask_text


@pytest.fixture
def config_overrides():
    return dict(FAST_OUTBOX)


@pytest.fixture
def member(app):
    return factories.make_staff(name="王芳", employee_no="A0002", department="办公室", wecom_userid="wangfang")


def test_member_asking_selections_gets_each_with_its_phase(app, client, sandbox, member):
    make_selection("voting", title="节俭文明人评选")
    make_selection("nominating", kind="works", title="随手拍摄影比赛")
    make_selection("nominating", title="未发布的评选", publish=False)
    reply = ask_text(app, client, sandbox, "wangfang", "评选")
    assert "节俭文明人评选（评选先进）\n   阶段：投票" in reply
    assert "随手拍摄影比赛（作品征集）\n   阶段：报名/推荐" in reply
    assert "未发布的评选" not in reply


def test_selections_with_none_running_says_so(app, client, sandbox, member):
    assert ask_text(app, client, sandbox, "wangfang", "/selections") == "目前没有进行中的评选。"


def test_member_asking_pledges_sees_what_they_signed_and_what_is_open(app, client, sandbox, member):
    now = utcnow()
    signed = pledges.create_pledge(db.session, title="诚信承诺书", body="诚实守信", work_item=18,
                                   opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=6), actor=audit.Actor.system())
    open_one = pledges.create_pledge(db.session, title="文明餐桌倡议", body="光盘行动", work_item=8,
                                     opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=6), actor=audit.Actor.system())
    for pledge in (signed, open_one):
        pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
    pledges.sign_pledge(db.session, signed.id, member)
    reply = ask_text(app, client, sandbox, "wangfang", "承诺")
    assert "诚信承诺书：已签署" in reply and "文明餐桌倡议：未签署" in reply
