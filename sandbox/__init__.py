"""The WeChat sandbox: a small HTTP server that plays the official WeChat and WeCom endpoints.

It answers with the real response shapes, error codes and limits, records every message it accepts,
and can be told to fail on purpose. Tests, benchmarks and the offline demo talk to it over real HTTP.

Control endpoints (not part of WeChat):
- ``GET /_sandbox/messages`` lists accepted messages; ``DELETE`` clears them.
- ``POST /_sandbox/faults`` adds a fault, ``GET`` lists, ``DELETE`` clears. A fault is
  ``{"kind": "http_503" | "timeout" | "errcode" | "body", "errcode": 45009, "errmsg": "...", "count": 3,
  "path": "cgi-bin/webhook/send", "delay": 10, "then": "drop" | "process", "body": "[]", "status": 200}``;
  ``count`` omitted means until cleared, ``path`` is a prefix of the request path without the leading
  slash. ``body`` answers the raw ``body`` text with HTTP ``status`` (JSON content type), e.g. a JSON
  array or a non-numeric errcode where WeChat would send an object; the message is not recorded.
- ``GET /_sandbox/stats`` counts requests by path and rejected messages by errcode.
- ``GET /_sandbox/media/<media_id>`` answers the bytes uploaded to ``cgi-bin/media/upload`` under that id
  (404 when unknown), so a test can check the image a message referred to.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import qrcode
from flask import Flask, Response, jsonify, request

# The documented limits.
ROBOT_LIMIT_PER_WINDOW = 20
ROBOT_WINDOW_SECONDS = 60.0
APP_MESSAGE_LIMIT_PER_USER = 30
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
SCENE_MAX_CHARS = 32
TOKEN_TTL_SECONDS = 7200
# media/upload: temporary media live three days; an image is a JPG or PNG of at most 2 MB.
MEDIA_TYPES = ("image", "voice", "video", "file")
MEDIA_TTL_SECONDS = 3 * 24 * 3600
MEDIA_MIN_BYTES = 5
IMAGE_MAX_BYTES = 2 * 1024 * 1024
SIZE_ERRCODES = {"image": 40009, "voice": 40010, "video": 40011, "file": 40006}
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass
class SandboxSettings:
    wechat_appid: str = ""
    wechat_secret: str = ""
    wecom_corp_id: str = ""
    wecom_secret: str = ""
    robot_limit: int = ROBOT_LIMIT_PER_WINDOW
    robot_window: float = ROBOT_WINDOW_SECONDS
    app_message_limit: int = APP_MESSAGE_LIMIT_PER_USER
    app_message_window: float = 60.0
    risky_words: list[str] = field(default_factory=lambda: ["赌博", "诈骗", "毒品"])
    review_words: list[str] = field(default_factory=lambda: ["敏感", "待审"])


@dataclass
class Fault:
    kind: str
    path: str = ""
    count: int | None = None
    errcode: int = -1
    errmsg: str = "system error"
    delay: float = 10.0
    then: str = "drop"
    body: str = ""
    status: int = 200

    def matches(self, path: str) -> bool:
        return path.startswith(self.path) and (self.count is None or self.count > 0)


@dataclass(frozen=True)
class Media:
    media_type: str
    filename: str
    content_type: str
    content: bytes
    expires_at: float


class SandboxState:
    """Everything the sandbox remembers; guarded by one lock since the server is threaded."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (owner, expires_at)
        self.faults: list[Fault] = []
        self.robot_sends: dict[str, deque[float]] = defaultdict(deque)
        self.user_sends: dict[str, deque[float]] = defaultdict(deque)
        self.requests: dict[str, int] = defaultdict(int)
        self.rejections: dict[int, int] = defaultdict(int)
        self.media: dict[str, Media] = {}
        self.sequence = 0

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(path):
                    if fault.count is not None:
                        fault.count -= 1
                    return fault
        return None

    def issue_token(self, owner: str) -> str:
        token = secrets.token_hex(24)
        with self.lock:
            self.tokens[token] = (owner, time.monotonic() + TOKEN_TTL_SECONDS)
        return token

    def token_owner(self, token: str | None) -> str | None:
        with self.lock:
            entry = self.tokens.get(token or "")
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def within_limit(self, sends: dict[str, deque[float]], key: str, limit: int, window: float) -> bool:
        """Sliding window: at most ``limit`` accepted sends in any ``window`` seconds."""
        now = time.monotonic()
        with self.lock:
            stamps = sends[key]
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= limit:
                return False
            stamps.append(now)
            return True

    def record(self, channel: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.sequence += 1
            message = {
                "id": self.sequence,
                "channel": channel,
                "target": target,
                "msgtype": body.get("msgtype"),
                "body": body,
                "received_at": time.time(),
            }
            self.messages.append(message)
        return message

    def reject(self, errcode: int) -> None:
        with self.lock:
            self.rejections[errcode] += 1

    def store_media(self, media: Media) -> str:
        media_id = f"sandbox-media-{secrets.token_hex(12)}"
        with self.lock:
            self.media[media_id] = media
        return media_id

    def live_media(self, media_id: object) -> Media | None:
        with self.lock:
            media = self.media.get(media_id) if isinstance(media_id, str) else None
        return media if media is not None and media.expires_at > time.monotonic() else None


def _err(errcode: int, errmsg: str, **extra: Any) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg, **extra})


