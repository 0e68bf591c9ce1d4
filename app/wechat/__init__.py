"""The one place that talks to WeChat and WeCom.

wechatpy is wrapped here; the rest of the code calls these small functions and catches ``WeChatError``.
Every base URL (including the token endpoints wechatpy hard-codes) comes from ``WECHAT_API_BASE`` so the
project's sandbox can stand in for the official hosts.
"""

from app.wechat.clients import (
    CodeSession,
    MalformedAnswer,
    PhoneNumber,
    WeChatError,
    get_miniprogram,
    get_robot,
    get_work,
    init_app,
)

__all__ = ["CodeSession", "MalformedAnswer", "PhoneNumber", "WeChatError", "get_miniprogram", "get_robot", "get_work", "init_app"]
