"""Civility tips: one per working day to the groups, rotating through the library without repeats."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from app import calendar_cn
from app.civility_tips import THEMES, TIPS
from app.extensions import db
from app.models import AuditLog, CivilityTip, OutboxMessage, TipOfDay
from app.services import tips
from tests.scheduler_helpers import local, make_robots, outbox_keys

PLAN_THEMES = {
    "节约水电纸", "光盘行动", "文明餐桌", "禁烟", "文明礼仪", "诚实守信",
    "停车有序", "网络文明", "垃圾分类", "生态环保", "志愿服务", "好家风",
}


def test_library_has_at_least_sixty_distinct_tips_across_every_plan_theme():
    assert len(TIPS) >= 60
    assert len({content for _, content in TIPS}) == len(TIPS)
    assert set(THEMES) == PLAN_THEMES
    assert all(sum(theme == t for t, _ in TIPS) >= 4 for theme in PLAN_THEMES)
    assert all(10 <= len(content) <= 120 for _, content in TIPS)


@pytest.fixture
def library(app):
    assert tips.seed_tips(db.session) == len(TIPS)
    return make_robots(2)


def test_seeding_twice_adds_nothing(library):
    assert tips.seed_tips(db.session) == 0
    assert len(db.session.scalars(select(CivilityTip)).all()) == len(TIPS)


def test_working_day_tip_goes_to_every_group_once(library):
    friday = date(2026, 11, 27)
    assert tips.push_daily_tip(db.session, local(friday, 8, 30)) == "tip:2026-11-27"
    assert tips.push_daily_tip(db.session, local(friday, 8, 31)) is None  # fired twice: nothing more
    assert outbox_keys() == [f"tip:2026-11-27:robot:{robot.id}" for robot in library]
    message = db.session.scalars(select(OutboxMessage)).first()
    tip = tips.todays_tip(db.session, friday)
    assert message.payload["text"]["content"] == f"【文明提示·{tip.theme}】{tip.content}"


@pytest.mark.parametrize(
    "day",
    [date(2026, 11, 28), date(2026, 11, 29), date(2026, 10, 1), date(2026, 10, 5), date(2026, 2, 17)],
    ids=["saturday", "sunday", "national-day", "national-day-week", "spring-festival"],
)
def test_no_tip_on_weekends_and_public_holidays(library, day):
    assert tips.push_daily_tip(db.session, local(day, 8, 30)) is None
    assert outbox_keys() == []


def test_make_up_working_sunday_gets_a_tip(library):
    # 2026-01-04 is a Sunday worked in exchange for the New Year holiday.
    assert date(2026, 1, 4).weekday() == 6
    assert tips.push_daily_tip(db.session, local(date(2026, 1, 4), 8, 30)) == "tip:2026-01-04"


def test_bot_gets_the_last_working_days_tip_at_the_weekend(library):
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    tips.push_daily_tip(db.session, local(friday, 8, 30))
    assert tips.todays_tip(db.session, saturday).id == tips.todays_tip(db.session, friday).id
    assert db.session.get(TipOfDay, saturday) is None


def test_bot_asking_before_the_push_sees_the_tip_that_is_then_pushed(library):
    monday = date(2026, 11, 30)
    shown = tips.todays_tip(db.session, monday)
    tips.push_daily_tip(db.session, local(monday, 8, 30))
    content = db.session.scalars(select(OutboxMessage)).first().payload["text"]["content"]
    assert content.endswith(shown.content)


def test_tips_rotate_without_repeats_until_all_are_used(library):
    working_days = []
    day = date(2026, 1, 1)
    while day.year == 2026:
        if tips.push_daily_tip(db.session, local(day, 8, 30)):
            working_days.append(day)
        day += timedelta(days=1)
    assert len(working_days) == 248  # 2026's working days under the State Council's arrangement
    chosen = [db.session.get(TipOfDay, day) for day in working_days]
    first_cycle = [row.tip_id for row in chosen[: len(TIPS)]]
    assert len(set(first_cycle)) == len(TIPS)
    assert {row.cycle for row in chosen[: len(TIPS)]} == {1}
    assert chosen[len(TIPS)].cycle == 2 and chosen[len(TIPS)].tip_id != chosen[len(TIPS) - 1].tip_id
    second_cycle = [row.tip_id for row in chosen[len(TIPS): 2 * len(TIPS)]]
    assert len(set(second_cycle)) == len(TIPS) and second_cycle != first_cycle
    # The order mixes themes rather than walking the library theme by theme.
    first_themes = [db.session.get(CivilityTip, tip_id).theme for tip_id in first_cycle[:12]]
    assert len(set(first_themes)) >= 6
    assert len(outbox_keys()) == 2 * 248


def test_disabled_tips_are_not_chosen_and_an_empty_library_sends_nothing(library, caplog):
    db.session.execute(update(CivilityTip).values(enabled=False))
    db.session.commit()
    caplog.set_level(logging.WARNING)
    assert tips.push_daily_tip(db.session, local(date(2026, 11, 27), 8, 30)) is None
    assert "tip library is empty" in caplog.text
    assert tips.todays_tip(db.session, date(2026, 11, 27)) is None
    assert outbox_keys() == []


def test_year_without_holiday_data_falls_back_to_weekdays_and_says_so(caplog, monkeypatch):
    monkeypatch.setattr(calendar_cn, "_years_without_data", set())
    caplog.set_level(logging.WARNING)
    # chinese-calendar 1.11 knows holidays up to 2026; 2027-10-01 (Friday) is really a holiday.
    assert calendar_cn.is_working_day(date(2027, 10, 1)) is True
    assert calendar_cn.is_working_day(date(2027, 10, 2)) is False
    assert caplog.text.count("no holiday data for 2027") == 1  # once, not on every call


def test_tips_cli_shows_today_and_the_library(runner, library):
    today = runner.invoke(args=["tips", "today", "--date", "2026-11-27"])
    assert today.exit_code == 0, today.output
    assert today.output.startswith("【文明提示·")
    # Looking stores nothing; pinning decides the day's tip (issue 11 item 11).
    assert "第 1 轮已推送 0 条。" in runner.invoke(args=["tips", "list"]).output
    assert runner.invoke(args=["tips", "pin", "2026-11-27"]).exit_code == 0
    listed = runner.invoke(args=["tips", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"共 {len(TIPS)} 条；第 1 轮已推送 1 条。" in listed.output
    assert listed.output.splitlines()[0].startswith("节约水电纸")
    bad = runner.invoke(args=["tips", "today", "--date", "2026-13-01"])
    assert bad.exit_code == 2


def test_operator_looking_up_a_days_tip_changes_nothing_and_pinning_decides_it(runner, library):
    looked = runner.invoke(args=["tips", "today", "--date", "2026-12-03"])
    assert looked.exit_code == 0, looked.output
    assert "尚未确定" in looked.output
    assert db.session.scalar(select(func.count()).select_from(TipOfDay)) == 0
    assert runner.invoke(args=["tips", "today", "--date", "2026-12-03"]).output == looked.output

    other = db.session.scalars(select(CivilityTip).order_by(CivilityTip.id.desc())).first()
    pinned = runner.invoke(args=["tips", "pin", "2026-12-03", "--tip", str(other.id)])
    assert pinned.exit_code == 0, pinned.output
    assert tips.todays_tip(db.session, date(2026, 12, 3)).id == other.id
    shown = runner.invoke(args=["tips", "today", "--date", "2026-12-03"]).output
    assert shown == tips.tip_message(other) + "\n"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "tip.pin")).entity_id == str(other.id)


def test_a_tip_already_pushed_cannot_be_pinned_again(runner, library):
    friday = date(2026, 11, 27)
    tips.push_daily_tip(db.session, local(friday, 8, 30))
    refused = runner.invoke(args=["tips", "pin", "2026-11-27"])
    assert (refused.exit_code, refused.output) == (1, "错误：2026-11-27 的文明提示已推送，不能更改\n")
