"""What every sandbox endpoint shares: WeChat's answer shapes, the JSON body and the one token check."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from sandbox.state import current_state


def err(errcode: int, errmsg: str, **extra: Any) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg, **extra})


def ok(**extra: Any) -> Response:
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def json_body() -> dict[str, Any] | None:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else None


# Who issued a token (its owner's prefix) and the errcode WeChat answers for one it does not know.
INVALID_TOKEN = {
    "mp": (40001, "invalid credential, access_token is invalid or not latest"),
    "work": (40014, "invalid access_token"),
}


def token_error(platform: str) -> Response | None:
    """None when the request's ``access_token`` was issued by ``platform`` ("mp" or "work") and is live."""
    token = request.args.get("access_token")
    if not token:
        return err(41001, "access_token missing")
    owner = current_state().token_owner(token)
    if owner is None or not owner.startswith(f"{platform}:"):
        return err(*INVALID_TOKEN[platform])
    return None


def token_appid() -> str:
    """The appid (or corpid) the request's valid access token was issued to."""
    owner = current_state().token_owner(request.args.get("access_token")) or ":"
    return owner.partition(":")[2]
