"""The weekly digest and the half-yearly moral lecture reminder: contents, once per week or check date,
and a walk through a season of days with a controlled clock (double firings, a restart, an outage)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Event, OutboxMessage, ScheduledNotice, WishTransition
from app.models.messaging import STATUS_PENDING, STATUS_SENT
from app.models.scheduling import NOTICE_SKIPPED
from app.services import audit, checkins, digest, events, images, lecture_reminders, wishes
from app.timeutil import to_local
from app.wechat.limits import fit_payload
from scheduler import jobs
from tests import factories
from tests.scheduler_helpers import SHANGHAI, FakeClock, local, make_robots
from tests.wish_helpers import image_bytes, make_wish

SYSTEM = audit.Actor.system()


def event_at(starts_at: datetime, now: datetime, **fields) -> Event:
    values = dict(kind="道德讲堂", title="道德讲堂：诚信立身", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                  location="三楼会议室")
    values.update(fields)
    return events.create_event(db.session, events.EventDraft(**values), SYSTEM, now=now)


def digest_rows(key: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"{key}:%"))).all()


# ---- weekly digest -----------------------------------------------------------------------------------


@pytest.fixture
def last_week(app):
    """Activity in the week of 2027-03-01 (Mon) to 03-07, seen from Monday 2027-03-08."""
    robots = make_robots(2)
    admin = factories.make_staff(name="管理员", admin=True)
    a = factories.make_staff(name="赵磊", department="办公室")
    b = factories.make_staff(name="钱芳", department="办公室")
    c = factories.make_staff(name="孙强", department="财务科")
    before = local(date(2027, 2, 20), 10, 0)
    lecture = event_at(local(date(2027, 3, 3), 14, 30), before)
    service = event_at(local(date(2027, 3, 5), 8, 0), before, kind="志愿服务", title="学雷锋志愿服务",
                       checkout_required=True)
    cancelled = event_at(local(date(2027, 3, 4), 9, 0), before, title="已取消的活动")
    events.cancel_event(db.session, cancelled.id, SYSTEM, "天气原因")
    event_at(local(date(2027, 3, 4), 9, 0), before, title="草稿活动", publish=False)
    for person in (a, b):
        checkins.manual_check_in(db.session, lecture.id, person, "in", "补签", admin, at=local(date(2027, 3, 3), 14, 30))
    for person in (a, c):
        checkins.manual_check_in(db.session, service.id, person, "in", "补签", admin, at=local(date(2027, 3, 5), 8, 0))
        checkins.manual_check_in(db.session, service.id, person, "out", "补签", admin,
                                 at=local(date(2027, 3, 5), 10, 0))
    event_at(local(date(2027, 3, 10), 15, 0), before, title="文明餐桌宣讲", location="食堂")
    event_at(local(date(2027, 3, 16), 15, 0), before, title="下周的活动")

    published = [make_wish(title=f"心愿{n}") for n in range(3)]
    make_wish(title="草稿心愿", publish=False)
    wishes.claim_wish(db.session, published[0].id, a)
    photo = images.clean_image(io.BytesIO(image_bytes()), max_bytes=10_000_000, max_pixels=10_000_000)
    wishes.store_proof(db.session, published[0].id, a, "已送到", "passed", [photo])
    wishes.confirm_wish(db.session, published[0].id, SYSTEM)
    # The services stamp transitions with the real time; move them into last week.
    db.session.execute(update(WishTransition).values(at=local(date(2027, 3, 2), 10, 0)))
    db.session.commit()
    return robots


def test_monday_digest_sums_last_week_by_department_and_lists_this_weeks_events(last_week):
    key = digest.send_weekly_digest(db.session, local(date(2027, 3, 8), 8, 0))
    assert key == "digest:2027-W10"
    rows = digest_rows(key)
    assert sorted(row.address for row in rows) == sorted(str(robot.id) for robot in last_week)
    content = rows[0].payload["markdown"]["content"]
    assert "文明创建周报（3月1日—3月7日）" in content
    assert "**上周活动**：2 项" in content
    assert "3月3日（三） 道德讲堂：诚信立身，签到 2 人次" in content
    assert "已取消的活动" not in content and "草稿活动" not in content
    assert "合计签到 4 人次，志愿服务 4 小时" in content
    assert "办公室：签到 3 人次，2 人，志愿 2 小时" in content
    assert "财务科：签到 1 人次，1 人，志愿 2 小时" in content
    assert "上周新发布 <font color=\"info\">3</font> 个，完成 <font color=\"info\">1</font> 个" in content
    assert "**本周活动**：1 项" in content and "3月10日（三） 15:00 文明餐桌宣讲，食堂" in content
    assert "下周的活动" not in content
    assert len(content.encode()) <= 4096


def test_digest_is_queued_once_per_iso_week_however_often_the_job_fires(last_week):
    first = digest.send_weekly_digest(db.session, local(date(2027, 3, 8), 8, 0))
    assert digest.send_weekly_digest(db.session, local(date(2027, 3, 8), 8, 0)) is None
    assert digest.send_weekly_digest(db.session, local(date(2027, 3, 9), 11, 0)) is None  # a late re-run
    assert first == "digest:2027-W10" and len(digest_rows(first)) == 2


def test_a_quiet_week_still_gets_a_short_digest(app):
    make_robots(1)
    key = digest.send_weekly_digest(db.session, local(date(2027, 1, 4), 8, 0))
    assert key == "digest:2027-W01"
    content = digest_rows(key)[0].payload["markdown"]["content"]
    assert "**上周活动**：0 项" in content and "**本周活动**：暂无安排" in content and "各部门参与" not in content


def test_a_busy_week_digest_stays_within_one_wecom_markdown_message(app):
    make_robots(1)
    for n in range(30):
        factories.make_department(f"第{n}部门")
    for n in range(20):
        event_at(local(date(2027, 3, 9), 8 + n % 10, 0), local(date(2027, 3, 1), 8, 0),
                 title=f"本周活动第{n}场：" + "文明" * 30, location="某某街道某某社区党群服务中心")
    content = digest.render_digest(digest.build_digest(db.session, date(2027, 3, 8)))
    assert "> 等 20 项，详见小程序“活动”" in content
    assert len(fit_payload({"msgtype": "markdown", "markdown": {"content": content}})) == 1


# ---- half-yearly moral lecture reminder --------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "check_day"),
    [
        (date(2027, 5, 9), None),
        (date(2027, 5, 10), date(2027, 5, 10)),
        (date(2027, 5, 16), date(2027, 5, 10)),
        (date(2027, 5, 17), None),
        (date(2027, 6, 12), date(2027, 6, 10)),
        (date(2027, 11, 10), date(2027, 11, 10)),
        (date(2027, 12, 31), None),
        (date(2027, 1, 3), None),
    ],
)
def test_moral_lecture_check_dates(today, check_day):
    assert lecture_reminders.check_date_for(today) == check_day


@pytest.fixture
def admins(app):
    return [
        factories.make_staff(name="管理员甲", admin=True, wecom_userid="admin-a"),
        factories.make_staff(name="管理员乙", admin=True, wecom_userid="admin-b"),
    ]


def test_admins_are_reminded_once_when_no_lecture_was_held_this_half_year(admins):
    factories.make_staff(name="职工", wecom_userid="staff-x")
    inactive = factories.make_staff(name="离职管理员", admin=True, wecom_userid="admin-gone")
    inactive.active = False
    db.session.commit()
    event_at(local(date(2026, 12, 20), 14, 30), local(date(2026, 12, 1), 9, 0))  # last half year
    now = local(date(2027, 5, 10), 9, 30)
    assert lecture_reminders.remind_if_no_moral_lecture(db.session, now) == "moral-lecture:2027-H1:05-10"
    assert lecture_reminders.remind_if_no_moral_lecture(db.session, now + timedelta(days=1)) is None
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(row.address for row in rows) == ["touser:admin-a", "touser:admin-b"]
    content = rows[0].payload["text"]["content"]
    assert "2027年上半年尚未举办道德讲堂" in content and "6月30日前" in content


def test_a_planned_lecture_is_mentioned_and_a_held_one_stops_the_reminder(admins):
    event_at(local(date(2027, 6, 20), 14, 30), local(date(2027, 5, 1), 9, 0), title="道德讲堂：敬业奉献")
    lecture_reminders.remind_if_no_moral_lecture(db.session, local(date(2027, 6, 10), 9, 30))
    content = db.session.scalars(select(OutboxMessage)).first().payload["text"]["content"]
    assert "已安排：“道德讲堂：敬业奉献”（2027-06-20 14:30）" in content

    held = event_at(local(date(2027, 9, 1), 14, 30), local(date(2027, 8, 1), 9, 0))
    assert held.kind == "道德讲堂"
    assert lecture_reminders.remind_if_no_moral_lecture(db.session, local(date(2027, 11, 10), 9, 30)) is None
    skipped = db.session.get(ScheduledNotice, "moral-lecture:2027-H2:11-10")
    assert skipped.status == NOTICE_SKIPPED and "已举办道德讲堂" in skipped.detail


def test_a_cancelled_lecture_does_not_count_as_held(admins):
    cancelled = event_at(local(date(2027, 3, 1), 14, 30), local(date(2027, 2, 1), 9, 0))
    events.cancel_event(db.session, cancelled.id, SYSTEM, "场地检修")
    assert lecture_reminders.remind_if_no_moral_lecture(db.session, local(date(2027, 5, 10), 9, 30))


# ---- jobs --------------------------------------------------------------------------------------------


def test_digest_job_fires_on_monday_mornings_and_lecture_check_daily(app, runner):
    specs = {spec.id: spec for spec in jobs.JOBS}
    trigger = specs["weekly-digest"].trigger(app.config, SHANGHAI)
    fire = trigger.get_next_fire_time(None, datetime(2027, 3, 3, 12, 0, tzinfo=SHANGHAI))
    assert fire == datetime(2027, 3, 8, 8, 0, tzinfo=SHANGHAI)
    assert trigger.get_next_fire_time(fire, fire + timedelta(minutes=1)).date() == date(2027, 3, 15)
    lecture = specs["moral-lecture"].trigger(app.config, SHANGHAI)
    assert lecture.get_next_fire_time(None, datetime(2027, 3, 3, 12, 0, tzinfo=SHANGHAI)) == datetime(
        2027, 3, 4, 9, 30, tzinfo=SHANGHAI
    )
    listed = runner.invoke(args=["jobs"]).output
    assert "weekly-digest\t每周简报（上周活动与参与、微心愿、本周活动）\t每周一 08:00" in listed
    assert "moral-lecture\t道德讲堂半年提醒（5、6、11、12 月 10 日检查）\t每天 09:30" in listed


def deliver_due(now: datetime) -> list[str]:
    """What the dispatcher does to rows due by ``now`` (it has its own tests against the sandbox; it reads
    the real clock, so the walk marks due rows sent itself). Returns their keys."""
    due = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == STATUS_PENDING, OutboxMessage.due_at <= now)
    ).all()
    for row in due:
        row.status, row.sent_at = STATUS_SENT, now
    db.session.commit()
    return [row.dedup_key for row in due]


def test_a_season_walk_sends_reminders_digests_and_lecture_checks_once_on_their_days(app, build_app):
    robots = make_robots(2)
    factories.make_staff(name="管理员", admin=True, wecom_userid="admin-a")
    zhao = factories.make_staff(name="赵磊", wecom_userid="zhaolei")
    clock = FakeClock(local(date(2027, 4, 26), 0, 0))
    jobs.bind(app, clock)
    delivered: dict[str, list[datetime]] = {}
    outage = (date(2027, 6, 7), date(2027, 6, 10))  # the scheduler is down these days (inclusive)
    lecture = service = None

    def fire_jobs(moment: datetime) -> None:
        local_time = to_local(moment)
        down = outage[0] <= local_time.date() <= outage[1]
        if not down and local_time.weekday() == 0 and local_time.hour == 8:
            jobs.send_weekly_digest()
            jobs.send_weekly_digest()  # a double firing
        if not down and (local_time.hour, local_time.minute) == (9, 30):
            jobs.check_moral_lecture()
            jobs.check_moral_lecture()

    day = date(2027, 4, 26)
    while day <= date(2027, 6, 20):
        for hour, minute in ((8, 0), (9, 0), (9, 30), (10, 0), (13, 30), (20, 0)):
            clock.moment = now = local(day, hour, minute)
            if (day, hour) == (date(2027, 5, 3), 10):
                lecture = event_at(local(date(2027, 5, 20), 14, 30), now, registration_required=True)
                service = event_at(local(date(2027, 5, 14), 9, 0), now, kind="志愿服务", title="文明交通劝导")
            if (day, hour) == (date(2027, 5, 12), 10):
                events.register(db.session, lecture.id, zhao, now=now)
                events.cancel_event(db.session, service.id, SYSTEM, "改期")
            if (day, hour) == (date(2027, 5, 18), 10):
                events.update_event(db.session, lecture.id, {"starts_at": local(date(2027, 5, 21), 14, 30),
                                                             "ends_at": local(date(2027, 5, 21), 16, 30)},
                                    SYSTEM, now=now)
            if (day, hour) == (date(2027, 5, 10), 10):  # restarted: a new process fires the jobs again
                restarted = build_app()
                jobs.bind(restarted, clock)
                jobs.send_weekly_digest()
                jobs.check_moral_lecture()
                jobs.bind(app, clock)
                with restarted.app_context():
                    db.engine.dispose()
            fire_jobs(now)
            for key in deliver_due(now):
                delivered.setdefault(key, []).append(now)
        day += timedelta(days=1)

    def days_of(prefix: str) -> dict[str, list[date]]:
        return {key: [to_local(at).date() for at in ats] for key, ats in delivered.items() if key.startswith(prefix)}

    mondays = [date(2027, 4, 26) + timedelta(weeks=n) for n in range(8)]
    expected_digests = [monday for monday in mondays if monday != date(2027, 6, 7)]  # missed in the outage
    digests = days_of("digest:")
    assert len(digests) == len(expected_digests) * len(robots)
    assert sorted({at[0] for at in digests.values()}) == expected_digests
    assert all(len(at) == 1 for at in digests.values())

    lecture_checks = days_of("moral-lecture:")
    assert lecture_checks == {"moral-lecture:2027-H1:05-10:user:admin-a": [date(2027, 5, 10)]}
    # 10 June fell in the outage; checked on 11 June, when the moved lecture had been held.
    assert db.session.get(ScheduledNotice, "moral-lecture:2027-H1:06-10").status == NOTICE_SKIPPED

    reminders = {key: (at[0], to_local(delivered[key][0]).hour) for key, at in days_of("event:").items()
                 if ":remind:" in key}
    assert sorted(reminders.values()) == sorted(
        [(date(2027, 5, 20), 9)] * 3 + [(date(2027, 5, 21), 13)] * 3
    )
    assert not [key for key in reminders if key.startswith(f"event:{service.id}:")]
