"""The verification file WeChat asks for before it accepts an ordinary-link QR rule (扫普通链接二维码打开小程序).

WeChat's admin console gives a random file (e.g. ``a1B2c3D4e5.txt``) and fetches it from the last directory
of the rule's address — for the rule ``https://host/qr/checkin`` that is ``https://host/qr/<file>`` — or from
the top of the host when the rule has no directory. Set ``WECHAT_QR_VERIFY_FILE`` to the file's name and
``WECHAT_QR_VERIFY_CONTENT`` to its content; the file is then served at both places for the rule made from
``CHECKIN_URL_BASE``. Nothing is served while the name is unset.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app
from flask.blueprints import BlueprintSetupState

from config import ConfigError

bp = Blueprint("verification", __name__)

_FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}\.txt$")


def verification_paths(checkin_url_base: str, file_name: str) -> list[str]:
    """Where WeChat looks for the file: the rule's last directory, and the top of the host."""
    path = urlsplit(checkin_url_base).path or "/"
    directory = path.rsplit("/", 1)[0] + "/"
    return sorted({f"/{file_name}", f"{directory}{file_name}"})


def serve_verification_file() -> Response:
    content = current_app.config["WECHAT_QR_VERIFY_CONTENT"]
    response = Response(content, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.record_once
def add_routes(state: BlueprintSetupState) -> None:
    config = state.app.config
    file_name = config.get("WECHAT_QR_VERIFY_FILE", "")
    if not file_name:
        return
    if not _FILE_NAME.match(file_name):
        raise ConfigError(f"WECHAT_QR_VERIFY_FILE must be a file name like abc123.txt, got {file_name!r}")
    if not config.get("WECHAT_QR_VERIFY_CONTENT"):
        raise ConfigError("WECHAT_QR_VERIFY_CONTENT must be set to the verification file's content")
    for number, path in enumerate(verification_paths(config["CHECKIN_URL_BASE"], file_name)):
        state.add_url_rule(path, f"file_{number}", serve_verification_file, methods=["GET"])
