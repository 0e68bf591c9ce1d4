"""The ledger's refusals: each with its own code and a Chinese message."""

from __future__ import annotations

from app.errors import AppError, Conflict, Forbidden, NotFound


class PlanNotFound(NotFound):
    code = "plan_not_found"
    message = "该年度还没有创建计划"

    @classmethod
    def for_year(cls, year: int) -> PlanNotFound:
        return cls(f"{year} 年还没有创建计划，请先运行 plan init --year {year}")


class PlanExists(Conflict):
    code = "plan_exists"
    message = "该年度的创建计划已存在"


class InvalidYear(AppError):
    status_code = 422
    code = "invalid_year"
    message = "年度应在 2000 到 2100 之间"


class ItemNotFound(NotFound):
    code = "item_not_found"
    message = "创建计划中没有这个工作项"


class ItemWrongYear(AppError):
    status_code = 422
    code = "item_wrong_year"
    message = "工作项不属于该活动所在年度的计划"


class InvalidFestival(AppError):
    status_code = 422
    code = "invalid_festival"
    message = "节日应为春节、元宵、三月三、清明、端午、中秋或重阳之一"


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "活动不存在"


class NotCheckedIn(Forbidden):
    code = "reflection_requires_checkin"
    message = "签到参加活动后才能撰写感悟"


class RecordLocked(Conflict):
    code = "record_locked"
    message = "活动台账已锁定，感悟不能再修改"


class ReflectionNotFound(NotFound):
    code = "reflection_not_found"
    message = "还没有这篇感悟"


class ReflectionInvalid(AppError):
    status_code = 422
    code = "reflection_invalid"
    message = "感悟应为 1 到 1000 个字"


class ReflectionRejected(AppError):
    status_code = 422
    code = "reflection_rejected"
    message = "感悟含有不适宜发布的内容，请修改后再提交"


class SelectionInvalid(AppError):
    status_code = 422
    code = "reflection_selection_invalid"
    message = "请选择本活动的 1 到 3 篇感悟"


class RecordInvalid(AppError):
    status_code = 422
    code = "record_invalid"
    message = "活动记录有误"


class DocumentTypeNotAllowed(AppError):
    status_code = 415
    code = "document_type_not_allowed"
    message = "只接受 PDF、DOCX、XLSX、JPEG 或 PNG 文件（按文件内容判断）"


class DocumentTooLarge(AppError):
    status_code = 413
    code = "document_too_large"
    message = "文件过大"


class DocumentInvalid(AppError):
    status_code = 422
    code = "document_invalid"
    message = "文件信息有误"


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = "材料不存在或已删除"


class ExportFailed(AppError):
    status_code = 500
    code = "export_failed"
    message = "台账导出失败"
