"""Thin wrappers over wechatpy (mini-program, WeCom application) and the WeCom group robot."""

from __future__ import annotations

import json
import logging
import re
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


# Credentials that travel in query strings (robot webhook key, access token, app secrets) and so appear
# in requests' error messages, which end up in the outbox, logs and admin notices.
_SECRET_PARAMETER = re.compile(r"(?<![A-Za-z0-9_])(key|access_token|corpsecret|secret)=[^&\s'\"()]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the values of secret query parameters replaced by ``***``."""
    return _SECRET_PARAMETER.sub(r"\1=***", text)


def _wrap(exc: Exception) -> WeChatError:
    if isinstance(exc, WeChatClientException):
        status = exc.response.status_code if exc.response is not None else None
        errmsg = str(exc.errmsg) if exc.errmsg else f"接口返回 HTTP {status if status is not None else '错误'}"
        return WeChatError(exc.errcode, redact(errmsg), http_status=status)
    return WeChatError(None, redact(f"网络错误（{type(exc).__name__}）：{exc}"))


@dataclass(frozen=True)
class CodeSession:
    openid: str
    session_key: str
    unionid: str | None


class _SandboxableMiniProgramClient(MiniProgramWeChatClient):
    """wechatpy's client with every base URL, token endpoint included, taken from config."""

    def __init__(self, appid: str, secret: str, base: str, **kwargs: Any) -> None:
        super().__init__(appid, secret, **kwargs)
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{base}/"
        self._token_url = f"{base}/cgi-bin/token"

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=self._token_url,
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class _SandboxableWorkClient(WorkWeChatClient):
    def __init__(self, corp_id: str, secret: str, base: str, **kwargs: Any) -> None:
        super().__init__(corp_id, secret, **kwargs)
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self._token_url = f"{base}/cgi-bin/gettoken"

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=self._token_url, params={"corpid": self.corp_id, "corpsecret": self.secret}
        )


class MiniProgram:
    """What the project needs from the mini-program platform."""

    def __init__(self, client: _SandboxableMiniProgramClient) -> None:
        self._client = client

    def code_to_session(self, js_code: str) -> CodeSession:
        try:
            data = self._client.wxa.code_to_session(js_code)
        except (WeChatClientException, requests.RequestException) as exc:
            raise _wrap(exc) from exc
        return CodeSession(openid=data["openid"], session_key=data["session_key"], unionid=data.get("unionid"))

    def get_unlimited_code(self, scene: str, page: str | None = None, width: int = 430) -> bytes:
        """A mini-program code image (wxacode.getUnlimited) as PNG bytes."""
        try:
            response = self._client.wxa.get_wxa_code_unlimited(scene, width=width, page=page)
        except (WeChatClientException, requests.RequestException) as exc:
            raise _wrap(exc) from exc
        if isinstance(response, dict):  # an errcode answered as JSON with errcode 0 is not an image
            raise WeChatError(response.get("errcode"), str(response.get("errmsg", "not an image")))
        return response.content

    def msg_sec_check(self, openid: str, content: str, scene: int = 2) -> str:
        """Content security check (v2). Returns the suggestion: ``pass``, ``review`` or ``risky``."""
        payload = {"content": content, "version": 2, "scene": scene, "openid": openid}
        try:
            data = self._client.post("wxa/msg_sec_check", data=payload, api_base_url=self._client.wxa.API_BASE_URL)
        except (WeChatClientException, requests.RequestException) as exc:
            raise _wrap(exc) from exc
        return data["result"]["suggest"]


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
        try:
            result = self._client.media.upload(media_type, (filename, content, mimetype))
        except (WeChatClientException, requests.RequestException) as exc:
            raise _wrap(exc) from exc
        media_id = result.get("media_id") if isinstance(result, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise WeChatError(None, "media/upload answered without a media_id", http_status=200)
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
        try:
            result = self._client.post(endpoint, data=body)
        except (WeChatClientException, requests.RequestException) as exc:
            raise _wrap(exc) from exc
        if not isinstance(result, dict):  # wechatpy hands back the raw response when it is not JSON
            status = getattr(result, "status_code", None)
            raise WeChatError(None, f"{endpoint} 返回的不是 JSON 对象", http_status=status or 200)
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
            raise WeChatError(None, "群机器人接口返回的不是有效的 JSON", http_status=response.status_code) from exc
        if not isinstance(data, dict):
            raise WeChatError(None, "群机器人接口返回的 JSON 不是对象", http_status=response.status_code)
        if data.get("errcode", 0) != 0:
            raise WeChatError(int(data["errcode"]), str(data.get("errmsg", "")))
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
