"""评选: selections with their phases, entries and review, nominations, jury scoring, results and 公示."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Response, flash, redirect, render_template, request, send_file, url_for

from app.errors import AppError
from app.extensions import db
from app.models.selection import PHASE_DRAFT, PHASE_LABELS, PHASE_UPCOMING
from app.services import people as people_service
from app.services import selection_console, selections
from app.services import staff as staff_service
from app.services.event_drafts import as_aware
from app.timeutil import to_local
from console import auth, bp
from console.forms import EmptyForm, JudgesForm, NominationForm, ReasonForm, ScoreForm, SelectionForm
from console.views.events import _page_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SETTINGS = ("title", "kind", "description", "work_item", "publicity_days", "votes_per_voter", "forbid_own_department",
            "forbid_self", "result_method")
TIMES = ("nominate_from", "nominate_until", "vote_from", "vote_until")
T = TypeVar("T")


def _draft(form: SelectionForm) -> selections.SelectionDraft:
    values = {name: getattr(form, name).data for name in SETTINGS}
    values["description"] = values["description"] or ""
    values.update({name: as_aware(getattr(form, name).data) for name in TIMES})
    return selections.SelectionDraft(**values, vote_weight=form.vote_weight.data)


def attempt(action: Callable[[], T], success: Callable[[T], str]) -> None:
    """A button's one service call: its refusal rolled back and flashed in Chinese, else ``success``."""
    try:
        result = action()
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(success(result), "success")


@bp.get("/selections")
@auth.requires("selections.view")
def selections_list():
    page = selection_console.list_selections(db.session, auth.viewer(), _page_number())
    return render_template("console/selections/list.html", page=page, phases=PHASE_LABELS)


@bp.route("/selections/new", methods=["GET", "POST"])
@auth.requires("selections.manage")
def selection_new():
    form, judges = SelectionForm(), JudgesForm()
    if form.validate_on_submit() and judges.validate():
        try:
            selection = selection_console.create(db.session, auth.viewer(), _draft(form), judges.judges.data or "")
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"评选“{selection.title}”已保存为草稿，发布后职工可见。", "success")
            return redirect(url_for("console.selection_detail", selection_id=selection.id))
    return render_template("console/selections/form.html", form=form, judges=judges, selection=None), 400 if form.is_submitted() else 200


@bp.route("/selections/<id:selection_id>/edit", methods=["GET", "POST"])
@auth.requires("selections.manage")
def selection_edit(selection_id: int):
    selection = selection_console.selection_page(db.session, auth.viewer(), selection_id).selection
    form = SelectionForm()
    if request.method == "GET":
        for name in SETTINGS:
            getattr(form, name).data = getattr(selection, name)
        for name in TIMES:
            getattr(form, name).data = to_local(getattr(selection, name)).replace(tzinfo=None)
        form.vote_weight.data = selection.vote_weight
    elif form.validate_on_submit():
        try:
            selection_console.update(db.session, auth.viewer(), selection_id, _draft(form))
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash("评选设置已更新。", "success")
            return redirect(url_for("console.selection_detail", selection_id=selection_id))
    editable = selection.phase() in (PHASE_DRAFT, PHASE_UPCOMING)
    return render_template("console/selections/form.html", form=form, judges=None, selection=selection,
                           editable=editable), 400 if form.is_submitted() else 200


@bp.get("/selections/<id:selection_id>")
@auth.requires("selections.view")
def selection_detail(selection_id: int):
    viewer = auth.viewer()
    view = selection_console.selection_page(db.session, viewer, selection_id, _page_number())
    nomination = None
    if viewer.can("selections.nominate"):
        nomination = NominationForm()
        nomination.department.choices = {"": "请选择", **{str(d.id): d.name for d in people_service.departments(db.session, viewer)}}
    judges = JudgesForm(judges="\n".join(j.staff.employee_no for j in view.judges)) if viewer.can("selections.manage") else None
    return render_template(
        "console/selections/detail.html", view=view, selection=view.selection, page=view.entries,
        nomination=nomination, judges_form=judges, reason_form=ReasonForm(), action_form=EmptyForm(),
    )


@bp.post("/selections/<id:selection_id>/publish")
@auth.requires("selections.manage")
def selection_publish(selection_id: int):
    attempt(lambda: selection_console.publish(db.session, auth.viewer(), selection_id),
            lambda selection: f"评选“{selection.title}”已发布，已通知各群。")
    return redirect(url_for("console.selection_detail", selection_id=selection_id))


@bp.post("/selections/<id:selection_id>/cancel")
@auth.requires("selections.manage")
def selection_cancel(selection_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("取消评选需要填写原因（不超过 200 字）。", "danger")
    else:
        attempt(lambda: selection_console.cancel(db.session, auth.viewer(), selection_id, form.reason.data.strip()),
                lambda _: "评选已取消。")
    return redirect(url_for("console.selection_detail", selection_id=selection_id))


@bp.post("/selections/<id:selection_id>/judges")
@auth.requires("selections.manage")
def selection_judges(selection_id: int):
    form = JudgesForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "danger")
    else:
        attempt(lambda: selection_console.set_judges(db.session, auth.viewer(), selection_id, form.judges.data or ""),
                lambda judges: f"评委已更新（{len(judges)} 人）。")
    return redirect(url_for("console.selection_detail", selection_id=selection_id))


