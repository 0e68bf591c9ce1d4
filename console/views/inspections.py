"""检查: rounds, the score sheet beside the 台账 evidence, department checks (phone-friendly), the survey,
the 通报, and rectifications per department."""

from __future__ import annotations

from decimal import Decimal

from flask import Response, flash, redirect, render_template, request, send_file, url_for

from app.errors import AppError
from app.extensions import db
from app.models.inspection import QUESTION_KIND_NAMES, RECT_DONE
from app.services import inspection_console as service
from app.services.inspections.checks import PHOTOS_MAX
from app.services.inspections.rounds import points
from app.services.inspections.surveys import DEFAULT_QUESTIONS
from app.timeutil import local_today
from console import auth, bp, security
from console.charts import option_bars
from console.forms import EmptyForm
from console.inspection_forms import (
    ChecklistForm,
    CheckForm,
    CorrectionForm,
    DetailsForm,
    EvidenceForm,
    QuestionsForm,
    RectificationForm,
    ReturnForm,
    RoundForm,
    ScoreForm,
    TemplateForm,
)
from console.views.events import _id_arg, _page_number

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A service's refusal shown under the field it is about (the rest above the form).
FIELD_OF_ERROR = {
    "score_over_maximum": "score", "score_invalid": "score", "findings_too_long": "findings",
    "deadline_in_past": "deadline", "responsible_not_found": "responsible", "requirement_invalid": "requirement",
    "correction_reason_invalid": "reason", "check_note_too_long": "note", "too_many_photos": "photos",
    "return_reason_invalid": "reason", "rectification_note_too_long": "note", "rectification_evidence_missing": "note",
    "round_title_invalid": "title", "round_exists": "title", "round_dates_invalid": "starts_on", "plan_not_found": "year",
    "inspector_invalid": "inspectors", "checklist_invalid": "points", "survey_questions_invalid": "questions",
    "survey_already_started": "questions", "round_details_invalid": "title", "checkpoint_not_found": "checkpoint_id",
    "report_template_invalid": "file", "document_type_not_allowed": "file",
}


def _photos_room(config) -> int:
    """A check or a rectification carries up to PHOTOS_MAX phone photos: room for them at full size."""
    return PHOTOS_MAX * config["PHOTO_MAX_BYTES"] + 1024 * 1024


def _refusal(form, exc: AppError) -> None:
    """The refusal under its field, or above the form; a missing round or item, or a role refused, is its page."""
    db.session.rollback()
    if exc.status_code in (403, 404) and exc.code not in FIELD_OF_ERROR:
        raise exc
    field = getattr(form, FIELD_OF_ERROR.get(exc.code, ""), None)
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _button(form, action, done: str) -> None:
    """A button's POST: the form checked, one service called, the result flashed; a role or an object
    refused is its error page."""
    if not form.validate_on_submit():
        flash(form.error_text() or "页面已过期，请刷新后重试。", "danger")
        return
    try:
        action()
    except AppError as exc:
        db.session.rollback()
        if exc.status_code in (403, 404):
            raise
        flash(exc.message, "danger")
    else:
        flash(done, "success")


def _photos(field) -> list:
    return [upload.stream for upload in (field.data or []) if getattr(upload, "filename", "")]


# ---- rounds -----------------------------------------------------------------------------------------


@bp.get("/inspections")
@auth.requires("inspections.view")
def inspections():
    page = service.list_rounds(db.session, auth.viewer(), _page_number())
    return render_template("console/inspections/list.html", page=page, template_form=TemplateForm())


def _round_form() -> RoundForm:
    form = RoundForm()
    form.inspectors.choices = {p.id: f"{p.name}（{p.employee_no}）" for p in service.inspector_choices(db.session)}
    if request.method == "GET":
        today = local_today()
        form.year.data = today.year
    return form


@bp.route("/inspections/new", methods=["GET", "POST"])
@auth.requires("inspections.score")
def inspection_new():
    form = _round_form()
    if form.validate_on_submit():
        try:
            found = service.create_round(
                db.session, auth.viewer(), year=form.year.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                title=(form.title.data or "").strip() or None, inspector_ids=form.inspectors.data or [],
                with_survey=form.with_survey.data,
            )
        except AppError as exc:
            _refusal(form, exc)
        else:
            flash(f"检查轮次“{found.title}”已建立，评分表含 {len(found.scores)} 项。", "success")
            return redirect(url_for("console.inspection_sheet", round_id=found.id))
    return render_template("console/inspections/new.html", form=form), 400 if form.is_submitted() else 200


