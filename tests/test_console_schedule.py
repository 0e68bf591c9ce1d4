"""日程 in the console: jobs and the scheduler's state, festival settings with a preview, working days."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CalendarOverride, FestivalSetting
from app.services import scheduling
from tests.console_helpers import csrf_token, person, sign_in


@pytest.fixture
def cast(app):
    scheduling.install_defaults(db.session)
    return {"admin": person("admin"), "leader": person("leader"), "liaison": person("liaison")}


@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("leader", 200), ("liaison", 403)])
def test_schedule_pages_for_each_role(client, cast, role, expected):
    sign_in(client, cast[role])
    assert client.get("/console/schedule").status_code == expected
    assert client.get("/console/schedule/festivals/中秋").status_code == expected


def test_schedule_lists_jobs_and_says_no_scheduler_runs(client, cast):
    sign_in(client, cast["admin"])
    page = client.get("/console/schedule").get_data(as_text=True)
    assert "文明提示" in page and "每周简报" in page and "未运行" in page and "中秋" in page


def test_admin_edits_a_festival_notice_with_a_preview(client, cast):
    sign_in(client, cast["admin"])
    path = "/console/schedule/festivals/中秋"
    token = csrf_token(client, path)
    preview = client.post(f"{path}/preview", data={"lead_days": "3", "template": "{节日}{倒计时}，{日期}（星期{星期}）"}, headers={"X-CSRFToken": token})
    assert "中秋还有3天" in preview.get_data(as_text=True)
    wrong = client.post(f"{path}/preview", data={"lead_days": "3", "template": "{节目}"}, headers={"X-CSRFToken": token})
    assert "未知的占位符" in wrong.get_data(as_text=True)
    saved = client.post(path, data={"csrf_token": token, "enabled": "y", "lead_days": "5，1", "template": "{节日}将至，{倒计时}"})
    assert saved.status_code == 302
    db.session.expire_all()
    setting = db.session.get(FestivalSetting, "中秋")
    assert setting.lead_days == [5, 1] and setting.template == "{节日}将至，{倒计时}" and not setting.create_draft_event
    bad = client.post(path, data={"csrf_token": token, "enabled": "y", "lead_days": "五", "template": "x"})
    assert bad.status_code == 400 and "提前天数应为逗号分隔的整数" in bad.get_data(as_text=True)
    sign_in(client, cast["leader"])
    token = csrf_token(client, path)
    assert client.post(path, data={"csrf_token": token, "lead_days": "1", "template": "x"}).status_code == 403


def test_admin_sets_and_clears_working_day_overrides(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/schedule")
    response = client.post("/console/schedule/calendar", data={"csrf_token": token, "first": "2027-10-01", "last": "2027-10-07", "kind": "holiday", "note": "国庆"})
    assert response.status_code == 302
    assert len(db.session.scalars(select(CalendarOverride)).all()) == 7
    assert "国庆" in client.get("/console/schedule?year=2027").get_data(as_text=True)
    backwards = client.post("/console/schedule/calendar", data={"csrf_token": token, "first": "2027-10-07", "last": "2027-10-01", "kind": "clear"}, follow_redirects=True)
    assert "早于开始日期" in backwards.get_data(as_text=True)
    client.post("/console/schedule/calendar", data={"csrf_token": token, "first": "2027-10-01", "last": "2027-10-07", "kind": "clear"})
    assert db.session.scalars(select(CalendarOverride)).all() == []
    assert db.session.get(CalendarOverride, date(2027, 10, 1)) is None


def test_admin_adds_edits_and_disables_civility_tips(client, cast):
    from app.models import CivilityTip

    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/schedule/tips")
    total = len(db.session.scalars(select(CivilityTip)).all())
    added = client.post("/console/schedule/tips", data={"csrf_token": token, "theme": "文明出行", "content": "过马路走斑马线，不闯红灯。"})
    assert added.status_code == 302
    tip = db.session.scalars(select(CivilityTip).where(CivilityTip.theme == "文明出行")).one()
    duplicate = client.post("/console/schedule/tips", data={"csrf_token": token, "theme": "文明出行", "content": "过马路走斑马线，不闯红灯。"})
    assert duplicate.status_code == 400 and "已有相同内容" in duplicate.get_data(as_text=True)
    empty = client.post("/console/schedule/tips", data={"csrf_token": token, "theme": "", "content": ""})
    assert empty.status_code == 400 and "请填写主题" in empty.get_data(as_text=True)
    client.post("/console/schedule/tips", data={"csrf_token": token, "tip_id": str(tip.id), "theme": "文明出行", "content": "礼让行人，文明驾驶。"})
    client.post(f"/console/schedule/tips/{tip.id}/disable", data={"csrf_token": token})
    db.session.expire_all()
    tip = db.session.get(CivilityTip, tip.id)
    assert tip.content == "礼让行人，文明驾驶。" and tip.enabled is False
    assert len(db.session.scalars(select(CivilityTip)).all()) == total + 1
    sign_in(client, cast["leader"])
    assert client.get("/console/schedule/tips").status_code == 200
    token = csrf_token(client, "/console/schedule/tips")
    assert client.post("/console/schedule/tips", data={"csrf_token": token, "theme": "x", "content": "y"}).status_code == 403
