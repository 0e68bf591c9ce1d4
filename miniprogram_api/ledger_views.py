"""创建台账 in the mini-program: write and read one's own 感悟; admins read them, pick up to three for
the 台账, keep the activity's record (道德讲堂 环节) and lock it, and set the work items an event counts for."""

from __future__ import annotations

from flask import g

from app.extensions import db
from app.services import audit
from app.services.ledger import evidence, progress, records
from miniprogram_api import bp
from miniprogram_api.ledger_schemas import (
    EventItemsIn,
    EventItemsOut,
    PlanProgressOut,
    ProgressQuery,
    RecordIn,
    RecordOut,
    ReflectionIn,
    ReflectionListOut,
    ReflectionOut,
    SelectionIn,
)
from miniprogram_api.security import admin_required, bound_required

AUTH = "BearerAuth"


@bp.post("/events/<id:event_id>/reflections")
@bound_required
@bp.input(ReflectionIn, arg_name="body")
@bp.output(ReflectionOut, status_code=201)
@bp.doc(
    summary="撰写或修改活动感悟",
    description="签到后才能撰写（403 reflection_requires_checkin）；每人每个活动一篇，再次提交即修改（200）；"
    "活动台账锁定后不能修改（409 record_locked）；内容经微信内容安全检测（422 reflection_rejected）。",
    security=AUTH,
)
def write_reflection(event_id: int, body: dict):
    reflection, created = records.write_reflection(db.session, event_id, g.staff, g.account.openid, body["content"])
    return reflection, 201 if created else 200


@bp.get("/events/<id:event_id>/reflections/mine")
@bound_required
@bp.output(ReflectionOut)
@bp.doc(summary="我的活动感悟", description="还没有写时 404 reflection_not_found。", security=AUTH)
def my_reflection(event_id: int):
    return records.my_reflection(db.session, event_id, g.staff)


@bp.get("/admin/events/<id:event_id>/reflections")
@admin_required
@bp.output(ReflectionListOut)
@bp.doc(summary="活动的全部感悟", security=AUTH)
def event_reflections(event_id: int):
    return {"items": records.event_reflections(db.session, event_id)}


@bp.put("/admin/events/<id:event_id>/reflections/selection")
@admin_required
@bp.input(SelectionIn, arg_name="body")
@bp.output(ReflectionListOut)
@bp.doc(summary="选入台账的感悟", description="1–3 篇，替换原有选择。", security=AUTH)
def select_reflections(event_id: int, body: dict):
    return {"items": records.select_reflections(db.session, event_id, body["reflection_ids"], g.staff)}


@bp.get("/admin/events/<id:event_id>/record")
@admin_required
@bp.output(RecordOut)
@bp.doc(summary="活动台账记录（道德讲堂环节）", security=AUTH)
def get_record(event_id: int):
    return records.record_view(db.session, event_id)


@bp.put("/admin/events/<id:event_id>/record")
@admin_required
@bp.input(RecordIn, arg_name="body")
@bp.output(RecordOut)
@bp.doc(summary="保存活动台账记录", description="主持人、主讲人、环节；锁定后 409 record_locked。", security=AUTH)
def save_record(event_id: int, body: dict):
    return records.save_record(db.session, event_id, audit.Actor.staff(g.staff.id), host=body["host"],
                               speaker=body["speaker"], segments=body["segments"])


@bp.post("/admin/events/<id:event_id>/record/lock")
@admin_required
@bp.output(RecordOut)
@bp.doc(summary="锁定活动台账", description="锁定后记录和感悟都不能再修改。", security=AUTH)
def lock_record(event_id: int):
    return records.lock_record(db.session, event_id, g.staff)


def _items_out(event_id: int) -> dict:
    links, tagged = evidence.event_items(db.session, event_id)
    return {"event_id": event_id, "tagged": tagged,
            "items": [{"number": number, "festival": festival} for number, festival in sorted(links.items())]}


@bp.get("/admin/events/<id:event_id>/ledger-items")
@admin_required
@bp.output(EventItemsOut)
@bp.doc(summary="活动计入的工作项", security=AUTH)
def event_items(event_id: int):
    return _items_out(event_id)


@bp.put("/admin/events/<id:event_id>/ledger-items")
@admin_required
@bp.input(EventItemsIn, arg_name="body")
@bp.output(EventItemsOut)
@bp.doc(summary="设置活动计入的工作项",
        description="替换原有归项；工作项须属于活动所在年度的计划（422 item_wrong_year）。", security=AUTH)
def tag_event(event_id: int, body: dict):
    evidence.tag_event(db.session, event_id, body["item_ids"], audit.Actor.staff(g.staff.id), body["festival"])
    return _items_out(event_id)


@bp.get("/admin/ledger/<int:year>/progress")
@admin_required
@bp.input(ProgressQuery, location="query", arg_name="query")
@bp.output(PlanProgressOut)
@bp.doc(summary="创建计划进度", description="各项工作的状态和缺少的材料；没有该年度计划时 404 plan_not_found。",
        security=AUTH)
def plan_progress(year: int, query: dict):
    return progress.plan_progress(db.session, year, query["half"])
