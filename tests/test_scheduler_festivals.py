"""Festival dates (a golden table) and festival notices: each goes out once, on the right day."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import pytest
from borax.calendars.lunardate import LunarDate
from sqlalchemy import select

from app import calendar_cn
from app.errors import NotFound
from app.extensions import db
from app.models import AuditLog, Event, FestivalSetting, OutboxMessage, ScheduledNotice
from app.models.scheduling import NOTICE_SKIPPED
from app.services import audit, festivals, scheduling
from app.timeutil import to_local
from tests.factories import make_staff
from tests.scheduler_helpers import SHANGHAI, local, make_robots, notice_keys, outbox_keys

# Checked against published calendars (the State Council's holiday notices and printed almanacs),
# not only against borax, so that a library upgrade cannot silently move a festival. Two festivals
# on one day (2015-03-05, 2030-04-05) are listed in catalogue order.
GOLDEN = {
    2015: "02-18 除夕, 02-19 春节, 03-05 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 04-05 清明, "
    "04-21 壮族三月三, 06-20 端午, 09-27 中秋, 10-21 重阳",
    2020: "01-24 除夕, 01-25 春节, 02-08 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 03-26 壮族三月三, "
    "04-04 清明, 06-25 端午, 10-01 中秋, 10-25 重阳",
    2023: "01-21 除夕, 01-22 春节, 02-05 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 04-05 清明, "
    "04-22 壮族三月三, 06-22 端午, 09-29 中秋, 10-23 重阳",
    2024: "02-09 除夕, 02-10 春节, 02-24 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 04-04 清明, "
    "04-11 壮族三月三, 06-10 端午, 09-17 中秋, 10-11 重阳",
    2025: "01-28 除夕, 01-29 春节, 02-12 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 03-31 壮族三月三, "
    "04-04 清明, 05-31 端午, 10-06 中秋, 10-29 重阳",
    2026: "02-16 除夕, 02-17 春节, 03-03 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 04-05 清明, "
    "04-19 壮族三月三, 06-19 端午, 09-25 中秋, 10-18 重阳",
    2027: "02-05 除夕, 02-06 春节, 02-20 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 04-05 清明, "
    "04-09 壮族三月三, 06-09 端午, 09-15 中秋, 10-08 重阳",
    2028: "01-25 除夕, 01-26 春节, 02-09 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 03-28 壮族三月三, "
    "04-04 清明, 05-28 端午, 10-03 中秋, 10-26 重阳",
    2030: "02-02 除夕, 02-03 春节, 02-17 元宵, 03-05 学雷锋纪念日, 03-12 植树节, 04-05 壮族三月三, "
    "04-05 清明, 06-05 端午, 09-12 中秋, 10-05 重阳",
}


def golden(year: int) -> list[tuple[date, str]]:
    rows = []
    for item in GOLDEN[year].split(", "):
        month_day, name = item.split(" ")
        month, day = month_day.split("-")
        rows.append((date(year, int(month), int(day)), name))
    return rows


@pytest.mark.parametrize("year", sorted(GOLDEN))
def test_festival_dates_match_the_golden_table(year):
    assert [(o.day, o.name) for o in calendar_cn.festivals_in(year)] == golden(year)


def test_festivals_command_prints_2026_sorted_one_per_line(runner):
    result = runner.invoke(args=["festivals", "2026"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines == [f"{day.isoformat()} {name}" for day, name in golden(2026)]
    assert {"2026-02-17 春节", "2026-04-05 清明", "2026-09-25 中秋"} <= set(lines)


@pytest.mark.parametrize("year", ["1900", "2101", "next"])
def test_festivals_command_rejects_a_year_outside_the_calendar(runner, year):
    result = runner.invoke(args=["festivals", year])
    assert result.exit_code == 2
    assert "YEAR" in result.output


def test_new_years_eve_is_the_day_before_spring_festival_even_without_a_thirtieth():
    # 2026's twelfth lunar month has 29 days: 除夕 is 腊月廿九; in 2024 it was 腊月三十.
    assert LunarDate.from_solar(date(2026, 2, 16)).day == 29
    assert LunarDate.from_solar(date(2024, 2, 9)).day == 30
    for year in range(2000, 2051):
        assert calendar_cn.festival_date("除夕", year) == calendar_cn.festival_date("春节", year) - timedelta(days=1)


def test_third_of_third_month_uses_the_ordinary_month_in_a_leap_third_month_year():
    # 2031 has a leap third month; 三月三 is in the first (ordinary) one.
    day = calendar_cn.festival_date("壮族三月三", 2031)
    lunar = LunarDate.from_solar(day)
    assert (lunar.month, lunar.day, lunar.leap) == (3, 3, 0)
    assert LunarDate(2031, 3, 3, 1).to_solar_date() > day


@pytest.fixture
def seeded(app):
    scheduling.install_defaults(db.session)
    return make_robots(2)


def expected_schedule(year: int) -> dict[str, date]:
    """Every default notice key of ``year``'s festivals and the day it must go out."""
    schedule = {}
    for day, name in golden(year):
        for lead in festivals.DEFAULTS[name].lead_days:
            schedule[festivals.notice_key(name, day, lead)] = day - timedelta(days=lead)
    return schedule


