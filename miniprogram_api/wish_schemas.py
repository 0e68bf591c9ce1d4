"""Schemas of the 微心愿 endpoints. Public fields mask the beneficiary; ``WishPrivateOut`` is for the
claimer and admins only."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, File, Function, Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from flask import url_for

from app.models.wish import CATEGORY_LABELS, STATUS_LABELS
from miniprogram_api.pagination import PageMeta, PageQuery
from miniprogram_api.schemas import InputString, StrictSchema


class WishQuery(PageQuery):
    status = InputString(validate=OneOf(list(STATUS_LABELS)), metadata={"description": "按状态筛选"})
    category = InputString(validate=OneOf(list(CATEGORY_LABELS)), metadata={"description": "goods 实物类 / service 服务类"})


class ReasonIn(StrictSchema):
    reason = InputString(required=True, validate=Length(min=1, max=200), metadata={"description": "原因（会告知认领人）"})


class OptionalReasonIn(StrictSchema):
    reason = InputString(validate=Length(min=1, max=200))


class ConfirmIn(StrictSchema):
    reason = InputString(validate=Length(min=1, max=200))
    approve_note = Boolean(load_default=False, metadata={"description": "凭证说明被判为需人工审核时，确认已审阅"})


class ProofIn(StrictSchema):
    note = InputString(load_default="", validate=Length(max=500), metadata={"description": "完成情况说明（可选）"})
    # The count (1-9) and the content are checked by the service, which names the bad photo.
    photos = List(
        File(error_messages={"invalid": "应为图片文件"}),
        load_default=list,
        metadata={"description": "1–9 张 JPEG、PNG 或 WebP 照片，每张不超过 10 MB"},
    )


class PhotoOut(Schema):
    id = Integer()
    url = Function(lambda photo: url_for("mp.wish_photo", wish_id=photo.wish_id, photo_id=photo.id))
    content_type = String()
    width = Integer()
    height = Integer()


class PersonOut(Schema):
    name = String()
    department = String(attribute="department.name")


class ClaimOut(Schema):
    id = Integer()
    claimed_at = DateTime()
    due_at = DateTime()
    ended_at = DateTime(allow_none=True)
    end_reason = String(allow_none=True)
    state_label = String()


class ProofOut(Schema):
    id = Integer()
    note = String()
    note_status = String(metadata={"description": "passed / held（待人工审核）/ approved"})
    submitted_by = Nested(PersonOut, attribute="staff")
    submitted_at = DateTime()
    returned_at = DateTime(allow_none=True)
    return_reason = String(allow_none=True)
    photos = List(Nested(PhotoOut))


class WishOut(Schema):
    id = Integer()
    title = String()
    story = String()
    category = String()
    category_label = String()
    beneficiary = String(attribute="masked_beneficiary", metadata={"description": "受助人姓名（已脱敏）"})
    village = String()
    estimated_value = Integer(allow_none=True, metadata={"description": "预估价值（元）"})
    claim_deadline = Date()
    status = String()
    status_label = String()
    claimer = Nested(PersonOut, allow_none=True)
    photos = List(Nested(PhotoOut))
    created_at = DateTime()


class WishPrivateOut(Schema):
    beneficiary_name = String(allow_none=True, metadata={"description": "管理员可见；认领人仅在认领进行中可见"})
    household = String(allow_none=True)
    contact = String(allow_none=True)
    claim = Nested(ClaimOut, allow_none=True)
    proofs = List(Nested(ProofOut))


class WishDetailOut(Schema):
    wish = Nested(WishOut)
    private = Nested(WishPrivateOut, allow_none=True, metadata={"description": "仅认领人和管理员可见"})


class WishListOut(Schema):
    items = List(Nested(WishOut))
    meta = Nested(PageMeta)


class MyClaimOut(ClaimOut):
    wish = Nested(WishOut)


class MyClaimListOut(Schema):
    items = List(Nested(MyClaimOut))
    meta = Nested(PageMeta)


class TransitionOut(Schema):
    action = String()
    from_status = String(allow_none=True)
    to_status = String()
    actor_type = String()
    actor_id = String(allow_none=True)
    reason = String(allow_none=True)
    at = DateTime()


class WishHistoryOut(Schema):
    items = List(Nested(TransitionOut))


class DepartmentCountOut(Schema):
    department = String()
    confirmed = Integer()


class WishStatsOut(Schema):
    by_status = Dict(keys=String(), values=Integer(), metadata={"description": "各状态的心愿数"})
    by_department = List(Nested(DepartmentCountOut), metadata={"description": "各部门已完成的心愿数"})
