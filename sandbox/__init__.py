"""The WeChat sandbox: a small HTTP server that plays the official WeChat and WeCom endpoints.

It answers with the real response shapes, error codes and limits, records every message it accepts,
and can be told to fail on purpose. Tests, benchmarks and the offline demo talk to it over real HTTP.

Parts: ``state`` (what it remembers, ``SandboxState.reset()``), ``answers`` (WeChat's answer shapes and
the one access-token check), ``control`` (``/_sandbox``: messages, faults, media, stats), ``miniprogram``
(api.weixin.qq.com), ``wecom`` (qyapi.weixin.qq.com) and ``wecom_oauth`` (WeCom web sign-in:
QR login, silent OAuth, ``auth/getuserinfo``). A new platform or endpoint family is a module
with a blueprint ``bp`` added to ``BLUEPRINTS`` below.

Control endpoints (not part of WeChat):
- ``GET /_sandbox/messages`` lists accepted messages; ``DELETE`` resets the sandbox (messages, rate
  windows, counters, media, faults, spent codes).
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

from flask import Flask

from sandbox import control, miniprogram, wecom, wecom_oauth
from sandbox.answers import err
from sandbox.state import Fault, Media, SandboxSettings, SandboxState

__all__ = ["BLUEPRINTS", "Fault", "Media", "SandboxSettings", "SandboxState", "create_sandbox_app"]

# Every part of the sandbox; the fault hook lives in ``control`` and applies to all of them.
BLUEPRINTS = (control.bp, miniprogram.bp, wecom.bp, wecom_oauth.bp)


def create_sandbox_app(settings: SandboxSettings | None = None) -> Flask:
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    app.extensions["sandbox_state"] = SandboxState(settings or SandboxSettings())
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(404, lambda _exc: (err(404, "api not found"), 404))
    return app