def test_walking_through_2026_sends_every_festival_notice_once_on_its_day(seeded):
    sent_on: dict[str, date] = {}
    day = date(2026, 1, 1)
    while day.year == 2026:
        before = set(outbox_keys())
        run = festivals.send_due_festival_notices(db.session, local(day, 9, 0))
        # A second firing the same day (two schedulers, a retry) queues nothing more.
        assert festivals.send_due_festival_notices(db.session, local(day, 9, 5)).sent == []
        new = set(outbox_keys()) - before
        assert run.skipped == []
        for key in run.sent:
            assert key not in sent_on, f"{key} sent twice"
            sent_on[key] = day
        assert {key.rsplit(":robot:", 1)[0] for key in new} == set(run.sent)
        day += timedelta(days=1)
    assert sent_on == expected_schedule(2026)
    assert len(outbox_keys()) == 2 * len(sent_on)  # one row per group robot


def test_two_festivals_on_one_day_each_get_their_notice(seeded):
    # 2030-04-05 is both 清明 and 壮族三月三.
    run = festivals.send_due_festival_notices(db.session, local(date(2030, 3, 29)))
    assert sorted(run.sent) == ["festival:2030:壮族三月三:T-7", "festival:2030:清明:T-7"]


def test_notice_message_counts_down_to_the_festival(seeded):
    festivals.send_due_festival_notices(db.session, local(date(2026, 9, 18)))
    message = db.session.scalars(select(OutboxMessage)).first()
    content = message.payload["text"]["content"]
    assert message.dedup_key.startswith("festival:2026:中秋:T-7:robot:")
    assert "中秋节（9月25日，星期五）还有7天" in content


def test_notice_missed_during_downtime_is_sent_late_once_with_the_true_countdown(seeded):
    # Down from before 中秋's T-7 (09-18) until T-4 (09-21): T-7 is still the notice in force.
    assert festivals.send_due_festival_notices(db.session, local(date(2026, 9, 17))).sent == []
    run = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 21), 15, 0))
    assert run.sent == ["festival:2026:中秋:T-7"]
    content = db.session.scalars(select(OutboxMessage)).first().payload["text"]["content"]
    assert "还有4天" in content
    assert festivals.send_due_festival_notices(db.session, local(date(2026, 9, 22))).sent == []
    assert festivals.send_due_festival_notices(db.session, local(date(2026, 9, 24))).sent == [
        "festival:2026:中秋:T-1"
    ]


def test_overtaken_notice_is_skipped_and_logged_once(seeded, caplog):
    caplog.set_level(logging.WARNING)
    # Down over both 中秋 notices' days until the festival itself: only T-1 still makes sense.
    run = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 25)))
    assert run.sent == ["festival:2026:中秋:T-1"]
    assert run.skipped == ["festival:2026:中秋:T-7"]
    assert notice_keys() == {"festival:2026:中秋:T-1"}
    assert "festival:2026:中秋:T-7 skipped" in caplog.text
    caplog.clear()
    again = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 25), 10, 0))
    assert again.sent == again.skipped == []
    assert "skipped" not in caplog.text


def test_notices_of_a_festival_that_has_passed_are_skipped_not_sent(seeded):
    run = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 27)))
    assert run.sent == []
    assert sorted(run.skipped) == ["festival:2026:中秋:T-1", "festival:2026:中秋:T-7"]
    assert outbox_keys() == []
    statuses = set(db.session.scalars(select(ScheduledNotice.status)))
    assert statuses == {NOTICE_SKIPPED}


def test_disabled_festival_sends_nothing(seeded):
    festivals.update_festival_setting(db.session, "中秋", audit.Actor.system(), enabled=False)
    assert festivals.send_due_festival_notices(db.session, local(date(2026, 9, 18))).sent == []