def _sheet_page(round_id: int, failed: dict | None = None, status: int = 200):
    viewer = auth.viewer()
    sheet = service.sheet(db.session, viewer, round_id)
    found = sheet.round
    details = DetailsForm(data={"title": found.title, "addressees": found.addressees, "issuer": found.issuer,
                                "document_no": found.document_no or ""})
    if failed and failed.get("kind") == "details":
        details = failed["form"]
    return render_template(
        "console/inspections/sheet.html", sheet=sheet, round=found, failed=failed or {}, details=details,
        empty=EmptyForm(), today=local_today(), overdue=service.is_overdue,
    ), status


@bp.get("/inspections/<id:round_id>")
@auth.requires("inspections.view")
def inspection_sheet(round_id: int):
    return _sheet_page(round_id)


def _sheet_form(round_id: int, form, kind: str, action, done: str, number: int | None = None):
    """A form of the score sheet: saved and back to its item, or the sheet again with the errors inline."""
    if form.validate_on_submit():
        try:
            action()
        except AppError as exc:
            _refusal(form, exc)
        else:
            flash(done, "success")
            anchor = f"item-{number}" if number else None
            return redirect(url_for("console.inspection_sheet", round_id=round_id, _anchor=anchor))
    return _sheet_page(round_id, {"kind": kind, "number": number, "form": form}, 400)


@bp.post("/inspections/<id:round_id>/items/<int:number>")
@auth.requires("inspections.score")
def inspection_score(round_id: int, number: int):
    form = ScoreForm()
    return _sheet_form(round_id, form, "score", lambda: service.save_item(
        db.session, auth.viewer(), round_id, number, max_score=form.max_score.data, score=form.score.data,
        findings=form.findings.data or ""), f"第 {number} 项已保存。", number)


@bp.post("/inspections/<id:round_id>/items/<int:number>/rectifications")
@auth.requires("inspections.score")
def inspection_rectification_add(round_id: int, number: int):
    form = RectificationForm()
    return _sheet_form(round_id, form, "rectification", lambda: service.add_rectification(
        db.session, auth.viewer(), round_id, number, requirement=form.requirement.data,
        responsible=form.responsible.data, deadline=form.deadline.data),
        f"已对第 {number} 项提出整改要求，责任人会收到通知。", number)


@bp.post("/inspections/<id:round_id>/items/<int:number>/correction")
@auth.requires("inspections.manage")
def inspection_correct(round_id: int, number: int):
    form = CorrectionForm()
    return _sheet_form(round_id, form, "correction", lambda: service.correct_score(
        db.session, auth.viewer(), round_id, number, form.score.data, form.reason.data),
        f"第 {number} 项得分已更正，审计日志记录了原分数和原因。", number)


@bp.post("/inspections/<id:round_id>/details")
@auth.requires("inspections.manage")
def inspection_details(round_id: int):
    form = DetailsForm()
    return _sheet_form(round_id, form, "details", lambda: service.update_details(
        db.session, auth.viewer(), round_id, title=form.title.data, addressees=form.addressees.data,
        issuer=form.issuer.data, document_no=form.document_no.data or ""), "通报信息已保存。")


STATE_ACTIONS = {
    "submit": (service.submit_round, "评分表已提交。"),
    "reopen": (service.reopen_round, "已退回草稿，可以继续修改。"),
    "lock": (service.lock_round, "检查轮次已锁定，此后分数只能通过更正修改。"),
}


def _change_state(round_id: int, action: str):
    function, done = STATE_ACTIONS[action]
    _button(EmptyForm(), lambda: function(db.session, auth.viewer(), round_id), done)
    return redirect(url_for("console.inspection_sheet", round_id=round_id))


@bp.post("/inspections/<id:round_id>/submit")
@auth.requires("inspections.score")
def inspection_submit(round_id: int):
    return _change_state(round_id, "submit")


@bp.post("/inspections/<id:round_id>/<any(reopen, lock):action>")
@auth.requires("inspections.manage")
def inspection_state(round_id: int, action: str):
    return _change_state(round_id, action)


# ---- the 通报 ----------------------------------------------------------------------------------------


@bp.get("/inspections/<id:round_id>/report.<any(docx, pdf):fmt>")
@auth.requires("inspections.view")
def inspection_report(round_id: int, fmt: str):
    data = service.render_report(db.session, auth.viewer(), round_id, fmt)
    mimetype = DOCX_TYPE if fmt == "docx" else "application/pdf"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename=inspection-{round_id}-report.{fmt}"})


