"""The command registry's one dispatch path: match, parse, check the role, run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.extensions import db
from app.models.base import utcnow
from bot import sources
from bot.commands import dispatch, registry
from bot.campaign_commands import period_bounds
from tests import factories


@pytest.fixture
def admin(app):
    return factories.make_staff(name="张伟", admin=True, wecom_userid="zhangwei")


@pytest.fixture
def member(app):
    return factories.make_staff(name="王芳", wecom_userid="wangfang")


def reply(user: str, text: str) -> str:
    outcome = dispatch(db.session, user, text, msg_id="m", now=utcnow())
    db.session.rollback()
    return outcome.reply["text"]["content"]


class Events:
    """A connected events source for these tests (the real one is built with the events feature)."""

    def upcoming_for(self, session, staff, now, limit):
        return [sources.EventLine(7, "道德讲堂", datetime(2026, 12, 1, 7, 0, tzinfo=UTC), "三楼会议室", "报名中（12/30）")]

    def participation_by_department(self, session, start, end):
        return [sources.DepartmentParticipation("办公室", 5, 3, 4, 6.5)]


def test_every_command_has_a_name_alias_usage_and_one_line_help():
    for command in registry.commands.values():
        assert command.alias.startswith("/") and command.usage.startswith(command.name)
        assert command.summary and "\n" not in command.summary


def test_member_help_lists_only_what_a_member_may_use(member):
    text = reply("wangfang", "帮助")
    assert "帮助（/help）：列出您可以使用的命令" in text
    assert "公告" not in text


def test_admin_help_also_lists_admin_commands(admin):
    text = reply("zhangwei", "/HELP")
    assert "公告 <内容>（/notice）" in text


def test_commands_whose_data_is_not_connected_do_not_exist(admin):
    assert "活动" not in reply("zhangwei", "帮助")
    assert reply("zhangwei", "活动").startswith("没有「活动」这个命令。")


def test_connected_events_source_makes_events_and_stats_available(app, admin):
    sources.connect(app, sources.EVENTS, Events())
    assert "活动（/events）" in reply("zhangwei", "帮助")
    text = reply("zhangwei", "活动")
    assert "道德讲堂" in text and "2026-12-01 15:00" in text and "三楼会议室" in text and "报名中（12/30）" in text
    assert "办公室：3/5 人参与，签到 4 次，志愿 6.5 小时" in reply("zhangwei", "统计 本年")


def test_stats_with_an_unknown_period_answers_usage(app, admin):
    sources.connect(app, sources.EVENTS, Events())
    assert reply("zhangwei", "统计 上个月") == "用法：统计 [本月|本年]\n统计周期只能是「本月」或「本年」。"


def test_unknown_command_suggests_the_closest_one_the_sender_may_use(admin, member):
    assert "您是不是想输入「公告」？" in reply("zhangwei", "公高 明天开会")
    assert "公告" not in reply("wangfang", "公高 明天开会")
    assert "您是不是想输入「帮助」？" in reply("wangfang", "/hlep")


def test_announcement_without_text_answers_usage(admin):
    assert reply("zhangwei", "公告") == "用法：公告 <内容>"


def test_announcement_over_the_length_limit_answers_usage(admin):
    assert "不能超过 1000 字" in reply("zhangwei", "公告 " + "长" * 1001)


def test_help_with_arguments_answers_usage(member):
    assert reply("wangfang", "帮助 一下") == "用法：帮助"


def test_a_word_that_merely_starts_like_a_command_runs_nothing(admin):
    assert reply("zhangwei", "公告栏在哪里").startswith("没有「公告栏在哪里」这个命令。")


def test_inactive_staff_cannot_use_commands(app):
    person = factories.make_staff(wecom_userid="left")
    person.active = False
    db.session.commit()
    assert "尚未登记在花名册中" in reply("left", "帮助")


def test_month_bounds_roll_over_the_year():
    start, end = period_bounds("本月", datetime(2026, 12, 15, 4, tzinfo=UTC))
    assert (start.date(), end.date()) == (date(2026, 12, 1), date(2027, 1, 1))


def test_connecting_an_unknown_source_is_a_programming_error(app):
    with pytest.raises(ValueError):
        sources.connect(app, "parking", object())