def test_admin_changes_lead_days_and_template_and_notices_follow(seeded):
    festivals.update_festival_setting(
        db.session, "重阳", audit.Actor.cli(), lead_days=[3, 10, 3], template="{节日}（{日期}，{星期}）{倒计时}，请关爱老人。"
    )
    setting = db.session.get(FestivalSetting, "重阳")
    assert setting.lead_days == [10, 3]
    run = festivals.send_due_festival_notices(db.session, local(date(2026, 10, 8)))
    assert run.sent == ["festival:2026:重阳:T-10"]
    content = db.session.scalars(select(OutboxMessage)).first().payload["text"]["content"]
    assert content == "重阳（10月18日，星期日）还有10天，请关爱老人。"
    assert db.session.scalar(select(AuditLog.action)) == "festival_setting.update"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"template": "{节日}{地点}"}, "未知的占位符 {地点}"),
        ({"template": "{节日"}, "花括号不成对"),
        ({"template": "{}"}, "未知的占位符 {}"),
        ({"template": "{倒计时:d}"}, "占位符 {倒计时} 后不能带格式说明"),
        ({"template": "{节日!r}"}, "占位符 {节日} 后不能带格式说明"),
        ({"template": "{节日[0]}"}, "未知的占位符 {节日[0]}"),
        ({"template": "   "}, "不能为空"),
        ({"template": "字" * 601}, "不能超过 600 个字"),
        ({"lead_days": []}, "至少需要一个提前天数"),
        ({"lead_days": [7, -1]}, "须在 0 到 60 之间"),
        ({"lead_days": [61]}, "须在 0 到 60 之间"),
    ],
)
def test_invalid_festival_setting_is_refused_in_chinese(seeded, changes, message):
    with pytest.raises(festivals.FestivalSettingInvalid) as caught:
        festivals.update_festival_setting(db.session, "中秋", audit.Actor.cli(), **changes)
    assert message in caught.value.message
    assert caught.value.status_code == 422


def test_unknown_festival_is_not_found(seeded):
    with pytest.raises(NotFound) as caught:
        festivals.update_festival_setting(db.session, "圣诞节", audit.Actor.cli(), enabled=False)
    assert "没有名为“圣诞节”的节日" in caught.value.message


def test_festival_notices_cli_lists_and_edits(runner, app):
    listed = runner.invoke(args=["festival-notices", "list"])
    assert listed.exit_code == 0, listed.output
    assert "中秋（启用）：提前7天、提前1天" in listed.output
    assert "除夕（启用）：当天" in listed.output
    edited = runner.invoke(
        args=["festival-notices", "edit", "中秋", "--lead-days", "5，2", "--template", "{节日}{倒计时}"]
    )
    assert edited.exit_code == 0, edited.output
    assert "已保存" in edited.output and "还有5天" in edited.output
    assert db.session.get(FestivalSetting, "中秋").lead_days == [5, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["edit", "中秋", "--lead-days", "七"], "请填写以逗号分隔的整数天数"),
        (["edit", "中秋", "--template", "{foo}"], "未知的占位符 {foo}"),
        (["edit", "春分"], "没有名为“春分”的节日"),
    ],
)
def test_festival_notices_cli_rejects_bad_input(runner, app, args, message):
    result = runner.invoke(args=["festival-notices", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_draft_event_option_creates_one_draft_festival_event_per_occurrence_and_tells_admins(seeded):
    admin = make_staff(name="管理员甲", employee_no="A0001", admin=True, wecom_userid="admin-a")
    make_staff(name="普通职工", employee_no="S0001", wecom_userid="staff-s")
    festivals.update_festival_setting(db.session, "中秋", audit.Actor.cli(), create_draft_event=True)
    first = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 18)))
    again = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 18), 15))
    later = festivals.send_due_festival_notices(db.session, local(date(2026, 9, 24)))
    assert first.drafts == ["festival:2026:中秋:draft"] and again.drafts == [] and later.drafts == []

    drafts = db.session.scalars(select(Event)).all()
    assert [(e.kind, e.title, e.status) for e in drafts] == [("传统节日", "中秋主题活动", "draft")]
    day = festivals.draft_event_day(db.session, date(2026, 9, 25))
    assert to_local(drafts[0].starts_at) == datetime.combine(day, time(15, 0), tzinfo=SHANGHAI)
    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedup_key.like("festival:2026:中秋:draft%"))
    ).all()
    assert [row.address for row in told] == [f"touser:{admin.wecom_userid}"]
    assert "中秋主题活动" in told[0].payload["text"]["content"] and "完善" in told[0].payload["text"]["content"]
    # A draft is not published: no event reminders are queued for it.
    assert not [key for key in outbox_keys() if key.startswith("event:")]