@bp.post("/inspections/<id:round_id>/publish")
@auth.requires("inspections.manage")
def inspection_publish(round_id: int):
    _button(EmptyForm(), lambda: service.publish_report(db.session, auth.viewer(), round_id),
            "通报已发布：摘要已排队推送到各群，Word 文件已存入台账第 2 项。")
    return redirect(url_for("console.inspection_sheet", round_id=round_id))


@bp.post("/inspections/report-template")
@auth.requires("inspections.manage")
@security.room_for(lambda config: config["LEDGER_DOCUMENT_MAX_BYTES"] + 1024 * 1024)  # a .docx template
def inspection_template():
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            service.save_template(db.session, auth.viewer(), form.file.data.stream)
        except AppError as exc:
            _refusal(form, exc)
        else:
            flash("通报模板已更新。", "success")
            return redirect(url_for("console.inspections"))
    page = service.list_rounds(db.session, auth.viewer(), 1)
    return render_template("console/inspections/list.html", page=page, template_form=form), 400


# ---- department checks ------------------------------------------------------------------------------


def _checks_page(round_id: int, department_id: int | None, failed: dict | None = None, status: int = 200):
    view = service.checks_page(db.session, auth.viewer(), round_id, department_id)
    checklist = ChecklistForm(data={"points": "\n".join(p.name for p in view.round.checkpoints)})
    if failed and failed.get("kind") == "checklist":
        checklist = failed["form"]
    return render_template("console/inspections/checks.html", view=view, round=view.round, failed=failed or {},
                           checklist=checklist, photos_max=PHOTOS_MAX), status


@bp.get("/inspections/<id:round_id>/checks")
@auth.requires("inspections.view")
def inspection_checks(round_id: int):
    return _checks_page(round_id, _id_arg("department"))


@bp.post("/inspections/<id:round_id>/checks")
@auth.requires("inspections.score")
@security.room_for(_photos_room)
def inspection_check_record(round_id: int):
    form = CheckForm()
    department_id = form.department_id.data if isinstance(form.department_id.data, int) else None
    if form.validate_on_submit():
        try:
            service.record_check(db.session, auth.viewer(), round_id, checkpoint_id=form.checkpoint_id.data,
                                 department_id=form.department_id.data, passed=form.passed.data == "yes",
                                 note=form.note.data or "", photos=_photos(form.photos))
        except AppError as exc:
            _refusal(form, exc)
        else:
            flash("检查结果已保存。", "success")
            return redirect(url_for("console.inspection_checks", round_id=round_id, department=department_id,
                                    _anchor=f"point-{form.checkpoint_id.data}"))
    return _checks_page(round_id, department_id, {"kind": "check", "point": form.checkpoint_id.data, "form": form}, 400)


@bp.post("/inspections/<id:round_id>/checklist")
@auth.requires("inspections.score")
def inspection_checklist(round_id: int):
    form = ChecklistForm()
    if form.validate_on_submit():
        try:
            points = service.set_checklist(db.session, auth.viewer(), round_id, form.points.data)
        except AppError as exc:
            _refusal(form, exc)
        else:
            flash(f"检查清单已保存，共 {len(points)} 项。", "success")
            return redirect(url_for("console.inspection_checks", round_id=round_id, department=_id_arg("department")))
    return _checks_page(round_id, _id_arg("department"), {"kind": "checklist", "form": form}, 400)


@bp.get("/inspections/photos/<id:photo_id>")
@auth.requires("rectifications.view")
def inspection_photo(photo_id: int):
    path, content_type = service.photo(db.session, auth.viewer(), photo_id)
    return send_file(path, mimetype=content_type, conditional=True, max_age=0)


# ---- the survey ---------------------------------------------------------------------------------------


def _survey_page(round_id: int, form: QuestionsForm | None = None, status: int = 200):
    viewer = auth.viewer()
    found, survey = service.round_survey(db.session, viewer, round_id)
    results = service.survey_results(db.session, viewer, survey.id) if survey else None
    if survey is not None and form is None:
        form = QuestionsForm(data={"questions": service.questions_text(survey)})
    charts = {r.question.id: option_bars(r.question.options, r.counts, r.answered) for r in results.questions
              if r.question.options} if results else {}
    return render_template("console/inspections/survey.html", round=found, survey=survey, results=results, form=form,
                           charts=charts, kinds=QUESTION_KIND_NAMES, empty=EmptyForm(),
                           default_count=len(DEFAULT_QUESTIONS)), status


