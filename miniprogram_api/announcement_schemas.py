"""Announcements as the mini-program shows them."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import DateTime, Integer, List, Nested, String

from miniprogram_api.pagination import PageMeta


class AnnouncementOut(Schema):
    id = Integer()
    content = String()
    author_name = String(allow_none=True, metadata={"description": "发布人姓名"})
    created_at = DateTime()


class AnnouncementPage(Schema):
    items = List(Nested(AnnouncementOut))
    meta = Nested(PageMeta)
