"""The inspections' refusals: each with its own code and a Chinese message."""

from __future__ import annotations

from app.errors import AppError, Conflict, Forbidden, NotFound


class Invalid(AppError):
    status_code = 422
    code = "inspection_invalid"
    message = "检查信息有误"


class RoundNotFound(NotFound):
    code = "round_not_found"
    message = "检查轮次不存在"


class RoundExists(Conflict):
    code = "round_exists"
    message = "同名的检查轮次已存在"


class RoundLocked(Conflict):
    code = "round_locked"
    message = "检查轮次已锁定，不能再修改"


class RoundNotLocked(Conflict):
    code = "round_not_locked"
    message = "检查轮次锁定后才能更正分数"


class RoundWrongState(Conflict):
    code = "round_wrong_state"
    message = "检查轮次当前状态不允许此操作"


class ScoreItemNotFound(NotFound):
    code = "score_item_not_found"
    message = "评分表中没有这个工作项"


class ScoreOverMaximum(AppError):
    status_code = 422
    code = "score_over_maximum"
    message = "得分超过该项满分"


class ScoresIncomplete(Conflict):
    code = "scores_incomplete"
    message = "还有工作项没有评分，不能提交"


class NotInspector(Forbidden):
    code = "inspector_required"
    message = "此操作仅限检查组成员或管理员"


class CheckPointNotFound(NotFound):
    code = "checkpoint_not_found"
    message = "检查清单中没有这一项"


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = "照片不存在"


class DepartmentNotFound(NotFound):
    code = "department_not_found"
    message = "部门不存在"


class StaffNotFound(NotFound):
    code = "responsible_not_found"
    message = "责任人不在花名册上"


class DeadlineInPast(AppError):
    status_code = 422
    code = "deadline_in_past"
    message = "整改期限不能早于今天"


class RectificationNotFound(NotFound):
    code = "rectification_not_found"
    message = "整改要求不存在"


class NotResponsible(Forbidden):
    code = "not_responsible"
    message = "只有该整改要求的责任人可以提交整改材料"


class RectificationWrongState(Conflict):
    code = "rectification_wrong_state"
    message = "整改要求当前状态不允许此操作"


class EvidenceMissing(AppError):
    status_code = 422
    code = "rectification_evidence_missing"
    message = "请说明整改情况或上传整改照片"


class SurveyNotFound(NotFound):
    code = "survey_not_found"
    message = "问卷不存在"


class SurveyExists(Conflict):
    code = "survey_exists"
    message = "该检查轮次已有问卷"


class SurveyClosed(Conflict):
    code = "survey_closed"
    message = "问卷已结束"


class SurveyAnswered(Conflict):
    code = "survey_already_answered"
    message = "您已经填写过这份问卷，每人只能填写一次"


class SurveyAnswerInvalid(AppError):
    status_code = 422
    code = "survey_answer_invalid"
    message = "问卷答案有误"


class TemplateUnusable(AppError):
    status_code = 500
    code = "report_template_unusable"
    message = "通报模板无法打开，请检查模板文件"
