"""Today's civility tip, for the mini-program's home page."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Date, String

from app.extensions import db
from app.services import tips
from app.timeutil import local_today
from miniprogram_api import bp
from miniprogram_api.security import bound_required


class TipOut(Schema):
    day = Date(metadata={"description": "本地日期；周末和节假日为上一个工作日的提示"})
    theme = String()
    content = String()


@bp.get("/tips/today")
@bound_required
@bp.output(TipOut)
@bp.doc(
    summary="今日文明提示",
    description="与企业微信群推送的是同一条；提示库为空时 404 tip_not_found。",
    security="BearerAuth",
    responses={403: "未绑定（not_bound）", 404: "提示库为空（tip_not_found）"},
)
def todays_tip():
    day = local_today()
    tip = tips.read_todays_tip(db.session, day)
    return {"day": day, "theme": tip.theme, "content": tip.content}
