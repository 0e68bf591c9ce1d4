"""审计: the audit log, filtered by person, object and time."""

from __future__ import annotations

from flask import render_template, request

from app.extensions import db
from app.services import audit_query
from console import auth, bp
from console.forms import AuditFilterForm
from console.views.events import _page_number

ACTION_LABELS = {
    "event.create": "创建活动", "event.update": "修改活动", "event.publish": "发布活动", "event.cancel": "取消活动",
    "checkin.manual": "补签", "checkin.undo": "撤销签到", "checkin.adjust_hours": "调整时长",
    "staff.grant_role": "授予角色", "staff.revoke_role": "撤销角色", "staff.update": "修改人员",
    "staff.deactivate": "停用人员", "staff.reactivate": "恢复人员", "account.unbind": "解除绑定",
    "console.login": "登录后台", "console.login_failed": "后台登录失败", "console.set_password": "设置后台密码",
    "roster.import": "导入花名册",
}


@bp.get("/audit")
@auth.requires("audit.view")
def audit_log():
    form = AuditFilterForm(request.args)
    page = None
    if form.validate():
        filters = {name: (getattr(form, name).data or "").strip() for name in ("actor", "entity", "date_from", "date_to")}
        try:
            page = audit_query.list_audit(db.session, auth.viewer(), page=_page_number(), **filters)
        except audit_query.InvalidAuditFilter as exc:
            form.form_errors.append(exc.message)
    else:
        filters = {}
    status = 200 if page is not None else 400
    return render_template("console/audit.html", form=form, page=page, filters=filters, labels=ACTION_LABELS), status
