"""WeCom (qyapi.weixin.qq.com): token, application and app-chat messages, temporary media, group robots."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, request

from sandbox.answers import err, json_body, ok, token_error
from sandbox.state import (
    IMAGE_MAX_BYTES,
    IMAGE_SIGNATURES,
    MARKDOWN_MAX_BYTES,
    MEDIA_MIN_BYTES,
    MEDIA_TTL_SECONDS,
    MEDIA_TYPES,
    SIZE_ERRCODES,
    TEXT_MAX_BYTES,
    TOKEN_TTL_SECONDS,
    Media,
    current_state,
)

bp = Blueprint("sandbox_wecom", __name__)

MESSAGE_TYPES = {"text", "markdown", "image", "news", "file", "textcard", "template_card", "markdown_v2"}


def _content_error(body: dict[str, Any]) -> Response | None:
    """WeCom's size limits for text and markdown content, counted in UTF-8 bytes."""
    msgtype = body.get("msgtype")
    section = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype not in MESSAGE_TYPES:
        return err(40008, "invalid message type")
    if not isinstance(section, dict):
        return err(44004, "empty content")
    if msgtype in {"text", "markdown"}:
        content = section.get("content")
        if not isinstance(content, str) or not content:
            return err(44004, "empty content")
        limit = TEXT_MAX_BYTES if msgtype == "text" else MARKDOWN_MAX_BYTES
        if len(content.encode("utf-8")) > limit:
            return err(40058, f"{msgtype}.content exceed max length {limit}")
    return None


def _media_error(body: dict[str, Any]) -> Response | None:
    """Image, voice, video and file messages must name a media_id that media/upload issued and is still live."""
    msgtype = body.get("msgtype")
    if msgtype not in MEDIA_TYPES:
        return None
    media = current_state().live_media(body[msgtype].get("media_id"))
    if media is None or media.media_type != msgtype:
        return err(40007, "invalid media_id")
    return None


@bp.get("/cgi-bin/gettoken")
def wecom_token():
    settings = current_state().settings
    corpid, corpsecret = request.args.get("corpid", ""), request.args.get("corpsecret", "")
    if not corpid or (settings.wecom_corp_id and corpid != settings.wecom_corp_id):
        return err(40013, "invalid corpid")
    if not corpsecret or (settings.wecom_secret and corpsecret != settings.wecom_secret):
        return err(40001, "invalid credential")
    return ok(access_token=current_state().issue_token(f"work:{corpid}"), expires_in=TOKEN_TTL_SECONDS)


@bp.post("/cgi-bin/message/send")
def app_message_send():
    if (error := token_error("work")) is not None:
        return error
    body = json_body()
    if body is None:
        return err(47001, "data format error")
    if not body.get("agentid"):
        return err(40056, "invalid agentid")
    if not any(body.get(k) for k in ("touser", "toparty", "totag")):
        return err(40035, "invalid args: touser, toparty and totag are all empty")
    if (error := _content_error(body) or _media_error(body)) is not None:
        return error
    users = [u for u in str(body.get("touser", "")).split("|") if u]
    if len(users) > 1000:
        return err(40035, "too many users")
    state = current_state()
    settings = state.settings
    for user in users if users != ["@all"] else []:
        if not state.within_limit(state.user_sends, user, settings.app_message_limit, settings.app_message_window):
            state.reject(45009)
            return err(45009, "api freq out of limit")
    target = "|".join(f"{k}:{body[k]}" for k in ("touser", "toparty", "totag") if body.get(k))
    message = state.record("app", target, body)
    return ok(invaliduser="", invalidparty="", invalidtag="", msgid=f"sandbox-{message['id']}")


@bp.post("/cgi-bin/appchat/send")
def appchat_send():
    if (error := token_error("work")) is not None:
        return error
    body = json_body()
    if body is None:
        return err(47001, "data format error")
    chatid = body.get("chatid")
    if not chatid:
        return err(86001, "chatid is empty")
    if (error := _content_error(body) or _media_error(body)) is not None:
        return error
    current_state().record("appchat", str(chatid), body)
    return ok()


def _content_type(content: bytes) -> str:
    if content.startswith(IMAGE_SIGNATURES[0]):
        return "image/png"
    if content.startswith(IMAGE_SIGNATURES[1]):
        return "image/jpeg"
    return "application/octet-stream"


@bp.post("/cgi-bin/media/upload")
def media_upload():
    """Temporary media (上传临时素材): multipart field ``media``; answers a media_id valid for three days."""
    if (error := token_error("work")) is not None:
        return error
    media_type = request.args.get("type", "")
    if media_type not in MEDIA_TYPES:
        return err(40004, "invalid media type")
    upload = request.files.get("media")
    if upload is None:
        return err(41005, "media data missing")
    content = upload.read()
    if not content:
        return err(44001, "empty media data")
    if len(content) < MEDIA_MIN_BYTES:
        return err(SIZE_ERRCODES[media_type], "invalid file size")
    if media_type == "image":
        if len(content) > IMAGE_MAX_BYTES:
            return err(40009, "invalid image size")
        if not content.startswith(IMAGE_SIGNATURES):
            return err(40005, "invalid file type")
    media = Media(
        media_type=media_type,
        filename=upload.filename or "",
        content_type=_content_type(content),
        content=content,
        expires_at=time.monotonic() + MEDIA_TTL_SECONDS,
    )
    return ok(type=media_type, media_id=current_state().store_media(media), created_at=str(int(time.time())))


@bp.post("/cgi-bin/webhook/send")
def webhook_send():
    key = request.args.get("key", "")
    if not key:
        return err(93000, "invalid webhook url")
    body = json_body()
    if body is None:
        return err(40001, "invalid json")
    if (error := _content_error(body)) is not None:
        return error
    state = current_state()
    if not state.within_limit(state.robot_sends, key, state.settings.robot_limit, state.settings.robot_window):
        state.reject(45009)
        return err(45009, "api freq out of limit")
    state.record("robot", key, body)
    return ok()
