"""推送: push targets (add, test-send, enable, disable; addresses masked) and the outbox."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.errors import AppError
from app.extensions import db
from app.models.messaging import TARGET_KIND_NAMES
from app.services import push_admin
from console import auth, bp
from console.forms import EmptyForm, PushTargetForm


def _page(form: PushTargetForm | None = None, status: int = 200):
    view = push_admin.overview(db.session, auth.viewer())
    return render_template(
        "console/push.html", view=view, form=form or PushTargetForm(), kinds=TARGET_KIND_NAMES, empty=EmptyForm()
    ), status


@bp.get("/push")
@auth.requires("outbox.view")
def push():
    return _page()


@bp.post("/push/targets")
@auth.requires("outbox.manage")
def push_target_add():
    form = PushTargetForm()
    if form.validate_on_submit():
        try:
            target = push_admin.add_target(db.session, auth.viewer(), form.name.data, form.kind.data, form.address.data)
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"已添加「{target.name}」（{target.masked_address}）。", "success")
            return redirect(url_for("console.push"))
    return _page(form, 400)


@bp.post("/push/targets/<id:target_id>/<action>")
@auth.requires("outbox.manage")
def push_target_action(target_id: int, action: str):
    viewer = auth.viewer()
    try:
        if action in ("enable", "disable"):
            target = push_admin.set_enabled(db.session, viewer, target_id, action == "enable")
            flash(f"已{'启用' if action == 'enable' else '停用'}「{target.name}」。", "success")
        elif action == "test":
            target = push_admin.queue_test_message(db.session, viewer, target_id)
            flash(f"测试消息已进入发件箱，发送进程将按限流发往「{target.name}」。", "success")
        else:
            flash("没有这个操作。", "danger")
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("console.push"))


@bp.post("/push/outbox/requeue")
@auth.requires("outbox.manage")
def push_requeue():
    raw = request.form.getlist("message_id")
    if raw and not all(value.isdigit() and len(value) < 11 for value in raw):
        flash("消息编号无效。", "danger")
        return redirect(url_for("console.push"))
    ids = [int(value) for value in raw] if raw else None
    count = push_admin.requeue(db.session, auth.viewer(), ids)
    flash(f"已重新排队 {count} 条消息。", "success")
    return redirect(url_for("console.push"))
