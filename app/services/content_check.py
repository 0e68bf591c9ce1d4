"""Text people write (proof notes, reflections, submitted works) goes through WeChat's content-security
check (msg_sec_check v2) before it is stored: one place decides what its verdict means."""

from __future__ import annotations

from flask import current_app

from app.errors import AppError, UpstreamUnavailable
from app.wechat import WeChatError, get_miniprogram

PASSED = "passed"
HELD = "held"  # WeChat says "review": stored, and an admin reads it before it counts


def check_text(openid: str, text: str, refusal: type[AppError]) -> str:
    """``PASSED`` or ``HELD``; ``refusal`` is raised for "risky" text, 503 when WeChat cannot answer."""
    try:
        suggest = get_miniprogram().msg_sec_check(openid, text)
    except WeChatError as exc:
        current_app.logger.warning("msg_sec_check failed: %s", exc)
        raise UpstreamUnavailable("内容安全检测暂时不可用，请稍后重新提交") from exc
    if suggest == "risky":
        raise refusal()
    return HELD if suggest == "review" else PASSED
