"""Control endpoints under ``/_sandbox`` (not part of WeChat), and the fault injection they drive."""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from sandbox.answers import err, json_body
from sandbox.state import Fault, current_state

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

FAULT_KINDS = ("http_503", "timeout", "errcode", "body")


@bp.before_app_request
def apply_faults():
    """Count every WeChat request and answer it with the first matching fault, if any."""
    path = request.path.lstrip("/")
    if path.startswith("_sandbox"):
        return None
    state = current_state()
    state.count_request(path)
    fault = state.take_fault(path)
    if fault is None:
        return None
    if fault.kind == "http_503":
        return Response("Service Unavailable", status=503)
    if fault.kind == "errcode":
        state.reject(fault.errcode)
        return err(fault.errcode, fault.errmsg)
    if fault.kind == "timeout":
        time.sleep(fault.delay)
        if fault.then == "process":
            return None  # slow, but the message still arrives (the client has given up)
        return Response("Gateway Timeout", status=504)
    return Response(fault.body, status=fault.status, mimetype="application/json")  # kind == "body"


@bp.get("/messages")
def list_messages():
    messages = current_state().select_messages(request.args.get("channel"), request.args.get("target"))
    return jsonify({"messages": messages, "count": len(messages)})


@bp.delete("/messages")
def reset():
    """Forget everything a test can observe (see ``SandboxState.reset``)."""
    current_state().reset()
    return jsonify({"cleared": True})


@bp.post("/faults")
def add_fault():
    data = json_body() or {}
    if data.get("kind") not in FAULT_KINDS:
        return jsonify({"error": "kind must be http_503, timeout, errcode or body"}), 400
    try:
        fault = Fault(
            kind=data["kind"],
            path=str(data.get("path", "")).lstrip("/"),
            count=int(data["count"]) if data.get("count") is not None else None,
            errcode=int(data.get("errcode", -1)),
            errmsg=str(data.get("errmsg", "system error")),
            delay=float(data.get("delay", 10.0)),
            then=str(data.get("then", "drop")),
            body=str(data.get("body", "")),
            status=int(data.get("status", 200)),
        )
    except (TypeError, ValueError):
        return jsonify({"error": "count, errcode, delay and status must be numbers"}), 400
    current_state().add_fault(fault)
    return jsonify({"added": fault.__dict__}), 201


@bp.get("/faults")
def list_faults():
    state = current_state()
    with state.lock:
        return jsonify({"faults": [f.__dict__ for f in state.faults]})


@bp.delete("/faults")
def clear_faults():
    current_state().clear_faults()
    return jsonify({"cleared": True})


@bp.get("/media/<media_id>")
def media_content(media_id: str):
    media = current_state().stored_media(media_id)
    if media is None:
        return jsonify({"error": "unknown media_id"}), 404
    return Response(media.content, mimetype=media.content_type)


@bp.get("/stats")
def stats():
    state = current_state()
    with state.lock:
        return jsonify({"requests": dict(state.requests), "rejections": dict(state.rejections)})
