"""Schemas for events, registrations and sign-in records: what staff see and what admins see."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from app.models.events import (
    CAPACITY_RANGE,
    DESCRIPTION_MAX,
    DIRECTIONS,
    EVENT_KINDS,
    FIRST_DAY,
    LAST_DAY,
    LATITUDE_RANGE,
    LOCATION_MAX,
    LONGITUDE_RANGE,
    RADIUS_RANGE_M,
    TITLE_MAX,
)
from miniprogram_api.pagination import PageMeta, PageQuery
from miniprogram_api.schemas import InputString, StrictSchema


REMINDERS_HELP = (
    "提醒规则：“1d@09:00”表示提前 1 天的 09:00，“60m”“2h”表示开始前 60 分钟、2 小时；"
    "最多 5 条；null 为默认（提前 1 天 09:00 和开始前 60 分钟），[] 为不提醒"
)


def _reminders_field() -> List:
    return List(
        InputString(validate=Length(min=1, max=20)),
        allow_none=True,
        validate=Length(max=5),
        metadata={"description": REMINDERS_HELP},
    )


class EventQuery(PageQuery):
    kind = InputString(validate=OneOf(EVENT_KINDS))
    date_from = Date(validate=Range(min=FIRST_DAY, max=LAST_DAY), metadata={"description": "开始日期（含），本地日期 YYYY-MM-DD"})
    date_to = Date(validate=Range(min=FIRST_DAY, max=LAST_DAY), metadata={"description": "结束日期（含）"})
    include_cancelled = Boolean(load_default=False, metadata={"description": "是否包含已取消的活动"})


class EventSummaryOut(Schema):
    id = Integer()
    kind = String()
    title = String()
    location = String(allow_none=True)
    starts_at = DateTime()
    ends_at = DateTime()
    status = String()


class EventOut(EventSummaryOut):
    description = String()
    latitude = Float(allow_none=True)
    longitude = Float(allow_none=True)
    radius_m = Integer(allow_none=True)
    checkin_opens_at = DateTime()
    checkin_closes_at = DateTime()
    checkout_required = Boolean()
    checkout_closes_at = DateTime(allow_none=True)
    registration_required = Boolean()
    walk_ins_allowed = Boolean(metadata={"description": "需报名的活动也允许未报名的人现场签到"})
    live_code_only = Boolean(metadata={"description": "只接受现场大屏的动态签到码，不接受印刷的签到码"})
    capacity = Integer(allow_none=True)
    registered_count = Integer()


class EventAdminOut(EventOut):
    """An event on its own (admin answers); a separate class so the spec names it apart from nested ones."""

    reminders = List(String(), allow_none=True, metadata={"description": REMINDERS_HELP})


class EventListOut(Schema):
    items = List(Nested(EventOut))
    meta = Nested(PageMeta)


class MyEventStateOut(Schema):
    registered = Boolean()
    checked_in_at = DateTime(allow_none=True)
    checked_out_at = DateTime(allow_none=True)
    credited_hours = Float(allow_none=True)


class EventDetailOut(EventOut):
    me = Nested(MyEventStateOut)


class RegistrationOut(Schema):
    registered = Boolean()
    registered_count = Integer()
    capacity = Integer(allow_none=True)


class CheckinIn(StrictSchema):
    qr = InputString(required=True, validate=Length(min=1, max=512), metadata={"description": "扫码得到的完整内容"})
    nonce = InputString(
        required=True,
        validate=Regexp(r"^[A-Za-z0-9_-]{8,64}$", error="应为 8 到 64 位字母、数字、下划线或连字符"),
        metadata={"description": "客户端为本次扫码生成的随机编号；重试时原样重发"},
    )
    lat = Float(validate=Range(min=-90, max=90), allow_none=True)
    lng = Float(validate=Range(min=-180, max=180), allow_none=True)


class CheckinOut(Schema):
    status = String(
        metadata={
            "description": "checked_in、already_checked_in、checked_out、already_checked_out，"
            "或 checkout_updated（签退窗口内再次签退，以最后一次为准）"
        }
    )
    checked_in_at = DateTime(allow_none=True)
    checked_out_at = DateTime()
    previous_checked_out_at = DateTime(metadata={"description": "checkout_updated 时：被替换的上一次签退时间"})
    duration_minutes = Integer()
    hours = Float(allow_none=True)
    event = Nested(EventSummaryOut)


class MyCheckinOut(Schema):
    id = Integer()
    direction = String()
    at = DateTime()
    method = String()
    credited_hours = Float(allow_none=True)
    event = Nested(EventSummaryOut)


class MyCheckinListOut(Schema):
    items = List(Nested(MyCheckinOut))
    meta = Nested(PageMeta)


class HoursQuery(Schema):
    year = Integer(validate=Range(min=2000, max=2100))


class VolunteerHoursOut(Schema):
    year = Integer(allow_none=True)
    hours = Float()
    events = Integer()
    all_time_hours = Float()
    all_time_events = Integer()


# ---- admin -------------------------------------------------------------------------------------------


class EventCreateIn(StrictSchema):
    kind = InputString(required=True, validate=OneOf(EVENT_KINDS))
    title = InputString(required=True, validate=Length(min=1, max=TITLE_MAX))
    description = InputString(load_default="", validate=Length(max=DESCRIPTION_MAX))
    location = InputString(allow_none=True, validate=Length(max=LOCATION_MAX))
    latitude = Float(allow_none=True, validate=Range(*LATITUDE_RANGE))
    longitude = Float(allow_none=True, validate=Range(*LONGITUDE_RANGE))
    radius_m = Integer(allow_none=True, validate=Range(*RADIUS_RANGE_M))
    starts_at = DateTime(required=True, metadata={"description": "不带时区时按本地时间理解"})
    ends_at = DateTime(required=True)
    checkin_opens_at = DateTime(allow_none=True)
    checkin_closes_at = DateTime(allow_none=True)
    capacity = Integer(allow_none=True, validate=Range(*CAPACITY_RANGE))
    registration_required = Boolean(load_default=False)
    walk_ins_allowed = Boolean(load_default=False, metadata={"description": "需报名时也允许未报名的人签到"})
    live_code_only = Boolean(allow_none=True, metadata={"description": "只接受大屏动态码；不传时道德讲堂默认开启"})
    checkout_required = Boolean(load_default=False)
    publish = Boolean(load_default=True)
    reminders = _reminders_field()


class EventUpdateIn(StrictSchema):
    """Only the fields sent are changed."""

    title = InputString(validate=Length(min=1, max=TITLE_MAX))
    description = InputString(validate=Length(max=DESCRIPTION_MAX))
    location = InputString(allow_none=True, validate=Length(max=LOCATION_MAX))
    starts_at = DateTime(metadata={"description": "不带时区时按本地时间理解"})
    ends_at = DateTime()
    reminders = _reminders_field()
    capacity = Integer(allow_none=True, validate=Range(*CAPACITY_RANGE), metadata={"description": "不能少于已报名人数；null 为不限"})
    checkin_opens_at = DateTime(metadata={"description": "签到开始时间；不传则随开始时间平移"})
    checkin_closes_at = DateTime(metadata={"description": "签到截止时间"})
    walk_ins_allowed = Boolean()
    live_code_only = Boolean()


class ReasonIn(StrictSchema):
    reason = InputString(required=True, validate=Length(min=2, max=200))


class ManualCheckinIn(StrictSchema):
    employee_no = InputString(required=True, validate=Length(min=1, max=32))
    direction = InputString(load_default="in", validate=OneOf(DIRECTIONS))
    reason = InputString(required=True, validate=Length(min=2, max=200))
    at = DateTime(metadata={"description": "实际签到（或签退）时间，须在活动当天；不带时区按本地时间；不传为现在"})
    out_at = DateTime(metadata={"description": "补签到时同时补录的签退时间（需签退的活动）"})


class AdjustHoursIn(StrictSchema):
    hours = Float(required=True, validate=Range(min=0, max=24))
    reason = InputString(required=True, validate=Length(min=2, max=200))


class DirectionQuery(Schema):
    direction = InputString(load_default="in", validate=OneOf(DIRECTIONS))


class ScreenLinkOut(Schema):
    url = String()
    expires_at = DateTime()


class AttendeeOut(Schema):
    id = Integer()
    name = String()
    employee_no = String()


class AttendanceRowOut(Schema):
    staff = Nested(AttendeeOut)
    department = String()
    registered = Boolean()
    checkin_id = Integer(attribute="checkin.id", allow_none=True)
    checked_in_at = DateTime(attribute="checkin.at", allow_none=True)
    method = String(attribute="checkin.method", allow_none=True)
    checkout_id = Integer(attribute="checkout.id", allow_none=True)
    checked_out_at = DateTime(attribute="checkout.at", allow_none=True)
    duration_minutes = Integer(allow_none=True)
    credited_hours = Float(attribute="checkout.credited_hours", allow_none=True)


class AttendanceOut(Schema):
    event = Nested(EventOut)
    present_count = Integer()
    absent_count = Integer()
    present = List(Nested(AttendanceRowOut))
    absent = List(Nested(AttendanceRowOut))


class ManualCheckinOut(Schema):
    id = Integer()
    status = String()
    direction = String()
    at = DateTime()
    credited_hours = Float(allow_none=True)
    checkout_id = Integer(allow_none=True)
    checked_out_at = DateTime(allow_none=True)


class AdjustedOut(Schema):
    id = Integer()
    credited_hours = Float(allow_none=True)
