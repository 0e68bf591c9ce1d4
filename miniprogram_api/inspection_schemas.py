"""Schemas of the 检查考评 endpoints: rounds and score sheets, department checks, rectifications and the
staff survey (which never carries who answered what)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, File, Float, Function, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import url_for

from app.models.inspection import QUESTION_KIND_NAMES, RECT_STATUS_NAMES
from app.models.org import ROLE_ADMIN, ROLE_INSPECTOR
from miniprogram_api.schemas import InputString, StrictSchema


def _points(value) -> float | None:
    return None if value is None else float(value)


def _photo_urls(owner) -> list[str]:
    return [url_for("mp.inspection_photo", photo_id=photo.id) for photo in owner.photos]


# ---- rounds and the score sheet -----------------------------------------------------------------


class RoundIn(StrictSchema):
    year = Integer(required=True, validate=Range(2000, 2100), metadata={"description": "年度（须已有创建计划）"})
    starts_on = Date(required=True, metadata={"description": "检查开始日期"})
    ends_on = Date(required=True, metadata={"description": "检查结束日期"})
    title = InputString(load_default=None, allow_none=True, validate=Length(min=1, max=100),
                        metadata={"description": "标题，默认如 2026年下半年创建工作检查"})
    inspector_ids = List(Integer(validate=Range(1, 2**31 - 1)), load_default=list, validate=Length(max=20),
                         metadata={"description": "检查组成员（staff id，须有检查组或管理员角色）"})


class RoundDetailsIn(StrictSchema):
    title = InputString(load_default=None, allow_none=True, validate=Length(min=1, max=100))
    addressees = InputString(load_default=None, allow_none=True, validate=Length(min=1, max=200),
                             metadata={"description": "通报主送，如 各部门"})
    issuer = InputString(load_default=None, allow_none=True, validate=Length(min=1, max=100),
                         metadata={"description": "通报发文机关"})
    document_no = InputString(load_default=None, allow_none=True, validate=Length(max=50),
                              metadata={"description": "文号，如 文明办〔2026〕5号（空字符串清除）"})


class QuestionsIn(StrictSchema):
    questions = List(Nested("QuestionIn"), required=True, validate=Length(min=1, max=30))


class RoundOut(Schema):
    id = Integer()
    title = String()
    starts_on = Date()
    ends_on = Date()
    status = String(metadata={"description": "draft 草稿 / submitted 已提交 / locked 已锁定"})
    status_name = String()
    addressees = String(metadata={"description": "通报主送"})
    issuer = String(metadata={"description": "通报发文机关"})
    document_no = String(allow_none=True)
    total = Function(lambda r: float(sum((line.score or 0) for line in r.scores)))
    max_total = Function(lambda r: float(sum(line.max_score for line in r.scores)))
    published_at = DateTime(allow_none=True)


class RoundSummaryOut(RoundOut):
    """A round in a list or a score sheet (apispec names each schema class once)."""


class RoundListOut(Schema):
    items = List(Nested(RoundSummaryOut))


class EvidenceOut(Schema):
    status = String(metadata={"description": "台账进度：未开展 / 进行中 / 已达标"})
    missing = String(metadata={"description": "缺少的材料，如 缺少：下半年道德讲堂"})
    events = List(String(), metadata={"description": "计入该项的活动（日期 标题）"})
    targets = List(String(), metadata={"description": "目标与完成情况"})


class ScoreLineOut(Schema):
    number = Integer()
    title = String()
    max_score = Function(lambda line: _points(line.max_score))
    score = Function(lambda line: _points(line.score), allow_none=True)
    findings = String()


class SheetLineOut(Schema):
    number = Integer()
    title = String()
    max_score = Float()
    score = Float(allow_none=True)
    findings = String()
    evidence = Nested(EvidenceOut, allow_none=True)


class SheetOut(Schema):
    round = Nested(RoundSummaryOut)
    items = List(Nested(SheetLineOut))


class ScoreIn(StrictSchema):
    score = Float(load_default=None, allow_none=True, validate=Range(0, 1000),
                    metadata={"description": "得分，不超过该项满分（422 score_over_maximum）"})
    findings = InputString(load_default=None, allow_none=True, validate=Length(max=2000),
                           metadata={"description": "存在问题"})
    max_score = Float(load_default=None, allow_none=True, validate=Range(0, 1000),
                        metadata={"description": "修改该项满分"})


class CorrectionIn(StrictSchema):
    score = Float(required=True, validate=Range(0, 1000))
    reason = InputString(required=True, validate=Length(min=2, max=200), metadata={"description": "更正原因（留痕）"})


# ---- department checks ---------------------------------------------------------------------------


class CheckPointOut(Schema):
    id = Integer()
    position = Integer()
    name = String()


class ChecklistIn(StrictSchema):
    points = List(InputString(validate=Length(min=1, max=50)), required=True, validate=Length(min=1, max=30),
                  metadata={"description": "检查项目，如 整洁、物品摆放、禁烟、卫生间、停车"})


class ChecklistOut(Schema):
    items = List(Nested(CheckPointOut))


class CheckIn(StrictSchema):
    checkpoint_id = Integer(required=True, validate=Range(1, 2**31 - 1))
    department_id = Integer(required=True, validate=Range(1, 2**31 - 1))
    passed = Boolean(required=True, metadata={"description": "是否通过"})
    note = InputString(load_default="", validate=Length(max=500), metadata={"description": "说明"})
    photos = List(File(error_messages={"invalid": "应为图片文件"}), load_default=list,
                  metadata={"description": "0–9 张照片（去除 EXIF/GPS 后保存）"})


class CheckOut(Schema):
    id = Integer()
    checkpoint_id = Integer()
    department_id = Integer()
    passed = Boolean()
    note = String()
    photo_count = Function(lambda check: len(check.photos))
    photo_urls = Function(_photo_urls, metadata={"description": "照片地址（检查组、管理员可看）"})
    checked_at = DateTime()


class DepartmentResultOut(Schema):
    rank = Integer()
    department = String()
    score = Float()
    passed = Integer()
    checked = Integer()
    points = Integer()
    failures = List(String())


class DepartmentResultsOut(Schema):
    items = List(Nested(DepartmentResultOut))


# ---- rectifications ------------------------------------------------------------------------------


class RectificationIn(StrictSchema):
    requirement = InputString(required=True, validate=Length(min=2, max=1000), metadata={"description": "整改要求"})
    responsible = InputString(required=True, validate=Length(min=1, max=32), metadata={"description": "责任人工号"})
    deadline = Date(required=True, metadata={"description": "整改期限（不能早于今天，422 deadline_in_past）"})
    item = Integer(load_default=None, allow_none=True, validate=Range(1, 99), metadata={"description": "工作项编号"})


class RectificationOut(Schema):
    id = Integer()
    round_id = Integer()
    item = Function(lambda r: r.score.number if r.score else None, allow_none=True)
    department = Function(lambda r: r.department.name)
    responsible = Function(lambda r: r.responsible.name)
    requirement = String()
    deadline = Date()
    status = String(metadata={"description": "pending 待整改 / done 已整改 / accepted 已验收"})
    status_name = String()
    evidence_note = String()
    photo_count = Function(lambda r: len(r.photos))
    photo_urls = Function(_photo_urls, metadata={"description": "整改照片地址（检查组、管理员和责任人可看）"})
    returned_reason = String(allow_none=True)
    submitted_at = DateTime(allow_none=True)
    accepted_at = DateTime(allow_none=True)


class RectificationItemOut(RectificationOut):
    """A rectification in a list (apispec names each schema class once)."""


class RectificationListOut(Schema):
    items = List(Nested(RectificationItemOut))


class RectificationQuery(Schema):
    status = String(load_default=None, validate=OneOf(list(RECT_STATUS_NAMES)))
    department_id = Integer(load_default=None, validate=Range(1, 2**31 - 1))


class EvidenceIn(StrictSchema):
    note = InputString(load_default="", validate=Length(max=1000), metadata={"description": "整改情况说明"})
    photos = List(File(error_messages={"invalid": "应为图片文件"}), load_default=list,
                  metadata={"description": "0–9 张整改照片；说明和照片至少有一项"})


class ReasonIn(StrictSchema):
    reason = InputString(required=True, validate=Length(min=2, max=200), metadata={"description": "退回原因"})


# ---- the survey ----------------------------------------------------------------------------------


class QuestionIn(StrictSchema):
    kind = String(required=True, validate=OneOf(list(QUESTION_KIND_NAMES)),
                  metadata={"description": "single 单选 / multiple 多选 / text 简答"})
    text = InputString(required=True, validate=Length(min=1, max=200))
    options = List(InputString(validate=Length(min=1, max=50)), load_default=list, validate=Length(max=10))


class SurveyIn(StrictSchema):
    title = InputString(load_default=None, allow_none=True, validate=Length(min=1, max=100))
    questions = List(Nested(QuestionIn), load_default=None, allow_none=True, validate=Length(min=1, max=30),
                     metadata={"description": "题目；省略时使用默认题目（知晓率、参与、支持、满意度、意见建议）"})


class QuestionOut(Schema):
    id = Integer()
    position = Integer()
    kind = String()
    text = String()
    options = List(String())


class SurveySummaryOut(Schema):
    id = Integer()
    title = String()
    is_open = Boolean()
    answered = Boolean(metadata={"description": "我是否已填写"})
    question_count = Integer()


class SurveyListOut(Schema):
    items = List(Nested(SurveySummaryOut))


class SurveyDetailOut(SurveySummaryOut):
    questions = List(Nested(QuestionOut))


class AnswerIn(StrictSchema):
    question_id = Integer(required=True, validate=Range(1, 2**31 - 1))
    choices = List(Integer(validate=Range(0, 9)), load_default=list, validate=Length(max=10),
                   metadata={"description": "所选选项的序号（从 0 开始）"})
    text = InputString(load_default=None, allow_none=True, validate=Length(max=500))


class AnswersIn(StrictSchema):
    answers = List(Nested(AnswerIn), required=True, validate=Length(min=1, max=30))


class AnsweredOut(Schema):
    survey_id = Integer()
    answered = Boolean()


class QuestionResultOut(Schema):
    position = Function(lambda r: r.question.position)
    kind = Function(lambda r: r.question.kind)
    text = Function(lambda r: r.question.text)
    options = Function(lambda r: [{"option": option, "count": r.counts[i], "share": r.share(i)}
                                  for i, option in enumerate(r.question.options)])
    answered = Integer()
    texts = List(String(), metadata={"description": "简答题的回答（不含作答人）"})


class DepartmentRateOut(Schema):
    department = String()
    answered = Integer()
    headcount = Integer()
    rate = Float()


class SurveyResultsOut(Schema):
    survey_id = Function(lambda r: r.survey.id)
    title = Function(lambda r: r.survey.title)
    responses = Integer()
    headcount = Integer()
    rate = Float()
    questions = List(Nested(QuestionResultOut))
    departments = List(Nested(DepartmentRateOut))


class TemplateIn(StrictSchema):
    file = File(required=True, metadata={"description": "通报模板 .docx（{{正文}} 处放通报内容）"})


class TemplateOut(Schema):
    saved = Boolean()


INSPECTOR_ROLES = (ROLE_ADMIN, ROLE_INSPECTOR)
