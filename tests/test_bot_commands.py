"""The command registry's one dispatch path: match, parse, check the role, run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.extensions import db
from app.models.base import utcnow
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
    return outcome.replies[0]["text"]["content"]


def test_every_command_has_a_name_alias_usage_and_one_line_help():
    for command in registry.commands.values():
        assert command.alias.startswith("/") and command.usage.startswith(command.name)
        assert command.summary and "\n" not in command.summary


def test_member_help_lists_only_what_a_member_may_use(member):
    text = reply("wangfang", "帮助")
    assert "帮助（/help）：列出您可以使用的命令" in text
    for command in ("活动（/events）", "心愿（/wishes）", "提示（/tip）", "我的（/me）"):
        assert command in text
    assert "公告" not in text and "统计" not in text and "签到码" not in text


def test_admin_help_also_lists_admin_commands(admin):
    text = reply("zhangwei", "/HELP")
    assert "公告 <内容>（/notice）" in text
    assert "统计 [本月|本年]（/stats）" in text and "签到码 <活动编号> [签到|签退]（/code）" in text


def test_stats_with_an_unknown_period_answers_usage(admin):
    assert reply("zhangwei", "统计 上个月") == "用法：统计 [本月|本年]\n统计周期只能是「本月」或「本年」。"


def test_member_asking_for_stats_is_refused(member):
    assert reply("wangfang", "统计") == "「统计」仅限管理员使用。"


@pytest.mark.parametrize("text, name", [("统计 上个月", "统计"), ("签到码 abc", "签到码"), ("公告", "公告")])
def test_member_with_bad_arguments_to_an_admin_command_is_refused_not_taught_its_usage(member, text, name):
    assert reply("wangfang", text) == f"「{name}」仅限管理员使用。"


@pytest.mark.parametrize("arguments", ["", "abc", "12 签出", "1 2 3", "０１", "99999999999"])
def test_checkin_code_with_bad_arguments_answers_usage(admin, arguments):
    assert reply("zhangwei", f"签到码 {arguments}").startswith("用法：签到码 <活动编号> [签到|签退]")


def test_member_asking_for_a_checkin_code_is_refused(member):
    assert reply("wangfang", "签到码 1") == "「签到码」仅限管理员使用。"


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


@pytest.mark.parametrize(
    "text, name, arguments",
    [
        ("  统计 \n 本年 ", "统计", "本年"),
        ("签到码  12\t签退", "签到码", "12\t签退"),
        ("/code 12\n签到", "签到码", "12\n签到"),
        ("帮助\n", "帮助", ""),
        ("公告：第一行\n第二行", "公告", "第一行\n第二行"),
    ],
)
def test_first_word_is_split_off_and_the_arguments_keep_their_whitespace(text, name, arguments):
    command, _word, rest = registry.split(text, list(registry.commands.values()))
    assert command is not None and command.name == name and rest == arguments


def test_single_word_arguments_parse_whatever_whitespace_separates_them():
    commands = registry.commands
    assert commands["统计"].parse(registry.split("统计\n\n本年", list(commands.values()))[2]) == "本年"
    request = commands["签到码"].parse(registry.split("签到码 \u300012 \n 签退", list(commands.values()))[2])
    assert (request.event_id, request.direction) == (12, "out")
