"""Events, registration, QR sign-in and my records; attendance and corrections for admins."""

from __future__ import annotations

from flask import Response, g

from app.extensions import db
from app.services import checkin_codes, checkins, event_lists, events, staff
from app.services.audit import Actor
from app.timeutil import local_today
from miniprogram_api import bp
from miniprogram_api.events_schemas import (
    AdjustedOut,
    AdjustHoursIn,
    AttendanceOut,
    CheckinIn,
    CheckinOut,
    DirectionQuery,
    EventAdminOut,
    EventCreateIn,
    EventDetailOut,
    EventListOut,
    EventOut,
    EventQuery,
    EventUpdateIn,
    HoursQuery,
    ManualCheckinIn,
    ManualCheckinOut,
    MyCheckinListOut,
    ReasonIn,
    RegistrationOut,
    ScreenLinkOut,
    VolunteerHoursOut,
)
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.security import admin_required, bearer_token, bound_required, token_required

STAFF = {"security": "BearerAuth", "tags": ["活动与签到"]}
ADMIN = {"security": "BearerAuth", "tags": ["活动管理"]}


def _detail(event, staff) -> dict:
    state = events.my_state(db.session, event, staff)
    return {**{name: getattr(event, name) for name in EventOut().fields}, "me": state}


# ---- staff -------------------------------------------------------------------------------------------


@bp.get("/events")
@bound_required
@bp.input(EventQuery, location="query", arg_name="query")
@bp.output(EventListOut)
@bp.doc(
    summary="活动列表",
    description="未结束的活动在前（开始早的在前），已结束的在后（近的在前）；按类型、日期筛选；不含草稿；"
    "已取消的活动仅在 include_cancelled=true 时列出。",
    **STAFF,
)
def list_events(query: dict):
    statement = event_lists.list_events_statement(
        query.get("kind"), query.get("date_from"), query.get("date_to"), query["include_cancelled"]
    )
    return paginate(db.session, statement, query["page"], query["per_page"])


@bp.get("/events/<id:event_id>")
@bound_required
@bp.output(EventDetailOut)
@bp.doc(summary="活动详情", description="含我的报名、签到、签退状态。", **STAFF)
def get_event(event_id: int):
    return _detail(events.get_visible_event(db.session, event_id), g.staff)


@bp.post("/events/<id:event_id>/registration")
@bound_required
@bp.output(RegistrationOut, status_code=201)
@bp.doc(summary="报名", description="名额已满时 409 event_full。", **STAFF)
def register(event_id: int):
    event = events.register(db.session, event_id, g.staff)
    return {"registered": True, "registered_count": event.registered_count, "capacity": event.capacity}


@bp.delete("/events/<id:event_id>/registration")
@bound_required
@bp.output(RegistrationOut)
@bp.doc(summary="取消报名", description="活动开始后或已签到时不能取消。", **STAFF)
def unregister(event_id: int):
    event = events.cancel_registration(db.session, event_id, g.staff)
    return {"registered": False, "registered_count": event.registered_count, "capacity": event.capacity}


@bp.post("/checkins")
@token_required
@bp.input(CheckinIn, arg_name="body")
@bp.output(CheckinOut, status_code=201)
@bp.doc(
    summary="扫码签到／签退",
    description="首次有效扫码 201；之后同一人再扫 200 并返回原签到时间；同一 nonce 的重试不会产生第二条记录。"
    "签退窗口内、上次签退一分钟以后再扫签退码，以最后一次为准：200 checkout_updated，返回新的时长和"
    "上一次签退时间。",
    responses={200: "已签到（或已签退）", 201: "签到（或签退）成功"},
    **STAFF,
)
def check_in(body: dict):
    scan = checkins.Scan(body["qr"], body["nonce"], body.get("lat"), body.get("lng"))
    result = checkins.sign_in(db.session, bearer_token(), scan)
    return result.answer, 201 if result.created else 200


@bp.get("/me/checkins")
@bound_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(MyCheckinListOut)
@bp.doc(summary="我的签到记录", **STAFF)
def my_checkins(query: dict):
    statement = checkins.my_checkins_statement(g.staff.id)
    return paginate(db.session, statement, query["page"], query["per_page"])


@bp.get("/me/volunteer-hours")
@bound_required
@bp.input(HoursQuery, location="query", arg_name="query")
@bp.output(VolunteerHoursOut)
@bp.doc(summary="我的志愿时长", description="按活动开始时间所在的年份统计；不传 year 为今年。", **STAFF)
def my_volunteer_hours(query: dict):
    year = query.get("year") or local_today().year
    in_year = checkins.volunteer_hours(db.session, g.staff.id, year)
    all_time = checkins.volunteer_hours(db.session, g.staff.id)
    return {
        "year": year,
        "hours": in_year.hours,
        "events": in_year.events,
        "all_time_hours": all_time.hours,
        "all_time_events": all_time.events,
    }


# ---- admin -------------------------------------------------------------------------------------------


@bp.post("/admin/events")
@admin_required
@bp.input(EventCreateIn, arg_name="body")
@bp.output(EventAdminOut, status_code=201)
@bp.doc(summary="创建活动", description="默认直接发布；publish=false 保存为草稿。", **ADMIN)
def create_event(body: dict):
    draft = events.EventDraft(**body)
    return events.create_event(db.session, draft, Actor.staff(g.staff.id), created_by=g.staff)


