"""One error family and one JSON shape for every failure: ``{"error": {"code", "message"}}``.

Domain code raises ``AppError`` subclasses with a stable English code and a Chinese message. HTTP
errors from Werkzeug, validation errors from APIFlask and anything unexpected are rendered the same way,
so no endpoint ever answers HTML or a traceback.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class AppError(HTTPError):
    """An error a user can act on. Subclass per case, or raise with explicit arguments."""

    status_code = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.code
        self.message = message or self.message
        super().__init__(
            status_code=status or self.status_code,
            message=self.message,
            extra_data={"code": self.code, **(extra or {})},
        )


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "请求的资源不存在"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "操作与当前状态冲突"


class Unauthorized(AppError):
    status_code = 401
    code = "auth_required"
    message = "请先登录"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "没有权限执行此操作"


class UpstreamUnavailable(AppError):
    status_code = 503
    code = "wechat_unavailable"
    message = "微信服务暂时不可用，请稍后重试"


# Chinese wording and stable codes for the HTTP errors Werkzeug and extensions raise.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式有误"),
    401: ("auth_required", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "无法提供所请求的格式"),
    409: ("conflict", "操作与当前状态冲突"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型，请使用 application/json"),
    422: ("validation_error", "请求参数有误"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后重试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后重试"),
}

# marshmallow's English messages, in Chinese for the people reading them.
_FIELD_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), "必填"),
    (re.compile(r"^Field may not be null\.$"), "不能为空"),
    (re.compile(r"^Unknown field\.$"), "不支持的字段"),
    (re.compile(r"^Not a valid string\.$"), "应为字符串"),
    (re.compile(r"^Not a valid integer\.$"), "应为整数"),
    (re.compile(r"^Not a valid number\.$"), "应为数字"),
    (re.compile(r"^Special numeric values \(nan or infinity\) are not permitted\.$"), "不能是 NaN 或无穷大"),
    (re.compile(r"^Not a valid list\.$"), "应为列表"),
    (re.compile(r"^Not a valid boolean\.$"), "应为布尔值"),
    (re.compile(r"^Not a valid datetime\.$"), "应为 ISO 8601 日期时间"),
    (re.compile(r"^Not a valid date\.$"), "应为 YYYY-MM-DD 日期"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"应为以下之一：\1"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"长度至少为 \1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"长度不能超过 \1"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度应在 \1 到 \2 之间"),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"不能小于 \1"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"不能大于 \1"),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     r"应在 \1 到 \2 之间"),
    (re.compile(r"^Invalid input type\.$"), "请求体应为 JSON 对象"),
    (re.compile(r"^Invalid value\.$"), "取值无效"),
]


def _translate(message: str) -> str:
    for pattern, replacement in _FIELD_MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, str]:
    """APIFlask's detail is ``{location: {field: [messages]}}``; flatten to ``{field: message}``."""
    fields: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                fields[name] = "；".join(_translate(item) for item in value)
            else:
                fields.update(_flatten_fields(value, name))
    elif isinstance(detail, list):
        fields[prefix or "_schema"] = "；".join(_translate(str(item)) for item in detail)
    return fields


def _strip_location(fields: dict[str, str]) -> dict[str, str]:
    locations = ("json.", "query.", "form.", "files.", "path.", "headers.")
    return {next((k[len(p):] for p in locations if k.startswith(p)), k): v for k, v in fields.items()}


def error_body(error: HTTPError) -> tuple[dict[str, Any], int, Any]:
    status = error.status_code
    extra = dict(error.extra_data or {})
    default_code, default_message = HTTP_ERRORS.get(status, ("error", "请求失败"))
    code = extra.pop("code", None) or default_code
    message = error.message if isinstance(error, AppError) else default_message
    body: dict[str, Any] = {"code": code, "message": message}

    if status == 422 or (status == 400 and error.detail):
        fields = _strip_location(_flatten_fields(error.detail))
        if any("Invalid JSON body" in v for v in fields.values()):
            code, message, status, fields = "malformed_json", "请求体不是有效的 JSON", 400, {}
        body = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
            summary = "；".join(f"{name}：{text}" for name, text in sorted(fields.items()))
            body["message"] = f"{message}（{summary}）"
    body.update(extra)
    return {"error": body}, status, error.headers


def init_app(app: APIFlask) -> None:
    app.error_processor(error_body)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        # Errors raised outside APIFlask's view wrapper (routing 404/405, 413 while reading the body,
        # Flask-Limiter's 429) arrive here; render them through the same processor.
        headers = dict(exc.get_headers()) if exc.code in (405, 429) else {}
        headers.pop("Content-Type", None)
        detail = (getattr(exc, "data", None) or {}).get("messages", {})  # webargs puts parse errors here
        return error_body(HTTPError(exc.code or 500, detail=detail, headers=headers or None))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        logger.exception("unhandled error")
        return error_body(HTTPError(500))
