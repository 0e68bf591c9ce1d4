"""The announcement board: what admins published with 公告 in WeCom."""

from __future__ import annotations

from app.extensions import db
from app.services.announcements import announcements_query
from miniprogram_api import bp
from miniprogram_api.announcement_schemas import AnnouncementPage
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.security import bound_required


@bp.get("/announcements")
@bound_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(AnnouncementPage)
@bp.doc(summary="公告栏", description="管理员在企业微信发布的公告，最新的在前。", security="BearerAuth")
def list_announcements(query: dict):
    return paginate(db.session, announcements_query(), query["page"], query["per_page"])
