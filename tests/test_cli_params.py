"""Operators see click's refusals of option and argument values in Chinese, with click's usage exit status."""

from __future__ import annotations

import re

import pytest

EVENT = ["events", "create", "--title", "讲堂", "--start", "2026-12-05T09:00", "--end", "2026-12-05T10:00"]


def assert_refused_in_chinese(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("错误："), result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert not re.search(r"\b(?:Invalid|Error|Usage|not|range|Try)\b", result.output), result.output


def test_operator_giving_an_unknown_event_kind_is_told_the_choices_in_chinese(runner):
    result = runner.invoke(args=[*EVENT, "--kind", "篮球赛"])
    assert_refused_in_chinese(result, "'--kind' 的取值无效：“篮球赛”不是可选值，应为以下之一：道德讲堂、志愿服务", "events create --help")


def test_operator_asking_festivals_of_a_year_outside_the_calendar_is_told_the_range_in_chinese(runner):
    result = runner.invoke(args=["festivals", "1900"])
    assert_refused_in_chinese(result, "'YEAR' 的取值无效：1900 应在 1901 到 2100 之间")


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([*EVENT, "--kind", "道德讲堂", "--capacity", "abc"], "“abc”不是整数"),
        ([*EVENT, "--kind", "道德讲堂", "--capacity", "99999999999"], "99999999999 应在 1 到 100000 之间"),
        ([*EVENT, "--kind", "道德讲堂", "--lat", "nan"], "nan 应在 -90 到 90 之间"),
        (["push-targets", "add", "--name", "一支部", "--kind", "email", "x"], "“email”不是可选值"),
        (["tips", "today", "--date", "明天"], "“明天”应为 YYYY-MM-DD 格式的日期"),
    ],
)
def test_other_bad_values_are_refused_in_chinese(runner, args, fragment):
    assert_refused_in_chinese(runner.invoke(args=args), fragment)


@pytest.mark.parametrize(
    "args",
    [
        ["events", "poster", "abc", "-o", "x.png"],
        ["events", "cancel", "99999999999999999999", "--reason", "x"],
        ["wishes", "publish", "0"],
        ["push-targets", "disable", "2147483648"],
        ["outbox", "requeue", "abc"],
    ],
)
def test_operator_giving_a_bad_database_id_is_refused_in_chinese(runner, args):
    result = runner.invoke(args=args)
    assert_refused_in_chinese(result, "的取值无效")


def test_operator_asking_outbox_status_with_a_negative_limit_is_refused_in_chinese(runner):
    assert_refused_in_chinese(runner.invoke(args=["outbox", "status", "--limit", "-1"]), "-1 应在 1 到 1000 之间")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["festival-notices", "edit", "中秋", "--lead-days", "七"], "请填写以逗号分隔的整数天数"),
        (["push-targets", "add", "--name", "一支部", "https://qyapi.example/cgi-bin/webhook/send"], "Webhook 地址中没有 key 参数"),
        ([*EVENT, "--kind", "道德讲堂", "--start", "明天上午"], "应为 ISO 8601 时间"),
        ([*EVENT, "--kind", "道德讲堂", "--remind", "T-1d", "--no-reminders"], "--remind 与 --no-reminders 不能同时使用"),
        (["outbox", "requeue"], "请给出消息编号，或使用 --all-dead"),
        (["wechat-sandbox", "--port", "70000"], "70000 应在 1 到 65535 之间"),
    ],
)
def test_refusals_raised_by_the_commands_themselves_are_framed_in_chinese(runner, args, fragment):
    assert_refused_in_chinese(runner.invoke(args=args), fragment)


def test_a_command_that_cannot_do_its_work_says_so_in_chinese(runner):
    result = runner.invoke(args=["push-targets", "disable", "12345"])
    assert result.exit_code == 1 and result.output == "错误：没有编号为 12345 的推送目标\n"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["events", "cancel", "1", "--reason", " "], "应为 2 到 200 个字符，现在是 0 个"),
        (["wishes", "withdraw", "1", "--reason", "长" * 201], "应为 1 到 200 个字符，现在是 201 个"),
        (["calendar", "set", "2027-02-08", "--holiday", "--note", "节" * 51], "应为 0 到 50 个字符"),
        (["push-targets", "test-send", "1", "--text", ""], "应为 1 到 2000 个字符"),
    ],
)
def test_free_text_is_checked_before_anything_is_done(runner, args, fragment):
    assert_refused_in_chinese(runner.invoke(args=args), fragment)


def test_service_error_in_a_group_command_is_refused_in_chinese_once_and_rolled_back(app):
    import click

    from app.commands import params
    from app.errors import NotFound
    from app.extensions import db
    from app.models import Department

    group = params.Group("probe")

    @group.command("fail")
    def fail() -> None:
        db.session.add(Department(name="半途而废"))
        db.session.flush()
        raise NotFound("没有这个东西")

    @click.command("alone", cls=params.Command)
    def alone() -> None:
        raise NotFound("单独的命令也一样")

    app.cli.add_command(group)
    app.cli.add_command(alone)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["probe", "fail"])
    assert result.exit_code == 1, result.output
    assert result.output == "错误：没有这个东西\n"
    with app.app_context():
        assert db.session.query(Department).filter_by(name="半途而废").count() == 0
    result = runner.invoke(args=["alone"])
    assert (result.exit_code, result.output) == (1, "错误：单独的命令也一样\n")


def test_every_registered_group_refuses_service_errors_itself(app):
    from app.cli import COMMANDS
    from app.commands import params

    converted = {command.name for command in COMMANDS if isinstance(command, (params.Group, params.Command))}
    # events and wishes are converted when their modules move to params.Group.
    assert {command.name for command in COMMANDS} - converted <= {"events", "wishes"}


def test_operator_granting_admin_to_an_unknown_employee_number_is_refused_in_chinese(runner):
    result = runner.invoke(args=["roster", "grant-admin", "NOBODY"])
    assert (result.exit_code, result.output) == (1, "错误：花名册中没有工号 NOBODY\n")
