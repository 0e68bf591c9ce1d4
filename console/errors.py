"""Chinese HTML error pages for everything under /console; the rest of the app keeps its JSON errors.

Routing errors (404, 405) and errors raised outside a view never reach a blueprint's handlers, so the
console wraps the app's own handlers and answers with a page only for console paths."""

from __future__ import annotations

import logging

from apiflask.exceptions import HTTPError
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import AppError
from console.security import is_console_request

logger = logging.getLogger(__name__)

PAGES: dict[int, tuple[str, str]] = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页检查后重试。"),
    401: ("请先登录", "请登录后再访问。"),
    403: ("没有权限", "您的角色不能查看或修改这里的内容。如需权限，请联系创建办。"),
    404: ("页面不存在", "您访问的页面或记录不存在，可能已被删除。"),
    405: ("不支持的操作", "该页面不支持这种请求方式，请从页面上的按钮操作。"),
    409: ("操作冲突", "该操作与当前状态冲突，请刷新页面后重试。"),
    413: ("内容过大", "上传的文件或提交的内容超过了大小限制，没有保存任何内容。请缩小文件后重试。"),
    429: ("操作过于频繁", "请求过于频繁，请稍后再试。"),
    500: ("系统出错了", "服务器处理时出现问题，已记录日志。请稍后重试，或联系管理员。"),
    503: ("服务暂时不可用", "依赖的服务暂时不可用，请稍后重试。"),
}


def error_page(status: int, message: str | None = None, headers=None):
    title, default = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    body = render_template("console/error.html", status=status, title=title, message=message or default)
    return body, status, headers or {}


def init_app(app: Flask) -> None:
    handlers = app.error_handler_spec[None][None]
    json_http = handlers.get(HTTPException)
    json_unexpected = handlers.get(Exception)
    json_app_error = handlers.get(HTTPError)

    @app.errorhandler(HTTPError)
    def app_error(exc: HTTPError):
        # A service's AppError (or APIFlask's HTTPError) that a console view did not turn into a form error.
        if not is_console_request():
            return json_app_error(exc)
        return error_page(exc.status_code, exc.message if isinstance(exc, AppError) else None)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not is_console_request():
            return json_http(exc) if json_http else exc
        if isinstance(exc, CSRFError):
            return error_page(400, "页面已过期或请求来源无效，请刷新页面后重试。")
        headers = {"Allow": exc.valid_methods and ", ".join(exc.valid_methods)} if exc.code == 405 and getattr(exc, "valid_methods", None) else None
        if exc.code == 429:
            headers = {k: v for k, v in exc.get_headers() if k.lower() == "retry-after"} or None
        return error_page(exc.code or 500, headers=headers)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if not is_console_request():
            return json_unexpected(exc) if json_unexpected else error_page(500)
        logger.exception("unhandled console error")
        return error_page(500)