@bp.post("/selections/<id:selection_id>/nominations")
@auth.requires("selections.nominate")
def selection_nominate(selection_id: int):
    viewer = auth.viewer()
    form = NominationForm()
    form.department.choices = {"": "请选择", **{str(d.id): d.name for d in people_service.departments(db.session, viewer)}}
    if not form.validate_on_submit():
        flash(form.error_text(), "danger")
        return redirect(url_for("console.selection_detail", selection_id=selection_id))
    try:
        person = staff_service.get_staff(db.session, form.employee_no.data.strip()) if form.subject.data != "department" else None
        nomination = selections.Nomination(
            subject=form.subject.data, reasons=form.reasons.data, staff_id=person.id if person else None,
            department_id=int(form.department.data) if form.subject.data == "department" else None,
            family_name=form.family_name.data,
        )
        entry = selection_console.nominate(db.session, viewer, selection_id, nomination)
    except AppError as exc:
        db.session.rollback()
        if exc.status_code == 403:  # another department's nominee: the 403 page, not a flash
            raise
        flash(exc.message, "danger")
    else:
        waiting = "，等待创建办审核" if entry.status == "pending" else ""
        flash(f"已推荐“{entry.title}”{waiting}。", "success")
    return redirect(url_for("console.selection_detail", selection_id=selection_id))


@bp.get("/selections/<id:selection_id>/entries/<id:entry_id>")
@auth.requires("selections.view")
def selection_entry(selection_id: int, entry_id: int):
    entry, selection = selection_console.entry(db.session, auth.viewer(), selection_id, entry_id)
    return render_template("console/selections/entry.html", entry=entry, selection=selection, reason_form=ReasonForm())


@bp.post("/selections/<id:selection_id>/entries/<id:entry_id>/<any(approve,reject):verdict>")
@auth.requires("selections.manage")
def selection_review(selection_id: int, entry_id: int, verdict: str):
    approve = verdict == "approve"
    form = ReasonForm() if not approve else EmptyForm()
    if not approve and not form.validate_on_submit():
        flash("不通过需要填写原因（不超过 200 字）。", "danger")
    else:
        try:
            entry = selection_console.review(db.session, auth.viewer(), selection_id, entry_id, approve,
                                             "" if approve else form.reason.data.strip())
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"“{entry.title}”{'已通过审核' if approve else '未通过审核'}。", "success")
    return redirect(url_for("console.selection_entry", selection_id=selection_id, entry_id=entry_id))


@bp.get("/selections/<id:selection_id>/photos/<id:photo_id>")
@auth.requires("selections.view")
def selection_photo(selection_id: int, photo_id: int):
    photo = selection_console.photo(db.session, auth.viewer(), selection_id, photo_id)
    return send_file(selections.photo_path(photo), mimetype=photo.content_type, conditional=True, max_age=0)


@bp.get("/selections/<id:selection_id>/results")
@auth.requires("selections.view")
def selection_results(selection_id: int):
    viewer = auth.viewer()
    try:
        results = selection_console.results(db.session, viewer, selection_id)
    except AppError as exc:
        if exc.status_code != 409:
            raise
        flash(exc.message, "info")
        return redirect(url_for("console.selection_detail", selection_id=selection_id))
    anomalies = selection_console.anomalies(db.session, viewer, selection_id) if viewer.can("selections.manage") else []
    return render_template("console/selections/results.html", results=results, selection=results.selection,
                           anomalies=anomalies, action_form=EmptyForm())


@bp.post("/selections/<id:selection_id>/results/publish")
@auth.requires("selections.manage")
def selection_publish_results(selection_id: int):
    attempt(lambda: selection_console.publish_results(db.session, auth.viewer(), selection_id),
            lambda rows: f"结果已公布（{len(rows)} 个参评对象），公示通知已排队发送到各群。")
    return redirect(url_for("console.selection_results", selection_id=selection_id))


@bp.get("/selections/<id:selection_id>/results.xlsx")
@auth.requires("selections.view")
def selection_results_xlsx(selection_id: int):
    data = selection_console.results_workbook(db.session, auth.viewer(), selection_id)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename=selection-{selection_id}-results.xlsx"})


@bp.get("/selections/<id:selection_id>/votes")
@auth.requires("selections.manage")
def selection_votes(selection_id: int):
    value = request.args.get("entry", "")
    entry_id = int(value) if value.isdigit() and len(value) < 10 else None
    selection, rows = selection_console.votes(db.session, auth.viewer(), selection_id, entry_id)
    return render_template("console/selections/votes.html", rows=rows, selection=selection, entry_id=entry_id)


@bp.get("/judging")
@auth.requires("selections.score")
def judging():
    return render_template("console/selections/judging.html", selections=selection_console.judging(db.session, auth.viewer()))


@bp.get("/selections/<id:selection_id>/scores")
@auth.requires("selections.score")
def selection_scores(selection_id: int):
    sheet = selection_console.score_sheet(db.session, auth.viewer(), selection_id)
    return render_template("console/selections/scores.html", sheet=sheet, selection=sheet.selection, form=ScoreForm())


@bp.get("/selections/<id:selection_id>/scores/photos/<id:photo_id>")
@auth.requires("selections.score")
def selection_score_photo(selection_id: int, photo_id: int):
    photo = selection_console.judge_photo(db.session, auth.viewer(), selection_id, photo_id)
    return send_file(selections.photo_path(photo), mimetype=photo.content_type, conditional=True, max_age=0)


@bp.post("/selections/<id:selection_id>/scores/<id:entry_id>")
@auth.requires("selections.score")
def selection_score(selection_id: int, entry_id: int):
    form = ScoreForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "danger")
    else:
        try:
            selection_console.score(db.session, auth.viewer(), selection_id, entry_id, form.score.data)
        except AppError as exc:
            db.session.rollback()
            if exc.status_code == 403:
                raise
            flash(exc.message, "danger")
        else:
            flash(f"已评分：{form.score.data} 分。", "success")
    return redirect(url_for("console.selection_scores", selection_id=selection_id))
