"""Schemas of 评选 and 承诺. Vote counts appear only where the caller may see them (admins, or
everyone once the results are published); who voted for whom only in the admins' audited list."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, File, Float, Function, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import url_for

from app.models.selection import RESULT_METHODS, SELECTION_KINDS
from app.services.pledges import BODY_MAX
from app.services.selections import DESCRIPTION_MAX, MAX_PHOTOS, REASON_MAX, TITLE_MAX
from miniprogram_api.pagination import PageMeta
from miniprogram_api.schemas import InputString, StrictSchema

LOCAL_TIME = {"description": "不带时区时按本地时间理解"}


class SelectionIn(StrictSchema):
    title = InputString(required=True, validate=Length(min=1, max=TITLE_MAX))
    kind = InputString(required=True, validate=OneOf(list(SELECTION_KINDS)), metadata={"description": "honour 评选先进 / works 作品征集"})
    description = InputString(load_default="", validate=Length(max=DESCRIPTION_MAX))
    work_item = Integer(allow_none=True, validate=Range(min=1, max=18), metadata={"description": "计入台账的工作项目（1–18）"})
    nominate_from = DateTime(required=True, metadata=LOCAL_TIME)
    nominate_until = DateTime(required=True, metadata=LOCAL_TIME)
    vote_from = DateTime(required=True, metadata=LOCAL_TIME)
    vote_until = DateTime(required=True, metadata=LOCAL_TIME)
    publicity_days = Integer(load_default=5, validate=Range(min=1, max=30))
    votes_per_voter = Integer(load_default=3, validate=Range(min=1, max=50))
    forbid_own_department = Boolean(load_default=False)
    forbid_self = Boolean(load_default=True)
    result_method = InputString(load_default="votes", validate=OneOf(list(RESULT_METHODS)))
    vote_weight = Integer(allow_none=True, validate=Range(min=0, max=100), metadata={"description": "加权时得票所占百分比"})


class SelectionOut(Schema):
    id = Integer()
    title = String()
    kind = String()
    kind_label = String()
    description = String()
    work_item = Integer(allow_none=True)
    nominate_from = DateTime()
    nominate_until = DateTime()
    vote_from = DateTime()
    vote_until = DateTime()
    publicity_days = Integer()
    publicity_until = DateTime(allow_none=True)
    votes_per_voter = Integer()
    forbid_own_department = Boolean()
    forbid_self = Boolean()
    result_method = String()
    method_label = String()
    status = String()
    phase = Function(lambda selection: selection.phase())
    phase_label = Function(lambda selection: selection.phase_label())


class SelectionAnswerOut(SelectionOut):
    """A selection on its own (admin answers); its own class so the spec names it apart from nested ones."""


class SelectionListOut(Schema):
    items = List(Nested(SelectionOut))
    meta = Nested(PageMeta)


class EntryPhotoOut(Schema):
    id = Integer()
    url = Function(lambda photo: url_for("mp.selection_photo", photo_id=photo.id))
    content_type = String()
    width = Integer()
    height = Integer()


class EntryOut(Schema):
    id = Integer()
    subject = String()
    subject_label = String()
    title = String()
    description = String()
    department = String(attribute="department.name")
    status = String()
    status_label = String()
    review_reason = String(allow_none=True)
    photos = List(Nested(EntryPhotoOut))
    votes = Integer(allow_none=True, metadata={"description": "结果公布前仅管理员可见"})


class EntryAnswerOut(EntryOut):
    """An entry on its own (submit, nominate, review answers)."""


class SelectionDetailOut(Schema):
    selection = Nested(SelectionOut)
    entries = List(Nested(EntryOut))
    my_votes = List(Integer(), metadata={"description": "我已投票的参评对象编号"})
    votes_left = Integer()
    is_judge = Boolean()


class WorkIn(StrictSchema):
    title = InputString(required=True, validate=Length(min=1, max=TITLE_MAX))
    description = InputString(load_default="", validate=Length(max=DESCRIPTION_MAX))
    photos = List(File(error_messages={"invalid": "应为图片文件"}), load_default=list,
                  metadata={"description": f"1–{MAX_PHOTOS} 张 JPEG、PNG 或 WebP 照片"})


class NominationIn(StrictSchema):
    subject = InputString(required=True, validate=OneOf(["person", "department", "family"]),
                          metadata={"description": "person 个人 / department 集体 / family 家庭（employee_no 为联系人）"})
    employee_no = InputString(validate=Length(min=1, max=32))
    department_id = Integer(validate=Range(min=1, max=2**31 - 1))
    family_name = InputString(validate=Length(min=1, max=TITLE_MAX))
    reasons = InputString(required=True, validate=Length(min=1, max=DESCRIPTION_MAX))


class ReviewIn(StrictSchema):
    approve = Boolean(required=True)
    reason = InputString(validate=Length(min=1, max=REASON_MAX))


class ReasonIn(StrictSchema):
    reason = InputString(required=True, validate=Length(min=1, max=REASON_MAX))


class JudgesIn(StrictSchema):
    employee_nos = List(InputString(validate=Length(min=1, max=32)), required=True, validate=Length(max=50))


class ScoreIn(StrictSchema):
    score = Integer(required=True, strict=True, validate=Range(min=0, max=100))


class VoteOut(Schema):
    id = Integer()
    entry_id = Integer()
    slot = Integer()
    cast_at = DateTime()


class VoteCastOut(Schema):
    vote = Nested(VoteOut)
    votes_left = Integer()


class MyVotesOut(Schema):
    items = List(Nested(VoteOut))


class StandingOut(Schema):
    entry = Nested(EntryOut)
    rank = Integer()
    tied = Boolean()
    votes = Integer()
    jury_score = Float(allow_none=True)
    score = Float()


class StandingsOut(Schema):
    items = List(Nested(StandingOut))


class VoterOut(Schema):
    vote_id = Integer()
    entry_id = Integer()
    cast_at = DateTime()
    voter = String()
    employee_no = String()
    department = String()


class VotersOut(Schema):
    items = List(Nested(VoterOut))


class AnomalyOut(Schema):
    entry_id = Integer()
    entry_title = String()
    department_id = Integer()
    votes = Integer()
    first_at = DateTime()
    last_at = DateTime()


class AnomaliesOut(Schema):
    items = List(Nested(AnomalyOut))


class VotersQuery(StrictSchema):
    entry_id = Integer(validate=Range(min=1, max=2**31 - 1))


class SelectionIdQuery(StrictSchema):
    selection_id = Integer(required=True, validate=Range(min=1, max=2**31 - 1))


# ---- pledges -----------------------------------------------------------------------------------


class PledgeIn(StrictSchema):
    title = InputString(required=True, validate=Length(min=1, max=TITLE_MAX))
    body = InputString(required=True, validate=Length(min=1, max=BODY_MAX))
    work_item = Integer(allow_none=True, validate=Range(min=1, max=18))
    opens_at = DateTime(required=True, metadata=LOCAL_TIME)
    closes_at = DateTime(required=True, metadata=LOCAL_TIME)


class SignatureOut(Schema):
    pledge_id = Integer()
    signed_name = String()
    signed_at = DateTime()


class PledgeOut(Schema):
    id = Integer()
    title = String()
    body = String()
    work_item = Integer(allow_none=True)
    opens_at = DateTime()
    closes_at = DateTime()
    status = String()
    status_label = String()
    is_open = Function(lambda pledge: pledge.is_open())


class PledgeAnswerOut(PledgeOut):
    """A pledge on its own (admin answers)."""


class SignatureAnswerOut(SignatureOut):
    """A signature on its own (the sign answer)."""


class PledgeDetailOut(Schema):
    pledge = Nested(PledgeOut)
    my_signature = Nested(SignatureOut, allow_none=True)


class PledgeListOut(Schema):
    items = List(Nested(PledgeOut))
    meta = Nested(PageMeta)


class SignatureListOut(Schema):
    items = List(Nested(SignatureOut))
    meta = Nested(PageMeta)


class RateOut(Schema):
    department = String()
    department_id = Integer()
    signed = Integer()
    headcount = Integer()
    rate = Float()


class RatesOut(Schema):
    items = List(Nested(RateOut))


class UnsignedQuery(StrictSchema):
    department_id = Integer(validate=Range(min=1, max=2**31 - 1))
    page = Integer(load_default=1, validate=Range(min=1, max=10_000))
    per_page = Integer(load_default=50, validate=Range(min=1, max=200))


class UnsignedPersonOut(Schema):
    name = String()
    employee_no = String()
    department = String(attribute="department.name")


class UnsignedOut(Schema):
    items = List(Nested(UnsignedPersonOut))
    meta = Nested(PageMeta)


class QueuedOut(Schema):
    queued = Integer()

