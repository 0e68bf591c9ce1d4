"""The nightly housekeeping job: spent login sessions and old WeCom callback messages go, the rest stays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiSession
from app.models.base import utcnow
from app.models.bot import InboundMessage
from app.services import housekeeping
from config import ConfigError, TestingConfig
from scheduler import jobs
from tests import factories
from tests.scheduler_helpers import SHANGHAI, FakeClock, local


def session_row(expires_in: timedelta, revoked_ago: timedelta | None = None) -> ApiSession:
    """A session of a fresh bound account; returns the row (its token is not needed here)."""
    staff = factories.make_staff()
    factories.make_bound_account(staff)
    row = db.session.scalar(select(ApiSession).where(ApiSession.account.has(staff_id=staff.id)))
    now = utcnow()
    row.expires_at = now + expires_in
    row.revoked_at = None if revoked_ago is None else now - revoked_ago
    db.session.commit()
    return row


def inbound(msg_id: str, age: timedelta) -> None:
    db.session.add(InboundMessage(msg_id=msg_id, from_user="admin", msg_type="text", content="统计",
                                  received_at=utcnow() - age))
    db.session.commit()


def remaining(column) -> set:
    return set(db.session.scalars(select(column)))


def test_spent_sessions_and_old_callbacks_are_deleted_and_the_rest_kept(app):
    keep = {
        "valid": session_row(timedelta(days=3)).id,
        "expired lately": session_row(-timedelta(days=29)).id,
        "revoked lately": session_row(timedelta(days=3), revoked_ago=timedelta(days=29)).id,
    }
    gone = {
        "expired long ago": session_row(-timedelta(days=31)).id,
        "revoked long ago": session_row(timedelta(days=3), revoked_ago=timedelta(days=31)).id,
    }
    inbound("recent", timedelta(days=179))
    inbound("old", timedelta(days=181))

    purged = housekeeping.purge_stale_rows(db.session, utcnow())

    assert purged == housekeeping.Purged(api_sessions=2, inbound_messages=1)
    ids = remaining(ApiSession.id)
    assert set(keep.values()) <= ids and not (set(gone.values()) & ids)
    assert remaining(InboundMessage.msg_id) == {"recent"}
    assert housekeeping.purge_stale_rows(db.session, utcnow()) == housekeeping.Purged(0, 0)


@pytest.mark.parametrize("config_overrides", [{"API_SESSION_RETENTION_DAYS": 7, "WECOM_INBOUND_RETENTION_DAYS": 7}])
def test_retention_follows_the_settings(app):
    session_row(-timedelta(days=8))
    inbound("eight days", timedelta(days=8))
    assert housekeeping.purge_stale_rows(db.session, utcnow()) == housekeeping.Purged(1, 1)


@pytest.mark.parametrize("name", ["API_SESSION_RETENTION_DAYS", "WECOM_INBOUND_RETENTION_DAYS"])
def test_a_retention_under_one_day_is_refused(name):
    with pytest.raises(ConfigError, match=name):
        TestingConfig(**{name: 0}).validate()


def test_the_job_runs_nightly_and_purges_through_the_service(app, runner):
    listed = runner.invoke(args=["jobs"]).output
    assert "housekeeping\t清理过期的登录凭证和企业微信回调记录\t每天 03:30" in listed
    trigger = next(spec for spec in jobs.JOBS if spec.id == "housekeeping").trigger(app.config, SHANGHAI)
    assert trigger.get_next_fire_time(None, local(date(2026, 1, 5), 9, 0)) == local(date(2026, 1, 6), 3, 30)
    inbound("old", timedelta(days=200))
    jobs.bind(app, FakeClock(utcnow()))
    jobs.purge_stale_rows()
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0
