"""What the sign-in jobs share: the refusals, the answer to a recording, the hours rule and the look-up
of a person's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, Forbidden, NotFound
from app.models import Checkin, Event
from app.models.events import DIRECTION_IN, DIRECTION_OUT
from app.timeutil import format_local

HALF_HOUR = 30


class CheckinNotOpen(Forbidden):
    code = "checkin_not_open"
    message = "签到尚未开始"


class CheckinClosed(Forbidden):
    code = "checkin_closed"
    message = "签到已截止"


class RegistrationRequired(Forbidden):
    code = "registration_required"
    message = "该活动需要先报名才能签到"


class LiveCodeRequired(Forbidden):
    code = "live_code_required"
    message = "本活动只接受现场大屏上的动态签到码，请扫描大屏上正在滚动的二维码"


class LocationRequired(AppError):
    status_code = 400
    code = "location_required"
    message = "该活动需要定位签到，请允许小程序获取位置后重试"


class OutsideGeofence(Forbidden):
    code = "outside_geofence"
    message = "您不在活动地点附近，无法签到"


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    message = "您还没有签到，不能签退"


class NonceReused(Conflict):
    code = "nonce_reused"
    message = "请求编号已被使用，请重新扫码"


class CheckinNotFound(NotFound):
    code = "checkin_not_found"
    message = "签到记录不存在"


class CheckoutExists(Conflict):
    code = "checkout_exists"
    message = "此人已签退，请先撤销签退记录"


class InvalidHours(AppError):
    status_code = 422
    code = "invalid_hours"
    message = "志愿时长应为 0 到 24 小时之间 0.5 的整数倍（如 1、1.5、2）"


class InvalidManualTime(AppError):
    status_code = 422
    code = "invalid_checkin_time"
    message = "补录时间有误"


class NotACheckout(AppError):
    status_code = 400
    code = "not_a_checkout"
    message = "只能调整签退记录的志愿时长"


@dataclass
class CheckinResult:
    """A recording's outcome: a new record, one that was there already, or a sign-out moved later."""

    record: Checkin
    event: Event
    created: bool
    replaced_at: datetime | None = None  # a sign-out moved later: when the earlier one was
    checkout: Checkin | None = None  # a manual sign-in entered with its sign-out
    answer: dict | None = None  # a scan's answer, as the API gives it (``scanning.describe``)

    @property
    def status(self) -> str:
        if self.record.direction == DIRECTION_OUT:
            if self.replaced_at is not None:
                return "checkout_updated"
            return "checked_out" if self.created else "already_checked_out"
        return "checked_in" if self.created else "already_checked_in"


# ---- the hours rule ---------------------------------------------------------------------------------


def present_minutes(checked_in_at: datetime, checked_out_at: datetime) -> int:
    """Whole minutes between signing in and signing out (never negative)."""
    return max(0, int((checked_out_at - checked_in_at) / timedelta(minutes=1)))


def credited_minutes(event: Event, checked_in_at: datetime, checked_out_at: datetime) -> int:
    """Whole half-hours present, capped at the event's planned length (itself in whole half-hours)."""
    present = present_minutes(checked_in_at, checked_out_at)
    planned = event.planned_minutes // HALF_HOUR * HALF_HOUR
    return min(present // HALF_HOUR * HALF_HOUR, planned)


def checkout_minutes(session: Session, event: Event, staff_id: int, at: datetime, missing: AppError) -> int:
    """The minutes a sign-out at ``at`` credits, from the person's sign-in: the one place a sign-out's
    hours are worked out, for a scan and an admin's entry alike. ``missing``: the refusal without one."""
    checkin = existing(session, event.id, staff_id, DIRECTION_IN)
    if checkin is None:
        raise missing
    if at < checkin.at:
        raise InvalidManualTime(f"签退时间不能早于签到时间 {format_local(checkin.at, '%H:%M')}")
    return credited_minutes(event, checkin.at, at)


def existing(session: Session, event_id: int, staff_id: int, direction: str) -> Checkin | None:
    return session.scalar(
        select(Checkin).where(Checkin.event_id == event_id, Checkin.staff_id == staff_id, Checkin.direction == direction)
    )


def winner(session: Session, event_id: int, staff_id: int, direction: str, nonce: str | None) -> Checkin:
    """The record that beat ours to the unique constraint."""
    record = existing(session, event_id, staff_id, direction)
    if record is not None:
        return record
    if nonce is not None:
        raise NonceReused()
    raise Conflict()  # the unique constraints admit no other loser; kept as a guard