@bp.patch("/admin/events/<id:event_id>")
@admin_required
@bp.input(EventUpdateIn, arg_name="body")
@bp.output(EventAdminOut)
@bp.doc(
    summary="修改活动",
    description="只修改提交的字段（名称、简介、地点、时间、提醒规则、名额、签到时间窗、是否允许未报名签到、"
    "是否只接受大屏动态码）。名额不能少于已报名人数。已发布活动的待发提醒按新信息重新安排；"
    "时间或地点变动会通知已报名的人。活动开始后不能再改时间。",
    **ADMIN,
)
def update_event(event_id: int, body: dict):
    return events.update_event(db.session, event_id, body, Actor.staff(g.staff.id))


@bp.post("/admin/events/<id:event_id>/publish")
@admin_required
@bp.output(EventAdminOut)
@bp.doc(summary="发布草稿活动", **ADMIN)
def publish_event(event_id: int):
    return events.publish_event(db.session, event_id, Actor.staff(g.staff.id))


@bp.post("/admin/events/<id:event_id>/cancel")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(EventAdminOut)
@bp.doc(summary="取消活动", description="已报名的人会收到企业微信通知。", **ADMIN)
def cancel_event(event_id: int, body: dict):
    return events.cancel_event(db.session, event_id, Actor.staff(g.staff.id), body["reason"])


@bp.get("/admin/events/<id:event_id>/attendance")
@admin_required
@bp.output(AttendanceOut)
@bp.doc(summary="活动出勤", description="已签到的人，以及报名未到的人。", **ADMIN)
def attendance(event_id: int):
    sheet = checkins.attendance(db.session, event_id)
    return {
        "event": sheet.event,
        "present_count": len(sheet.present),
        "absent_count": len(sheet.absent),
        "present": sheet.present,
        "absent": sheet.absent,
    }


@bp.post("/admin/events/<id:event_id>/checkins")
@admin_required
@bp.input(ManualCheckinIn, arg_name="body")
@bp.output(ManualCheckinOut, status_code=201)
@bp.doc(
    summary="补签",
    description="为无法扫码的人补签到或补签退，须填写原因（记入审计日志）。at 为实际时间（须在活动当天），"
    "补签到时可同时以 out_at 补录签退，志愿时长按两个时间计算。",
    **ADMIN,
)
def manual_check_in(event_id: int, body: dict):
    person = staff.get_staff(db.session, body["employee_no"])
    result = checkins.manual_check_in(
        db.session, event_id, person, body["direction"], body["reason"], g.staff, body.get("at"), body.get("out_at")
    )
    record, checkout = result.record, result.checkout
    answer = {
        "id": record.id,
        "status": result.status,
        "direction": record.direction,
        "at": record.at,
        "credited_hours": (checkout or record).credited_hours,
        "checkout_id": checkout.id if checkout else None,
        "checked_out_at": checkout.at if checkout else None,
    }
    return answer, 201 if result.created else 200


@bp.post("/admin/checkins/<id:checkin_id>/undo")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output({}, status_code=204)
@bp.doc(summary="撤销签到记录", description="删除一条错误的签到或签退记录，原因记入审计日志。", **ADMIN)
def undo_checkin(checkin_id: int, body: dict):
    checkins.undo_checkin(db.session, checkin_id, body["reason"], g.staff)
    return ""


@bp.post("/admin/checkins/<id:checkin_id>/hours")
@admin_required
@bp.input(AdjustHoursIn, arg_name="body")
@bp.output(AdjustedOut)
@bp.doc(summary="调整志愿时长", description="以小时为单位，须为 0.5 的整数倍，可超过活动计划时长；原因记入审计日志。", **ADMIN)
def adjust_hours(checkin_id: int, body: dict):
    return checkins.adjust_hours(db.session, checkin_id, body["hours"], body["reason"], g.staff)


@bp.get("/admin/events/<id:event_id>/screen-link")
@admin_required
@bp.input(DirectionQuery, location="query", arg_name="query")
@bp.output(ScreenLinkOut)
@bp.doc(summary="现场大屏链接", description="签名链接，在大屏浏览器打开即可显示每 30 秒更新的签到码，无需登录。", **ADMIN)
def screen_link(event_id: int, query: dict):
    event = events.get_event(db.session, event_id)
    url, expires_at = checkin_codes.screen_link_for(event, query["direction"])
    return {"url": url, "expires_at": expires_at}


@bp.get("/admin/events/<id:event_id>/wxacode")
@admin_required
@bp.input(DirectionQuery, location="query", arg_name="query")
@bp.doc(
    summary="小程序码",
    description="印刷用签到码的小程序码版本（wxacode.getUnlimited，scene 即签名令牌）。返回 PNG 图片。",
    responses={200: {"description": "PNG 图片", "content": {"image/png": {}}}},
    **ADMIN,
)
def wxacode(event_id: int, query: dict):
    event = events.get_event(db.session, event_id)
    image = checkin_codes.miniprogram_code(event, query["direction"])
    return Response(image, mimetype="image/png")
