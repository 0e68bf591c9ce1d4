"""公告: write with a preview, send through the outbox, list with delivery per group."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from markupsafe import escape

from app.errors import AppError
from app.extensions import db
from app.models.base import utcnow
from app.services import announcement_console
from console import auth, bp
from console.forms import AnnouncementForm
from console.views.events import _page_number


def _page(form: AnnouncementForm, status: int = 200):
    page, deliveries = announcement_console.list_announcements(db.session, auth.viewer(), _page_number())
    return render_template(
        "console/notices.html", form=form, page=page, deliveries=deliveries,
        robots=announcement_console.robots(db.session) if auth.viewer().can("outbox.manage") else [],
    ), status


@bp.get("/notices")
@auth.requires("outbox.view")
def notices():
    return _page(AnnouncementForm())


@bp.post("/notices")
@auth.requires("outbox.manage")
def notice_publish():
    form = AnnouncementForm()
    if form.validate_on_submit():
        raw = request.form.getlist("target")
        targets = [int(value) for value in raw if value.isdigit() and len(value) < 11]
        try:
            announcement = announcement_console.publish(db.session, auth.viewer(), form.content.data, form.audience.data, targets)
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"公告已发布，{announcement.group_count} 个群的消息已进入发件箱。", "success")
            return redirect(url_for("console.notices"))
    return _page(form, 400)


@bp.post("/notices/preview")
@auth.requires("outbox.manage")
def notice_preview():
    """The htmx preview: what the groups will receive."""
    content = (request.form.get("content") or "")[:1000]
    body = announcement_console.message_body(auth.current_user.staff, content or "（内容）", utcnow())
    return f'<pre class="mb-0 small" data-testid="preview">{escape(body)}</pre>'