def test_spring_festival_draft_falls_on_the_last_working_day_before_the_holiday(app):
    with_holidays = date(2026, 2, 17)
    day = festivals.draft_event_day(db.session, with_holidays)
    assert day < with_holidays and calendar_cn.is_working_day(day)
    assert not any(calendar_cn.is_working_day(day + timedelta(days=n)) for n in range(1, (with_holidays - day).days + 1))
    working_festival = date(2026, 3, 5)  # 学雷锋纪念日, a Thursday
    assert festivals.draft_event_day(db.session, working_festival) == working_festival

# ---- festivals admins add ------------------------------------------------------------------------


def test_admin_adds_qixi_national_day_and_party_day_and_each_gets_its_own_notice(runner, seeded):
    qixi = runner.invoke(args=["festival-notices", "add", "七夕", "--lunar", "7-7",
                               "--template", "【七夕】{节日}（{日期}，{星期}）{倒计时}，倡导文明婚恋新风。"])
    assert qixi.exit_code == 0, qixi.output
    assert "已添加节日（农历7月7日）。七夕（" in qixi.output and "提前 7 天的通知将是" in qixi.output
    assert runner.invoke(args=["festival-notices", "add", "国庆节", "--solar", "10-1", "--lead-days", "3",
                               "--template", "国庆节{倒计时}。"]).exit_code == 0
    assert runner.invoke(args=["festival-notices", "add", "建党节", "--solar", "7月1日",
                               "--template", "建党节{倒计时}。"]).exit_code == 0

    listed = runner.invoke(args=["festivals", "2027"]).output.splitlines()
    assert "2027-07-01 建党节" in listed and "2027-08-08 七夕" in listed and "2027-10-01 国庆节" in listed
    assert listed == sorted(listed)
    assert "七夕（启用，农历7月7日）：提前7天、提前1天" in runner.invoke(args=["festival-notices", "list"]).output

    # 七夕 2027 is on 8 August: the seven-day notice goes out on 1 August with the admin's own words.
    run = festivals.send_due_festival_notices(db.session, local(date(2027, 8, 1)))
    assert run.sent == ["festival:2027:七夕:T-7"]
    [content] = {row.payload["text"]["content"] for row in db.session.scalars(select(OutboxMessage))}
    assert content == "【七夕】七夕（8月8日，星期日）还有7天，倡导文明婚恋新风。"
    assert festivals.send_due_festival_notices(db.session, local(date(2027, 9, 28))).sent == ["festival:2027:国庆节:T-3"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "festival.add")) is not None


def test_a_lunar_festival_late_in_the_twelfth_month_is_listed_in_the_year_it_falls(runner, seeded):
    assert runner.invoke(args=["festival-notices", "add", "腊八", "--lunar", "12-8", "--template", "腊八{倒计时}"]).exit_code == 0
    # 腊八 of lunar 2026 is 2027-01-15; of lunar 2025, 2026-01-26.
    assert "2026-01-26 腊八" in runner.invoke(args=["festivals", "2026"]).output.splitlines()
    assert "2027-01-15 腊八" in runner.invoke(args=["festivals", "2027"]).output.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "闰日", "--solar", "2-29", "--template", "x"], "公历没有每年都有的 2月29日"),
        (["add", "除夕二", "--lunar", "12-30", "--template", "x"], "三十并非每月都有"),
        (["add", "某节", "--solar", "十月一", "--template", "x"], "应写成 月-日"),
        (["add", "某节", "--template", "x"], "请用 --solar 或 --lunar 之一给出日期"),
        (["add", "中秋", "--lunar", "8-15", "--template", "x"], "已有名为“中秋”的节日"),
        (["add", "某节", "--solar", "5-4", "--template", "{foo}"], "未知的占位符 {foo}"),
        (["remove", "中秋"], "是内置节日，不能删除"),
    ],
)
def test_adding_a_festival_with_a_bad_rule_or_template_is_refused_in_chinese(runner, seeded, args, message):
    result = runner.invoke(args=["festival-notices", *args])
    assert result.exit_code in (1, 2) and result.output.startswith("错误："), result.output
    assert message in result.output


def test_admin_removes_a_festival_they_added(runner, seeded):
    runner.invoke(args=["festival-notices", "add", "国庆节", "--solar", "10-1", "--template", "国庆节{倒计时}"])
    result = runner.invoke(args=["festival-notices", "remove", "国庆节"])
    assert result.exit_code == 0 and db.session.get(FestivalSetting, "国庆节") is None
