"""The mini-program platform (api.weixin.qq.com): token, login, mini-program codes, content check, phone."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import time

import qrcode
from flask import Blueprint, Response, jsonify, request

from sandbox.answers import err, json_body, ok, token_appid, token_error
from sandbox.state import SCENE_MAX_CHARS, TOKEN_TTL_SECONDS, current_state

bp = Blueprint("sandbox_miniprogram", __name__)

# getuserphonenumber: a code ``phone:<number>`` stands for the number the person's WeChat verified.
PHONE_CODE = re.compile(r"phone:(?:\+(?P<country>\d{1,3})[ -]?)?(?P<number>\d{5,15})")


def _credentials_error() -> Response | None:
    settings = current_state().settings
    appid, secret = request.args.get("appid", ""), request.args.get("secret", "")
    if not appid or (settings.wechat_appid and appid != settings.wechat_appid):
        return err(40013, "invalid appid")
    if not secret or (settings.wechat_secret and secret != settings.wechat_secret):
        return err(40125, "invalid appsecret")
    return None


@bp.get("/cgi-bin/token")
def miniprogram_token():
    if request.args.get("grant_type") != "client_credential":
        return err(40002, "invalid grant_type")
    if (error := _credentials_error()) is not None:
        return error
    token = current_state().issue_token(f"mp:{request.args['appid']}")
    return jsonify({"access_token": token, "expires_in": TOKEN_TTL_SECONDS})


@bp.get("/sns/jscode2session")
def jscode2session():
    if (error := _credentials_error()) is not None:
        return error
    code = request.args.get("js_code", "")
    if not code.startswith("test:") or len(code) <= len("test:"):
        return err(40029, "invalid code")
    openid = code[len("test:"):]
    session_key = hashlib.sha256(f"{openid}:{time.time_ns()}".encode()).hexdigest()[:24]
    return jsonify({"openid": openid, "session_key": session_key, "unionid": f"union-{openid}"})


@bp.post("/wxa/business/getuserphonenumber")
def get_user_phone_number():
    """手机号快速验证: the phone-number button's code, single use, for the number WeChat verified."""
    if (error := token_error("mp")) is not None:
        return error
    body = json_body()
    if body is None or not isinstance(body.get("code"), str):
        return err(47001, "data format error")
    match = PHONE_CODE.fullmatch(body["code"])
    if match is None or not current_state().spend_code(body["code"]):
        return err(40029, "invalid code")
    country, number = match["country"] or "86", match["number"]
    phone_info = {
        "phoneNumber": number if country == "86" else f"+{country}{number}",
        "purePhoneNumber": number,
        "countryCode": country,
        "watermark": {"timestamp": int(time.time()), "appid": token_appid()},
    }
    return ok(phone_info=phone_info)


def _png(text: str, size: int) -> bytes:
    image = qrcode.make(text, box_size=8, border=2).get_image().convert("RGB")
    image = image.resize((size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@bp.post("/wxa/getwxacodeunlimit")
def wxacode_unlimited():
    if (error := token_error("mp")) is not None:
        return error
    body = json_body()
    if body is None:
        return err(47001, "data format error")
    scene = body.get("scene")
    if not isinstance(scene, str) or not scene or len(scene) > SCENE_MAX_CHARS:
        return err(40169, "invalid length for scene, or the data is not json string")
    width = int(body.get("width", 430) or 430)
    width = max(280, min(width, 1280))
    page = body.get("page") or "pages/index/index"
    return Response(_png(f"wxacode:{page}?scene={scene}", width), mimetype="image/png")


@bp.post("/wxa/msg_sec_check")
def msg_sec_check():
    if (error := token_error("mp")) is not None:
        return error
    body = json_body()
    if body is None or not isinstance(body.get("content"), str):
        return err(47001, "data format error")
    if body.get("version") != 2:
        return err(40097, "invalid args: version must be 2")
    if not body.get("openid"):
        return err(40003, "invalid openid")
    if body.get("scene") not in (1, 2, 3, 4):
        return err(40097, "invalid args: scene")
    settings = current_state().settings
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
    return ok(result={"suggest": suggest, "label": label}, detail=detail, trace_id=secrets.token_hex(8))
