"""承诺: publish a pledge, signature rates per department, who has not signed, reminders, the signed list."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for

from app.errors import AppError
from app.extensions import db
from app.services import pledge_console
from app.services.event_drafts import as_aware
from console import auth, bp, charts
from console.forms import PledgeForm, ReasonForm
from console.views.events import _id_arg, _page_number
from console.views.selections import XLSX, attempt


@bp.get("/pledges")
@auth.requires("pledges.view")
def pledges_list():
    page = pledge_console.list_pledges(db.session, auth.viewer(), _page_number())
    return render_template("console/pledges/list.html", page=page)


@bp.route("/pledges/new", methods=["GET", "POST"])
@auth.requires("pledges.manage")
def pledge_new():
    form = PledgeForm()
    if form.validate_on_submit():
        try:
            pledge = pledge_console.create(
                db.session, auth.viewer(), title=form.title.data, body=form.body.data,
                opens_at=as_aware(form.opens_at.data), closes_at=as_aware(form.closes_at.data),
                work_item=form.work_item.data, publish=form.publish.data,
            )
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"承诺书“{pledge.title}”已{'发布，已通知各群' if pledge.status == 'published' else '保存为草稿'}。", "success")
            return redirect(url_for("console.pledge_detail", pledge_id=pledge.id))
    return render_template("console/pledges/form.html", form=form), 400 if form.is_submitted() else 200


@bp.get("/pledges/<id:pledge_id>")
@auth.requires("pledges.view")
def pledge_detail(pledge_id: int):
    view = pledge_console.pledge_page(db.session, auth.viewer(), pledge_id, _id_arg("department"), _page_number())
    return render_template("console/pledges/detail.html", view=view, pledge=view.pledge, page=view.unsigned,
                           chart=charts.signature_bars(view.rates), reason_form=ReasonForm())


@bp.post("/pledges/<id:pledge_id>/publish")
@auth.requires("pledges.manage")
def pledge_publish(pledge_id: int):
    attempt(lambda: pledge_console.publish(db.session, auth.viewer(), pledge_id),
            lambda pledge: f"承诺书“{pledge.title}”已发布，已通知各群。")
    return redirect(url_for("console.pledge_detail", pledge_id=pledge_id))


@bp.post("/pledges/<id:pledge_id>/withdraw")
@auth.requires("pledges.manage")
def pledge_withdraw(pledge_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("撤回需要填写原因（不超过 200 字）。", "danger")
    else:
        attempt(lambda: pledge_console.withdraw(db.session, auth.viewer(), pledge_id, form.reason.data.strip()),
                lambda _: "承诺书已撤回。")
    return redirect(url_for("console.pledge_detail", pledge_id=pledge_id))


@bp.post("/pledges/<id:pledge_id>/remind")
@auth.requires("pledges.manage")
def pledge_remind(pledge_id: int):
    try:
        queued = pledge_console.remind(db.session, auth.viewer(), pledge_id)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(f"已向 {queued} 位未签署的人员发送提醒。" if queued else "今天已经提醒过（或未签署的人员都没有企业微信账号），本次未重复发送。",
              "success" if queued else "info")
    return redirect(url_for("console.pledge_detail", pledge_id=pledge_id))


@bp.get("/pledges/<id:pledge_id>/signatures.xlsx")
@auth.requires("pledges.export")
def pledge_signatures_xlsx(pledge_id: int):
    data = pledge_console.signatures_workbook(db.session, auth.viewer(), pledge_id)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename=pledge-{pledge_id}-signatures.xlsx"})
