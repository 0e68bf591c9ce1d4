"""The mini-program's JSON API, mounted at ``/api/mp``."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request

from app.errors import AppError

bp = APIBlueprint("mp", __name__, url_prefix="/api/mp", tag="小程序")

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_ACCEPTED_MEDIA = {"application/json", "multipart/form-data"}


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    message = "不支持的内容类型，请使用 application/json"


@bp.before_request
def require_known_media_type():
    """A body in any other format would be silently read as empty; refuse it plainly instead. A view
    that takes one format only (``view.accepts_media``, e.g. the photo upload) names that one."""
    has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding") == "chunked"
    only = getattr(current_app.view_functions.get(request.endpoint), "accepts_media", None)
    if request.method in _BODY_METHODS and has_body and only and request.mimetype != only:
        raise UnsupportedMediaType(f"不支持的内容类型，请使用 {only}")
    if request.method in _BODY_METHODS and has_body and request.mimetype not in _ACCEPTED_MEDIA:
        raise UnsupportedMediaType()


from miniprogram_api import auth_views  # noqa: E402,F401  (routes register on bp)
from miniprogram_api import wish_views  # noqa: E402,F401
from miniprogram_api import announcement_views  # noqa: E402,F401
from miniprogram_api import events_views  # noqa: E402,F401
from miniprogram_api import selection_views  # noqa: E402,F401
from miniprogram_api import pledge_views  # noqa: E402,F401
from miniprogram_api import tip_views  # noqa: E402,F401
from miniprogram_api import ledger_views  # noqa: E402,F401
from miniprogram_api import inspection_views  # noqa: E402,F401
