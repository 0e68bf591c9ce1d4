"""Images sent through the outbox: rendered and uploaded by the dispatcher when the row is sent.

A WeCom image message names a ``media_id`` from ``media/upload``, valid for three days. A row may wait
(rate limits, back-off, an outage) and a dead row may be requeued days later, so the row stores *what
to render* — ``{"msgtype": "image", "image": {"render": {"kind": ..., ...}}}`` — never a media_id. At
send time the dispatcher renders the PNG, uploads it and sends ``{"msgtype": "image", "image":
{"media_id": ...}}`` in the same attempt; a failed upload is a failed attempt like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.models.events import DIRECTIONS
from app.services.posters import render_printed_code
from app.wechat import get_work


class Unrenderable(Exception):
    """A render request that can never succeed (unknown kind, bad parameters): the row is dead at once."""


def _checkin_code(params: dict[str, Any]) -> tuple[str, bytes]:
    event_id, direction = params.get("event_id"), params.get("direction")
    if not isinstance(event_id, int) or isinstance(event_id, bool) or event_id < 1 or direction not in DIRECTIONS:
        raise Unrenderable(f"签到码参数无效：{params}")
    return f"checkin-{event_id}-{direction}.png", render_printed_code(event_id, direction)


# kind -> renderer(params) -> (file name, PNG bytes)
RENDERERS: dict[str, Callable[[dict[str, Any]], tuple[str, bytes]]] = {"checkin-code": _checkin_code}


def rendered_image(kind: str, **params: Any) -> dict[str, Any]:
    """An image payload the dispatcher renders and uploads at send time (application messages and app chats)."""
    if kind not in RENDERERS:
        raise ValueError(f"unknown image kind {kind!r}")
    return {"msgtype": "image", "image": {"render": {"kind": kind, **params}}}


def resolve(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` ready for WeCom: a rendered image is drawn and uploaded; anything else is unchanged."""
    image = payload.get("image") if payload.get("msgtype") == "image" else None
    spec = image.get("render") if isinstance(image, dict) else None
    if spec is None:
        return payload
    renderer = RENDERERS.get(spec.get("kind")) if isinstance(spec, dict) else None
    if renderer is None:
        raise Unrenderable(f"未知的图片类型：{spec}")
    filename, content = renderer({k: v for k, v in spec.items() if k != "kind"})
    media_id = get_work().upload_media("image", filename, content, "image/png")
    return {"msgtype": "image", "image": {"media_id": media_id}}
