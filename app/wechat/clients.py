"""Thin wrappers over wechatpy (mini-program, WeCom application) and the WeCom group robot."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, current_app
from wechatpy.client import WeChatClient as MiniProgramWeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.work.client import WeChatClient as WorkWeChatClient

from app.extensions import db
from config import OFFICIAL_WECHAT_API_BASE, OFFICIAL_WECOM_API_BASE
from app.wechat.storage import DatabaseStorage

logger = logging.getLogger(__name__)

_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

# errcodes worth retrying later: system busy and frequency limits.
TRANSIENT_ERRCODES = {-1, 45009, 45011, 45033}


class WeChatError(Exception):
    """A failed WeChat/WeCom call. ``errcode`` is None for network and HTTP-level failures."""

    def __init__(self, errcode: int | None, errmsg: str, *, http_status: int | None = None) -> None:
        # Admins read this (outbox status, the failure notice): our framing in Chinese, WeChat's errmsg as is.
        super().__init__(f"错误码 {errcode}：{errmsg}" if errcode is not None else errmsg)
        self.errcode = errcode
        self.errmsg = errmsg
        self.http_status = http_status

    @property
    def transient(self) -> bool:
        """Network errors, 5xx and rate/busy errcodes may succeed on retry; the rest will not."""
        if self.errcode is None:
            return self.http_status is None or self.http_status >= 500 or self.http_status == 429
        return self.errcode in TRANSIENT_ERRCODES


class MalformedAnswer(WeChatError):
    """An answer of the wrong shape: HTML, a JSON array or string, an errcode that is not a number, a
    missing or mistyped field. WeChat is not behaving as documented, which is retried like an outage."""

    def __init__(self, message: str, *, http_status: int | None = 200) -> None:
        super().__init__(None, message, http_status=http_status)

    @property
    def transient(self) -> bool:
        return True


# Credentials that travel in query strings (robot webhook key, access token, app secrets) and so appear
# in requests' error messages, which end up in the outbox, logs and admin notices.
_SECRET_PARAMETER = re.compile(r"(?<![A-Za-z0-9_])(key|access_token|corpsecret|secret)=[^&\s'\"()]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the values of secret query parameters replaced by ``***``."""
    return _SECRET_PARAMETER.sub(r"\1=***", text)


def _wrap(exc: Exception) -> WeChatError:
    if isinstance(exc, WeChatError):
        return exc
    if isinstance(exc, ValueError | TypeError | KeyError | AttributeError):
        # wechatpy read an answer of the wrong shape (a non-numeric errcode, a JSON array, no field).
        return MalformedAnswer(redact(f"接口返回的内容格式不正确（{type(exc).__name__}）"))
    if isinstance(exc, WeChatClientException):
        status = exc.response.status_code if exc.response is not None else None
        errmsg = str(exc.errmsg) if exc.errmsg else f"接口返回 HTTP {status if status is not None else '错误'}"
        return WeChatError(exc.errcode, redact(errmsg), http_status=status)
    return WeChatError(None, redact(f"网络错误（{type(exc).__name__}）：{exc}"))


# Everything wechatpy or requests raise on a failed call or an answer it could not read.
_CALL_ERRORS = (WeChatError, WeChatClientException, requests.RequestException, ValueError, TypeError, KeyError,
                AttributeError)


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call wechatpy; every failure, an unreadable answer included, leaves as ``WeChatError``."""
    try:
        return function(*args, **kwargs)
    except _CALL_ERRORS as exc:
        error = _wrap(exc)
        if error is exc:
            raise
        raise error from exc


def _text(data: dict[str, Any], name: str, what: str, *, max_length: int = 128, optional: bool = False) -> str | None:
    """``data[name]`` as a non-empty string of at most ``max_length`` characters, else MalformedAnswer."""
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedAnswer(f"{what} 的回答缺少有效的 {name}")
    return value


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise MalformedAnswer(f"{what} 返回的不是 JSON 对象")
    return data


@dataclass(frozen=True)
class CodeSession:
    openid: str
    session_key: str
    unionid: str | None


@dataclass(frozen=True)
class PhoneNumber:
    """What ``getuserphonenumber`` verified: the number without country code, and the country code."""

    pure_number: str
    country_code: str


_DIGITS = re.compile(r"\d{1,20}")


def _token(data: Any, what: str) -> dict[str, Any]:
    """A token endpoint's answer: an object with a non-empty ``access_token`` and a positive ``expires_in``."""
    data = _object(data, what)
    errcode = data.get("errcode", 0)
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        raise MalformedAnswer(f"{what} 的 errcode 不是数字")
    if errcode != 0:
        raise WeChatError(errcode, redact(str(data.get("errmsg", ""))))
    _text(data, "access_token", what, max_length=2048)
    expires_in = data.get("expires_in", 7200)
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
        raise MalformedAnswer(f"{what} 的 expires_in 无效")
    return data