def _ok(**extra: Any) -> Response:
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def _json_body() -> dict[str, Any] | None:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else None


def _content_length_error(body: dict[str, Any]) -> Response | None:
    """WeCom's size limits for text and markdown content, counted in UTF-8 bytes."""
    msgtype = body.get("msgtype")
    section = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype not in {"text", "markdown", "image", "news", "file", "textcard", "template_card", "markdown_v2"}:
        return _err(40008, "invalid message type")
    if not isinstance(section, dict):
        return _err(44004, "empty content")
    if msgtype in {"text", "markdown"}:
        content = section.get("content")
        if not isinstance(content, str) or not content:
            return _err(44004, "empty content")
        limit = TEXT_MAX_BYTES if msgtype == "text" else MARKDOWN_MAX_BYTES
        if len(content.encode("utf-8")) > limit:
            return _err(40058, f"{msgtype}.content exceed max length {limit}")
    return None


def _media_error(state: SandboxState, body: dict[str, Any]) -> Response | None:
    """Image, voice, video and file messages must name a media_id that media/upload issued and is still live."""
    msgtype = body.get("msgtype")
    if msgtype not in MEDIA_TYPES:
        return None
    media = state.live_media(body[msgtype].get("media_id"))
    if media is None or media.media_type != msgtype:
        return _err(40007, "invalid media_id")
    return None