@bp.get("/inspections/<id:round_id>/survey")
@auth.requires("inspections.view")
def inspection_survey(round_id: int):
    return _survey_page(round_id)


@bp.post("/inspections/<id:round_id>/survey")
@auth.requires("inspections.score")
def inspection_survey_create(round_id: int):
    _button(EmptyForm(), lambda: service.create_survey(db.session, auth.viewer(), round_id),
            "问卷已建立（默认题目），员工可在小程序中填写。")
    return redirect(url_for("console.inspection_survey", round_id=round_id))


@bp.post("/surveys/<id:survey_id>/questions")
@auth.requires("inspections.score")
def survey_questions(survey_id: int):
    form = QuestionsForm()
    survey = None
    if form.validate_on_submit():
        try:
            survey = service.edit_questions(db.session, auth.viewer(), survey_id, form.questions.data)
        except AppError as exc:
            _refusal(form, exc)
        else:
            flash(f"题目已保存，共 {len(survey.questions)} 题。", "success")
            return redirect(url_for("console.inspection_survey", round_id=survey.round_id))
    round_id = service.survey_round_id(db.session, auth.viewer(), survey_id)
    return _survey_page(round_id, form, 400)


@bp.post("/surveys/<id:survey_id>/close")
@auth.requires("inspections.score")
def survey_close(survey_id: int):
    round_id = service.survey_round_id(db.session, auth.viewer(), survey_id)
    _button(EmptyForm(), lambda: service.close_survey(db.session, auth.viewer(), survey_id), "问卷已结束，不再接受填写。")
    return redirect(url_for("console.inspection_survey", round_id=round_id))


@bp.get("/surveys/<id:survey_id>/results.pdf")
@auth.requires("inspections.view")
def survey_pdf(survey_id: int):
    data = service.survey_pdf(db.session, auth.viewer(), survey_id)
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename=survey-{survey_id}.pdf"})


# ---- rectifications per department ------------------------------------------------------------------


@bp.get("/rectifications")
@auth.requires("rectifications.view")
def rectifications():
    viewer = auth.viewer()
    status = request.args.get("status", "")[:20]
    department_id = _id_arg("department")
    round_id = _id_arg("round")
    try:
        page = service.list_rectifications(db.session, viewer, department_id=department_id, status=status,
                                           round_id=round_id, page=_page_number())
    except service.InvalidInspectionFilter as exc:
        flash(exc.message, "warning")
        return redirect(url_for("console.rectifications"))
    filters = {k: v for k, v in (("status", status), ("department", department_id), ("round", round_id)) if v}
    return render_template(
        "console/inspections/rectifications.html", page=page, filters=filters, status=status,
        department_id=department_id, departments=service.rectification_departments(db.session, viewer),
        statuses=service.RECTIFICATION_FILTERS, overdue=service.is_overdue, today=local_today(),
        return_form=ReturnForm(), evidence_form=EvidenceForm(), empty=EmptyForm(), done=RECT_DONE,
        failed={},
    )


def _back_to_list():
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/console/rectifications") and "//" not in target else url_for("console.rectifications"))


@bp.post("/rectifications/<id:rectification_id>/accept")
@auth.requires("inspections.score")
def rectification_accept(rectification_id: int):
    _button(EmptyForm(), lambda: service.accept_rectification(db.session, auth.viewer(), rectification_id), "整改已验收。")
    return _back_to_list()


@bp.post("/rectifications/<id:rectification_id>/return")
@auth.requires("inspections.score")
def rectification_return(rectification_id: int):
    form = ReturnForm()
    _button(form, lambda: service.return_rectification(db.session, auth.viewer(), rectification_id, form.reason.data),
            "已退回整改，责任人会收到原因。")
    return _back_to_list()


@bp.post("/rectifications/<id:rectification_id>/evidence")
@auth.requires("rectifications.view")
@security.room_for(_photos_room)
def rectification_evidence(rectification_id: int):
    form = EvidenceForm()
    _button(form, lambda: service.submit_rectification(db.session, auth.viewer(), rectification_id, form.note.data or "",
                                                       _photos(form.photos)),
            "整改情况已提交，等待检查组验收。")
    return _back_to_list()


@bp.app_template_filter("points")
def _points(value) -> str:
    """6.0 → "6", 5.5 → "5.5" (scores and maximums)."""
    return points(Decimal(str(value)))