def _fetch_token(client: Any, url: str, params: dict[str, Any], what: str) -> dict[str, Any]:
    """wechatpy's token fetch, with the answer's shape checked before anything is stored."""
    response = client._http.get(url=url, params=params, timeout=client.timeout)
    if response.status_code != 200:
        raise WeChatError(None, f"{what} 返回 HTTP {response.status_code}", http_status=response.status_code)
    try:
        data = response.json()
    except ValueError as exc:
        raise MalformedAnswer(f"{what} 返回的不是有效的 JSON") from exc
    data = _token(data, what)
    client.session.set(client.access_token_key, data["access_token"], data.get("expires_in", 7200))
    client.expires_at = int(time.time()) + data.get("expires_in", 7200)
    return data


class _SandboxableMiniProgramClient(MiniProgramWeChatClient):
    """wechatpy's client with every base URL, token endpoint included, taken from config."""

    def __init__(self, appid: str, secret: str, base: str, **kwargs: Any) -> None:
        super().__init__(appid, secret, **kwargs)
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{base}/"
        self._token_url = f"{base}/cgi-bin/token"

    def fetch_access_token(self) -> dict[str, Any]:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        return _fetch_token(self, self._token_url, params, "cgi-bin/token")


class _SandboxableWorkClient(WorkWeChatClient):
    def __init__(self, corp_id: str, secret: str, base: str, **kwargs: Any) -> None:
        super().__init__(corp_id, secret, **kwargs)
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self._token_url = f"{base}/cgi-bin/gettoken"

    def fetch_access_token(self) -> dict[str, Any]:
        params = {"corpid": self.corp_id, "corpsecret": self.secret}
        return _fetch_token(self, self._token_url, params, "cgi-bin/gettoken")


class MiniProgram:
    """What the project needs from the mini-program platform."""

    def __init__(self, client: _SandboxableMiniProgramClient) -> None:
        self._client = client

    def code_to_session(self, js_code: str) -> CodeSession:
        data = _object(_call(self._client.wxa.code_to_session, js_code), "jscode2session")
        return CodeSession(
            openid=_text(data, "openid", "jscode2session", max_length=64),
            session_key=_text(data, "session_key", "jscode2session"),
            unionid=_text(data, "unionid", "jscode2session", max_length=64, optional=True),
        )

    def get_phone_number(self, code: str) -> PhoneNumber:
        """手机号快速验证 (``wxa/business/getuserphonenumber``): the number the phone-number button's code
        stands for. The answer's watermark must name our appid."""
        what = "getuserphonenumber"
        data = _object(
            _call(self._client.post, "wxa/business/getuserphonenumber", data={"code": code},
                  api_base_url=self._client.wxa.API_BASE_URL),
            what,
        )
        info = _object(data.get("phone_info"), what)
        number = _text(info, "purePhoneNumber", what, max_length=20)
        country = _text(info, "countryCode", what, max_length=4)
        if not _DIGITS.fullmatch(number) or not _DIGITS.fullmatch(country):
            raise MalformedAnswer(f"{what} 的号码格式不正确")
        watermark = info.get("watermark")
        if isinstance(watermark, dict) and watermark.get("appid") not in (None, self._client.appid):
            raise MalformedAnswer(f"{what} 的 watermark 不属于本小程序")
        return PhoneNumber(pure_number=number, country_code=country)

    def get_unlimited_code(self, scene: str, page: str | None = None, width: int = 430) -> bytes:
        """A mini-program code image (wxacode.getUnlimited) as PNG bytes."""
        response = _call(self._client.wxa.get_wxa_code_unlimited, scene, width=width, page=page)
        if isinstance(response, dict):  # an errcode answered as JSON with errcode 0 is not an image
            errcode = response.get("errcode")
            if not isinstance(errcode, int) or errcode == 0:
                raise MalformedAnswer("getwxacodeunlimit 返回的既不是图片也不是错误码")
            raise WeChatError(errcode, str(response.get("errmsg", "not an image")))
        content = getattr(response, "content", None)
        if not isinstance(content, bytes) or not content.startswith(_IMAGE_SIGNATURES):
            raise MalformedAnswer("getwxacodeunlimit 返回的不是图片")
        return content

    def msg_sec_check(self, openid: str, content: str, scene: int = 2) -> str:
        """Content security check (v2). Returns the suggestion: ``pass``, ``review`` or ``risky``."""
        payload = {"content": content, "version": 2, "scene": scene, "openid": openid}
        data = _object(
            _call(self._client.post, "wxa/msg_sec_check", data=payload, api_base_url=self._client.wxa.API_BASE_URL),
            "msg_sec_check",
        )
        result = data.get("result")
        suggest = result.get("suggest") if isinstance(result, dict) else None
        if suggest not in ("pass", "review", "risky"):
            raise MalformedAnswer("msg_sec_check 的回答缺少有效的 suggest")
        return suggest