def _png(text: str, size: int) -> bytes:
    image = qrcode.make(text, box_size=8, border=2).get_image().convert("RGB")
    image = image.resize((size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def create_sandbox_app(settings: SandboxSettings | None = None) -> Flask:
    settings = settings or SandboxSettings()
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    state = SandboxState(settings)
    app.extensions["sandbox_state"] = state

    @app.before_request
    def apply_faults():
        path = request.path.lstrip("/")
        if path.startswith("_sandbox"):
            return None
        with state.lock:
            state.requests[path] += 1
        fault = state.take_fault(path)
        if fault is None:
            return None
        if fault.kind == "http_503":
            return Response("Service Unavailable", status=503)
        if fault.kind == "errcode":
            state.reject(fault.errcode)
            return _err(fault.errcode, fault.errmsg)
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            if fault.then == "process":
                return None  # slow, but the message still arrives (the client has given up)
            return Response("Gateway Timeout", status=504)
        if fault.kind == "body":
            return Response(fault.body, status=fault.status, mimetype="application/json")
        return None

    # ---- control endpoints -------------------------------------------------------------------------

    @app.get("/_sandbox/messages")
    def list_messages():
        channel = request.args.get("channel")
        target = request.args.get("target")
        with state.lock:
            messages = [
                m
                for m in state.messages
                if (channel is None or m["channel"] == channel) and (target is None or m["target"] == target)
            ]
        return jsonify({"messages": messages, "count": len(messages)})

    @app.delete("/_sandbox/messages")
    def clear_messages():
        with state.lock:
            state.messages.clear()
            state.robot_sends.clear()
            state.user_sends.clear()
            state.rejections.clear()
            state.requests.clear()
            state.media.clear()
        return jsonify({"cleared": True})

    @app.post("/_sandbox/faults")
    def add_fault():
        data = _json_body() or {}
        kind = data.get("kind")
        if kind not in {"http_503", "timeout", "errcode", "body"}:
            return jsonify({"error": "kind must be http_503, timeout, errcode or body"}), 400
        fault = Fault(
            kind=kind,
            path=str(data.get("path", "")).lstrip("/"),
            count=int(data["count"]) if data.get("count") is not None else None,
            errcode=int(data.get("errcode", -1)),
            errmsg=str(data.get("errmsg", "system error")),
            delay=float(data.get("delay", 10.0)),
            then=str(data.get("then", "drop")),
            body=str(data.get("body", "")),
            status=int(data.get("status", 200)),
        )
        with state.lock:
            state.faults.append(fault)
        return jsonify({"added": fault.__dict__}), 201

    @app.get("/_sandbox/faults")
    def list_faults():
        with state.lock:
            return jsonify({"faults": [f.__dict__ for f in state.faults]})

    @app.delete("/_sandbox/faults")
    def clear_faults():
        with state.lock:
            state.faults.clear()
        return jsonify({"cleared": True})

    @app.get("/_sandbox/media/<media_id>")
    def media_content(media_id: str):
        with state.lock:
            media = state.media.get(media_id)
        if media is None:
            return jsonify({"error": "unknown media_id"}), 404
        return Response(media.content, mimetype=media.content_type)

    @app.get("/_sandbox/stats")
    def stats():
        with state.lock:
            return jsonify({"requests": dict(state.requests), "rejections": dict(state.rejections)})

    # ---- mini-program (api.weixin.qq.com) ----------------------------------------------------------

    @app.get("/cgi-bin/token")
    def miniprogram_token():
        appid, secret = request.args.get("appid", ""), request.args.get("secret", "")
        if request.args.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        if not appid or (settings.wechat_appid and appid != settings.wechat_appid):
            return _err(40013, "invalid appid")
        if not secret or (settings.wechat_secret and secret != settings.wechat_secret):
            return _err(40125, "invalid appsecret")
        return jsonify({"access_token": state.issue_token(f"mp:{appid}"), "expires_in": TOKEN_TTL_SECONDS})

    @app.get("/sns/jscode2session")
    def jscode2session():
        appid, secret = request.args.get("appid", ""), request.args.get("secret", "")
        if not appid or (settings.wechat_appid and appid != settings.wechat_appid):
            return _err(40013, "invalid appid")
        if not secret or (settings.wechat_secret and secret != settings.wechat_secret):
            return _err(40125, "invalid appsecret")
        code = request.args.get("js_code", "")
        if not code.startswith("test:") or len(code) <= len("test:"):
            return _err(40029, "invalid code")
        openid = code[len("test:"):]
        session_key = hashlib.sha256(f"{openid}:{time.time_ns()}".encode()).hexdigest()[:24]
        return jsonify({"openid": openid, "session_key": session_key, "unionid": f"union-{openid}"})

    def _mp_token_error() -> Response | None:
        token = request.args.get("access_token")
        if not token:
            return _err(41001, "access_token missing")
        owner = state.token_owner(token)
        if owner is None or not owner.startswith("mp:"):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        return None

    @app.post("/wxa/getwxacodeunlimit")
    def wxacode_unlimited():
        if (error := _mp_token_error()) is not None:
            return error
        body = _json_body()
        if body is None:
            return _err(47001, "data format error")
        scene = body.get("scene")
        if not isinstance(scene, str) or not scene or len(scene) > SCENE_MAX_CHARS:
            return _err(40169, "invalid length for scene, or the data is not json string")
        width = int(body.get("width", 430) or 430)
        width = max(280, min(width, 1280))
        page = body.get("page") or "pages/index/index"
        return Response(_png(f"wxacode:{page}?scene={scene}", width), mimetype="image/png")

    @app.post("/wxa/msg_sec_check")
    def msg_sec_check():
        if (error := _mp_token_error()) is not None:
            return error
        body = _json_body()
        if body is None or not isinstance(body.get("content"), str):
            return _err(47001, "data format error")
        if body.get("version") != 2:
            return _err(40097, "invalid args: version must be 2")
        if not body.get("openid"):
            return _err(40003, "invalid openid")
        if body.get("scene") not in (1, 2, 3, 4):
            return _err(40097, "invalid args: scene")
        content = body["content"]
        hit = next((w for w in settings.risky_words if w in content), None)
        suggest, label = ("risky", 20001) if hit else ("pass", 100)
        if not hit:
            hit = next((w for w in settings.review_words if w in content), None)
            if hit:
                suggest, label = "review", 21000
        detail = [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}]
        if hit:
            detail[0]["keyword"] = hit
        return _ok(result={"suggest": suggest, "label": label}, detail=detail, trace_id=secrets.token_hex(8))

    # ---- WeCom (qyapi.weixin.qq.com) ----------------------------------------------------------------

    @app.get("/cgi-bin/gettoken")
    def wecom_token():
        corpid, corpsecret = request.args.get("corpid", ""), request.args.get("corpsecret", "")
        if not corpid or (settings.wecom_corp_id and corpid != settings.wecom_corp_id):
            return _err(40013, "invalid corpid")
        if not corpsecret or (settings.wecom_secret and corpsecret != settings.wecom_secret):
            return _err(40001, "invalid credential")
        return _ok(access_token=state.issue_token(f"work:{corpid}"), expires_in=TOKEN_TTL_SECONDS)

    def _work_token_error() -> Response | None:
        token = request.args.get("access_token")
        if not token:
            return _err(41001, "access_token missing")
        owner = state.token_owner(token)
        if owner is None or not owner.startswith("work:"):
            return _err(40014, "invalid access_token")
        return None

    @app.post("/cgi-bin/message/send")
    def app_message_send():
        if (error := _work_token_error()) is not None:
            return error
        body = _json_body()
        if body is None:
            return _err(47001, "data format error")
        if not body.get("agentid"):
            return _err(40056, "invalid agentid")
        if not any(body.get(k) for k in ("touser", "toparty", "totag")):
            return _err(40035, "invalid args: touser, toparty and totag are all empty")
        if (error := _content_length_error(body) or _media_error(state, body)) is not None:
            return error
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        if len(users) > 1000:
            return _err(40035, "too many users")
        for user in users if users != ["@all"] else []:
            if not state.within_limit(
                state.user_sends, user, settings.app_message_limit, settings.app_message_window
            ):
                state.reject(45009)
                return _err(45009, "api freq out of limit")
        target = "|".join(f"{k}:{body[k]}" for k in ("touser", "toparty", "totag") if body.get(k))
        message = state.record("app", target, body)
        return _ok(invaliduser="", invalidparty="", invalidtag="", msgid=f"sandbox-{message['id']}")

    @app.post("/cgi-bin/appchat/send")
    def appchat_send():
        if (error := _work_token_error()) is not None:
            return error
        body = _json_body()
        if body is None:
            return _err(47001, "data format error")
        chatid = body.get("chatid")
        if not chatid:
            return _err(86001, "chatid is empty")
        if (error := _content_length_error(body) or _media_error(state, body)) is not None:
            return error
        state.record("appchat", str(chatid), body)
        return _ok()

    @app.post("/cgi-bin/media/upload")
    def media_upload():
        """Temporary media (上传临时素材): multipart field ``media``; answers a media_id valid for three days."""
        if (error := _work_token_error()) is not None:
            return error
        media_type = request.args.get("type", "")
        if media_type not in MEDIA_TYPES:
            return _err(40004, "invalid media type")
        upload = request.files.get("media")
        if upload is None:
            return _err(41005, "media data missing")
        content = upload.read()
        if not content:
            return _err(44001, "empty media data")
        if len(content) < MEDIA_MIN_BYTES:
            return _err(SIZE_ERRCODES[media_type], "invalid file size")
        if media_type == "image":
            if len(content) > IMAGE_MAX_BYTES:
                return _err(40009, "invalid image size")
            if not content.startswith(IMAGE_SIGNATURES):
                return _err(40005, "invalid file type")
        media = Media(
            media_type=media_type,
            filename=upload.filename or "",
            content_type="image/png" if content.startswith(IMAGE_SIGNATURES[0]) else (
                "image/jpeg" if content.startswith(IMAGE_SIGNATURES[1]) else "application/octet-stream"
            ),
            content=content,
            expires_at=time.monotonic() + MEDIA_TTL_SECONDS,
        )
        return _ok(type=media_type, media_id=state.store_media(media), created_at=str(int(time.time())))

    @app.post("/cgi-bin/webhook/send")
    def webhook_send():
        key = request.args.get("key", "")
        if not key:
            return _err(93000, "invalid webhook url")
        body = _json_body()
        if body is None:
            return _err(40001, "invalid json")
        if (error := _content_length_error(body)) is not None:
            return error
        if not state.within_limit(state.robot_sends, key, settings.robot_limit, settings.robot_window):
            state.reject(45009)
            return _err(45009, "api freq out of limit")
        state.record("robot", key, body)
        return _ok()

    from sandbox import wecom_oauth

    wecom_oauth.register(app, state, settings)

    @app.errorhandler(404)
    def not_found(_exc):
        return _err(404, "api not found"), 404

    return app
