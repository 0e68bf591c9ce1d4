"""The scheduler's jobs and the bot reach the other domains through their real services."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, TipOfDay
from app.models.base import utcnow
from app.services import tips, wishes
from bot.commands import dispatch
from scheduler import jobs
from tests import factories
from tests.scheduler_helpers import SHANGHAI, FakeClock, local
from tests.wish_helpers import fetch_wish, make_wish, sign_in


def bot_reply(user: str, text: str) -> str:
    outcome = dispatch(db.session, user, text, msg_id="m", now=utcnow())
    db.session.commit()
    return outcome.replies[0]["text"]["content"]


def test_member_asking_tip_gets_todays_tip_and_it_is_kept_for_the_day(app):
    tips.seed_tips(db.session)
    factories.make_staff(name="王芳", wecom_userid="wangfang")
    answer = bot_reply("wangfang", "提示")
    today = db.session.scalar(select(TipOfDay))
    assert answer == f"今日文明提示：【{today.tip.theme}】{today.tip.content}"
    assert "提示（/tip）" in bot_reply("wangfang", "帮助")


def test_tip_command_with_an_empty_library_says_there_is_none(app):
    factories.make_staff(name="王芳", wecom_userid="wangfang")
    assert bot_reply("wangfang", "/tip") == "今天没有文明提示。"


def test_wish_deadline_job_reminds_then_releases_an_overdue_claim(app):
    wish = make_wish()
    claimer = sign_in(wecom_userid="zhoujie")[0]
    claim = wishes.claim_wish(db.session, wish.id, claimer)
    clock = FakeClock(claim.due_at - timedelta(days=1))
    jobs.bind(app, clock)
    jobs.handle_wish_deadlines()
    jobs.handle_wish_deadlines()  # fired twice: still one reminder
    keys = list(db.session.scalars(select(OutboxMessage.dedup_key)))
    assert keys == [f"wish:{wish.id}:claim:{claim.id}:due-reminder:user:zhoujie"]
    clock.moment = claim.due_at + timedelta(minutes=5)
    jobs.handle_wish_deadlines()
    assert fetch_wish(wish.id).status == "open"
    assert any(key.endswith(":expired:user:zhoujie") for key in db.session.scalars(select(OutboxMessage.dedup_key)))


def test_wish_deadline_job_runs_hourly_and_daily_jobs_at_their_configured_time(app, runner):
    listed = runner.invoke(args=["jobs"]).output
    assert "wish-deadlines\t微心愿认领到期提醒与自动释放\t每小时第 5 分" in listed
    assert "civility-tip\t文明提示（每个工作日一条）\t每天 08:30" in listed
    trigger = next(spec for spec in jobs.JOBS if spec.id == "wish-deadlines").trigger(app.config, SHANGHAI)
    assert trigger.get_next_fire_time(None, local(date(2026, 1, 5), 9, 6)) == local(date(2026, 1, 5), 10, 5)