class Work:
    """What the project needs from the WeCom self-built application."""

    def __init__(self, client: _SandboxableWorkClient, agent_id: int) -> None:
        self._client = client
        self.agent_id = agent_id

    def send_app_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``message/send`` with a full payload (touser/toparty/totag, msgtype, body); agentid is added."""
        return self._post("message/send", {"agentid": self.agent_id, **payload})

    def send_appchat_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._post("appchat/send", payload)

    def upload_media(self, media_type: str, filename: str, content: bytes, mimetype: str) -> str:
        """``media/upload`` (multipart field ``media``): a temporary media_id, valid for three days."""
        result = _call(self._client.media.upload, media_type, (filename, content, mimetype))
        media_id = result.get("media_id") if isinstance(result, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise MalformedAnswer("media/upload 的回答缺少 media_id")
        return media_id

    def user_id_from_code(self, code: str) -> str | None:
        """``auth/getuserinfo``: the member's userid for a code from the QR login or the OAuth redirect
        (valid five minutes, once); None for someone outside the corp (WeCom answers an openid instead)."""
        try:
            result = self._client.get("auth/getuserinfo", params={"code": code})
        except (WeChatClientException, requests.RequestException) as exc:
            raise _wrap(exc) from exc
        if not isinstance(result, dict):
            raise WeChatError(None, "auth/getuserinfo 返回的不是 JSON 对象", http_status=200)
        userid = result.get("userid")
        return userid if isinstance(userid, str) and userid else None

    def _post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        # wechatpy hands back the raw response when it is not JSON, and raises for a non-zero errcode
        result = _object(_call(self._client.post, endpoint, data=body), endpoint)
        if result.get("errcode") != 0:
            raise MalformedAnswer(f"{endpoint} 的回答缺少 errcode")
        return result


class Robot:
    """The WeCom group-robot webhook (wechatpy has no client for it)."""

    def __init__(self, base: str, timeout: float) -> None:
        self.url = f"{base}/cgi-bin/webhook/send"
        self.timeout = timeout
        self._http = requests.Session()

    def send(self, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(
                self.url,
                params={"key": key},
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise _wrap(exc) from exc
        if response.status_code != 200:
            raise WeChatError(None, f"群机器人接口返回 HTTP {response.status_code}", http_status=response.status_code)
        try:
            data = response.json()
        except ValueError as exc:
            raise MalformedAnswer("群机器人接口返回的不是有效的 JSON") from exc
        if not isinstance(data, dict):
            raise MalformedAnswer("群机器人接口返回的 JSON 不是对象")
        errcode = data.get("errcode", 0)
        if not isinstance(errcode, int) or isinstance(errcode, bool):
            raise MalformedAnswer("群机器人接口返回的 errcode 不是数字")
        if errcode != 0:
            raise WeChatError(errcode, str(data.get("errmsg", "")))
        return data


def _token_storage(app: Flask):
    if app.config.get("REDIS_URL"):
        import redis

        return RedisStorage(redis.Redis.from_url(app.config["REDIS_URL"]), prefix="wenming:wechatpy")
    return DatabaseStorage(db.engine)


def init_app(app: Flask) -> None:
    """Build the clients lazily, once per app, on first use."""
    app.extensions["wechat"] = {}


def _cached(name: str, factory):
    cache = current_app.extensions["wechat"]
    if name not in cache:
        cache[name] = factory(current_app)
    return cache[name]


def get_miniprogram() -> MiniProgram:
    def build(app: Flask) -> MiniProgram:
        base = app.config["WECHAT_API_BASE"] or OFFICIAL_WECHAT_API_BASE
        client = _SandboxableMiniProgramClient(
            app.config["WECHAT_APPID"],
            app.config["WECHAT_SECRET"],
            base,
            session=_token_storage(app),
            timeout=app.config["WECHAT_TIMEOUT"],
        )
        return MiniProgram(client)

    return _cached("miniprogram", build)


def get_work() -> Work:
    def build(app: Flask) -> Work:
        base = app.config["WECHAT_API_BASE"] or OFFICIAL_WECOM_API_BASE
        client = _SandboxableWorkClient(
            app.config["WECOM_CORP_ID"],
            app.config["WECOM_SECRET"],
            base,
            session=_token_storage(app),
            timeout=app.config["WECHAT_TIMEOUT"],
        )
        return Work(client, app.config["WECOM_AGENT_ID"])

    return _cached("work", build)


def get_robot() -> Robot:
    def build(app: Flask) -> Robot:
        base = app.config["WECHAT_API_BASE"] or OFFICIAL_WECOM_API_BASE
        return Robot(base, app.config["WECHAT_TIMEOUT"])

    return _cached("robot", build)
