"""Operators' working-day overrides over chinese-calendar: the tip and festival jobs follow them, and
the ``calendar`` commands set, list and clear them with Chinese messages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, CalendarOverride
from app.services import audit, festivals, tips, working_days
from tests.scheduler_helpers import local, make_robots, outbox_keys

# chinese-calendar 1.11 has no 2027 arrangement: it falls back to Monday to Friday for that year.
MONDAY_IN_SPRING_FESTIVAL = date(2027, 2, 8)
MAKE_UP_SUNDAY = date(2027, 2, 14)


@pytest.fixture
def robots(app):
    tips.seed_tips(db.session)
    return make_robots(1)


def test_a_holiday_override_stops_the_tip_and_a_workday_override_sends_it(robots):
    working_days.set_days(db.session, date(2027, 2, 6), date(2027, 2, 12), False, "2027 年春节", audit.Actor.system())
    working_days.set_days(db.session, MAKE_UP_SUNDAY, MAKE_UP_SUNDAY, True, "调休", audit.Actor.system())
    assert tips.push_daily_tip(db.session, local(MONDAY_IN_SPRING_FESTIVAL, 8, 30)) is None
    assert tips.push_daily_tip(db.session, local(MAKE_UP_SUNDAY, 8, 30)) == "tip:2027-02-14"
    assert [key.split(":robot:")[0] for key in outbox_keys()] == ["tip:2027-02-14"]
    # On a holiday the bot's tip is the last working day's: Friday 5 February.
    holiday_tip = tips.todays_tip(db.session, MONDAY_IN_SPRING_FESTIVAL)
    assert holiday_tip == tips.todays_tip(db.session, date(2027, 2, 5))


def test_a_festival_draft_moves_before_an_entered_holiday(app):
    spring_festival = date(2027, 2, 6)
    assert festivals.draft_event_day(db.session, date(2027, 2, 8)) == date(2027, 2, 8)
    working_days.set_days(db.session, spring_festival, date(2027, 2, 12), False, "春节", audit.Actor.system())
    assert festivals.draft_event_day(db.session, date(2027, 2, 8)) == date(2027, 2, 5)


def test_setting_again_replaces_and_clearing_restores_the_library(app):
    day = MONDAY_IN_SPRING_FESTIVAL
    assert working_days.is_working_day(db.session, day) is True
    working_days.set_days(db.session, day, day, False, "春节", audit.Actor.system())
    working_days.set_days(db.session, day, day, True, "改为上班", audit.Actor.system())
    assert working_days.is_working_day(db.session, day) is True
    assert db.session.scalar(select(CalendarOverride.note).where(CalendarOverride.day == day)) == "改为上班"
    working_days.set_days(db.session, day, day, False, "春节", audit.Actor.system())
    assert working_days.clear_days(db.session, day, day, audit.Actor.system()) == 1
    assert working_days.is_working_day(db.session, day) is True
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["calendar.set", "calendar.set", "calendar.set", "calendar.clear"]


@pytest.mark.parametrize(
    "first, last, message",
    [(date(2027, 2, 6), date(2027, 2, 1), "早于开始日期"), (date(2027, 1, 1), date(2027, 3, 31), "一次最多设置 60 天")],
)
def test_a_bad_range_is_refused_in_chinese_and_sets_nothing(app, first, last, message):
    with pytest.raises(working_days.InvalidRange, match=message):
        working_days.set_days(db.session, first, last, False, "", audit.Actor.system())
    assert db.session.scalar(select(CalendarOverride)) is None


def test_calendar_commands_set_list_and_clear(app, runner):
    result = runner.invoke(args=["calendar", "set", "2027-02-06", "--to", "2027-02-12", "--holiday", "--note", "2027 年春节"])
    assert result.exit_code == 0 and "已将 7 天设为放假" in result.output
    result = runner.invoke(args=["calendar", "set", "2027-02-14", "--workday", "--note", "调休"])
    assert result.exit_code == 0 and "已将 1 天设为上班" in result.output
    listed = runner.invoke(args=["calendar", "list", "--year", "2027"]).output
    assert "2027-02-08\t星期一\t放假\t2027 年春节\t（chinese-calendar：上班）" in listed
    assert "2027-02-14\t星期日\t上班\t调休\t（chinese-calendar：放假）" in listed
    result = runner.invoke(args=["calendar", "clear", "2027-02-06", "--to", "2027-02-07"])
    assert result.exit_code == 0 and "已清除 2 天的设置" in result.output
    assert "2027-02-06" not in runner.invoke(args=["calendar", "list", "--year", "2027"]).output
    assert "没有设置" in runner.invoke(args=["calendar", "list", "--year", "2028"]).output
    assert set(db.session.scalars(select(AuditLog.actor_type))) == {"cli"}


def test_calendar_command_refusals_are_in_chinese(app, runner):
    backwards = runner.invoke(args=["calendar", "set", "2027-02-06", "--to", "2027-01-01", "--holiday"])
    assert backwards.exit_code != 0 and "早于开始日期" in backwards.output
    bad_date = runner.invoke(args=["calendar", "set", "2027-13-06", "--holiday"])
    assert bad_date.exit_code != 0 and "应为 YYYY-MM-DD 格式的日期" in bad_date.output
    assert db.session.scalar(select(CalendarOverride)) is None
