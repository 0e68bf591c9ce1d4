"""Schemas of the 创建台账 endpoints: reflections (感悟), activity records, and an event's work items."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Function, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from app.ledger_plan import TRADITIONAL_FESTIVALS
from miniprogram_api.schemas import InputString, StrictSchema


class ReflectionIn(StrictSchema):
    content = InputString(required=True, validate=Length(min=1, max=1000), metadata={"description": "感悟，1–1000 字"})


class ReflectionOut(Schema):
    id = Integer()
    event_id = Integer()
    content = String()
    status = String(metadata={"description": "passed 已通过 / held 待人工审核"})
    selected = Boolean(metadata={"description": "已选入台账"})
    locked = Boolean(metadata={"description": "活动台账已锁定，不能再修改"})
    created_at = DateTime()
    updated_at = DateTime()


class AdminReflectionOut(ReflectionOut):
    staff_name = Function(lambda reflection: reflection.staff.name)
    department = Function(lambda reflection: reflection.staff.department.name)


class ReflectionListOut(Schema):
    items = List(Nested(AdminReflectionOut))


class SelectionIn(StrictSchema):
    reflection_ids = List(Integer(), required=True, validate=Length(min=1, max=3),
                          metadata={"description": "选入台账的感悟（1–3 篇）"})


class SegmentIn(StrictSchema):
    name = InputString(required=True, validate=Length(min=1, max=20))
    content = InputString(load_default="", validate=Length(max=1000))


class RecordIn(StrictSchema):
    host = InputString(load_default=None, allow_none=True, validate=Length(max=50), metadata={"description": "主持人"})
    speaker = InputString(load_default=None, allow_none=True, validate=Length(max=50), metadata={"description": "主讲人"})
    segments = List(Nested(SegmentIn), load_default=None, allow_none=True, validate=Length(max=10),
                    metadata={"description": "环节，默认唱歌曲、学模范、诵经典、发善心、送吉祥"})


class SegmentOut(Schema):
    name = String()
    content = String()


class RecordOut(Schema):
    event_id = Integer()
    host = String(allow_none=True)
    speaker = String(allow_none=True)
    segments = List(Nested(SegmentOut))
    locked = Boolean()
    locked_at = DateTime(allow_none=True)


class EventItemsIn(StrictSchema):
    item_ids = List(Integer(), required=True, validate=Length(min=1, max=18), metadata={"description": "工作项 id"})
    festival = InputString(load_default=None, allow_none=True, validate=OneOf(TRADITIONAL_FESTIVALS),
                           metadata={"description": "传统节日活动对应的节日"})


class EventItemOut(Schema):
    number = Integer()
    festival = String(allow_none=True)


class EventItemsOut(Schema):
    event_id = Integer()
    tagged = Boolean(metadata={"description": "false：按活动类型默认归项"})
    items = List(Nested(EventItemOut))


class TargetResultOut(Schema):
    label = String()
    done = String()
    met = Boolean()


class ItemProgressOut(Schema):
    number = Function(lambda p: p.item.number)
    title = Function(lambda p: p.item.title)
    area = Function(lambda p: p.item.area.title)
    departments = Function(lambda p: p.item.departments)
    owner = Function(lambda p: p.item.owner.name if p.item.owner else None)
    status = String(metadata={"description": "未开展 / 进行中 / 已达标"})
    missing = List(String())
    missing_text = String()
    results = List(Nested(TargetResultOut))
    events = Function(lambda p: len(p.events))
    participants = Function(lambda p: p.participants, metadata={"description": "部门 → 参加本项活动的人数"})


class PlanProgressOut(Schema):
    year = Function(lambda r: r.plan.year)
    half = Integer(allow_none=True)
    items = List(Nested(ItemProgressOut))


class ProgressQuery(StrictSchema):
    half = Integer(load_default=None, validate=OneOf([1, 2]), metadata={"description": "1 上半年 / 2 下半年；不填为全年"})
