"""微心愿: list by status, create with photos, publish, withdraw, claims, proof review, history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for

from app.errors import AppError
from app.extensions import db
from app.models.wish import CLAIM_END_LABELS, STATUS_LABELS, TRANSITIONS
from app.services import wish_console, wishes
from console import auth, bp, security
from console.forms import WishActionForm, WishForm
from console.views.events import _page_number

ACTION_LABELS = {"publish": "发布", "withdraw": "撤回", "revoke": "收回认领", "confirm": "确认完成", "return": "退回凭证"}
TRANSITION_LABELS = {"create": "创建", **{action: t.label for action, t in TRANSITIONS.items()}}


@bp.get("/wishes")
@auth.requires("wishes.view")
def wishes_list():
    status = request.args.get("status", "")[:20]
    try:
        page = wish_console.list_wishes(db.session, auth.viewer(), status, _page_number())
    except wish_console.InvalidWishFilter as exc:
        flash(exc.message, "warning")
        return redirect(url_for("console.wishes_list"))
    return render_template("console/wishes/list.html", page=page, status=status, statuses=STATUS_LABELS)


@bp.route("/wishes/new", methods=["GET", "POST"])
@auth.requires("wishes.manage")
@security.room_for(lambda config: wishes.MAX_PHOTOS * config["PHOTO_MAX_BYTES"] + 1024 * 1024)  # photos from a phone
def wish_new():
    form = WishForm()
    if form.validate_on_submit():
        draft = wishes.WishDraft(
            title=form.title.data, story=form.story.data, category=form.category.data,
            beneficiary_name=form.beneficiary_name.data, village=form.village.data,
            claim_deadline=form.claim_deadline.data, household=form.household.data or None,
            contact=form.contact.data or None, estimated_value=form.estimated_value.data,
        )
        photos = [upload.stream for upload in (form.photos.data or []) if getattr(upload, "filename", "")]
        try:
            wish = wish_console.create(db.session, auth.viewer(), draft, photos, publish=form.publish.data)
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"微心愿“{wish.title}”已{'发布' if wish.status == 'open' else '保存为草稿'}。", "success")
            return redirect(url_for("console.wish_detail", wish_id=wish.id))
    return render_template("console/wishes/form.html", form=form), 400 if form.is_submitted() else 200


@bp.get("/wishes/<id:wish_id>")
@auth.requires("wishes.view")
def wish_detail(wish_id: int):
    view = wish_console.wish_page(db.session, auth.viewer(), wish_id)
    return render_template(
        "console/wishes/detail.html", view=view, wish=view.wish, form=WishActionForm(),
        transitions=TRANSITION_LABELS, statuses=STATUS_LABELS, claim_ends=CLAIM_END_LABELS,
    )


@bp.post("/wishes/<id:wish_id>/<action>")
@auth.requires("wishes.manage")
def wish_action(wish_id: int, action: str):
    form = WishActionForm()
    if action not in ACTION_LABELS:
        flash("没有这个操作。", "danger")
    elif not form.validate_on_submit():
        flash(form.error_text(), "danger")
    else:
        try:
            wish_console.act(db.session, auth.viewer(), wish_id, action, form.reason.data or "", form.approve_note.data)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"已{ACTION_LABELS[action]}。", "success")
    return redirect(url_for("console.wish_detail", wish_id=wish_id))


@bp.get("/wishes/<id:wish_id>/photos/<id:photo_id>")
@auth.requires("wishes.view")
def wish_photo(wish_id: int, photo_id: int):
    photo = wish_console.photo(db.session, auth.viewer(), wish_id, photo_id)
    return send_file(wishes.photo_path(photo), mimetype=photo.content_type, conditional=True, max_age=0)
