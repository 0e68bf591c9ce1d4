"""检查考评 in the API: staff answer surveys (anonymously, once) and report their rectifications done;
inspectors (检查组) and admins score rounds beside the 台账 evidence, check departments, follow
rectifications, read survey results and download the 通报. Locking, corrections, publishing and the
template are for admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, send_file

from app.extensions import db
from app.services.inspections import checks, rectifications, report, rounds, surveys
from app.services.inspections.errors import NotResponsible
from app.services.inspections.rounds import require_inspector
from app.timeutil import to_local
from miniprogram_api import bp
from miniprogram_api.inspection_schemas import (
    AnsweredOut,
    AnswersIn,
    CheckIn,
    ChecklistIn,
    ChecklistOut,
    CheckOut,
    CorrectionIn,
    DepartmentResultsOut,
    EvidenceIn,
    QuestionsIn,
    ReasonIn,
    RectificationIn,
    RectificationListOut,
    RectificationOut,
    RectificationQuery,
    RoundDetailsIn,
    RoundIn,
    RoundListOut,
    RoundOut,
    ScoreIn,
    ScoreLineOut,
    SheetOut,
    SurveyDetailOut,
    SurveyIn,
    SurveyListOut,
    SurveyResultsOut,
    TemplateIn,
    TemplateOut,
)
from miniprogram_api.security import admin_required, bound_required, caller
from miniprogram_api.uploads import room_for_photos

AUTH = "BearerAuth"
INSPECTOR = {403: "未绑定（not_bound）或不是检查组成员或管理员（inspector_required）"}
ADMIN = {403: "未绑定（not_bound）或不是管理员（admin_required）"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def inspector_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``bound_required``, and the bound staff member is in the 检查组 or an admin."""

    @wraps(view)
    @bound_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_inspector(g.staff)
        return view(*args, **kwargs)

    return wrapper


# ---- staff: the survey and my rectifications -----------------------------------------------------


def _survey_summary(survey, answered: bool) -> dict:
    return {"id": survey.id, "title": survey.title, "is_open": survey.is_open, "answered": answered,
            "question_count": len(survey.questions), "questions": survey.questions}


@bp.get("/surveys")
@bound_required
@bp.output(SurveyListOut)
@bp.doc(summary="问卷列表", description="进行中的问卷，以及我是否已填写。", security=AUTH)
def list_surveys():
    return {"items": [_survey_summary(s, answered) for s, answered in surveys.open_surveys(db.session, g.staff)]}


@bp.get("/surveys/<id:survey_id>")
@bound_required
@bp.output(SurveyDetailOut)
@bp.doc(summary="问卷详情", description="题目和选项（选项序号从 0 开始）；不存在时 404 survey_not_found。", security=AUTH)
def survey_detail(survey_id: int):
    survey = surveys.get_survey(db.session, survey_id)
    return _survey_summary(survey, surveys.has_answered(db.session, survey_id, g.staff))


@bp.post("/surveys/<id:survey_id>/answers")
@bound_required
@bp.input(AnswersIn, arg_name="body")
@bp.output(AnsweredOut, status_code=201)
@bp.doc(summary="提交问卷", description="每人一次、匿名保存（作答人与答案分开存放）。再次提交 409 survey_already_answered；"
        "问卷已结束 409 survey_closed；答案不完整或无效 422 survey_answer_incomplete / survey_answer_invalid。",
        security=AUTH, responses={409: "已填写或问卷已结束"})
def answer_survey(survey_id: int, body: dict):
    surveys.answer_survey(db.session, survey_id, g.staff, body["answers"])
    return {"survey_id": survey_id, "answered": True}


@bp.get("/me/rectifications")
@bound_required
@bp.output(RectificationListOut)
@bp.doc(summary="我的整改", description="我作为责任人的整改要求，待整改的在前。", security=AUTH)
def my_rectifications():
    return {"items": rectifications.my_rectifications(db.session, g.staff)}


def _responsible_before_body(view):
    """Only the responsible person of a pending rectification gets the photos read."""

    @wraps(view)
    def wrapper(rectification_id: int, *args, **kwargs):
        found = rectifications.get_rectification(db.session, rectification_id)
        if found.responsible_id != g.staff.id:
            raise NotResponsible()
        return view(rectification_id, *args, **kwargs)

    return wrapper


@bp.post("/me/rectifications/<id:rectification_id>/evidence")
@room_for_photos(checks.PHOTOS_MAX)
@bound_required
@_responsible_before_body
@bp.input(EvidenceIn, location="files", arg_name="form")
@bp.output(RectificationOut)
@bp.doc(summary="提交整改情况", description="multipart/form-data：note 说明，photos 0–9 张照片（至少一项）。"
        "仅责任人（403 not_responsible）；状态须为待整改（409 rectification_wrong_state）。", security=AUTH,
        responses={403: "不是责任人（not_responsible）", 409: "当前状态不能提交"})
def submit_rectification(rectification_id: int, form: dict):
    photos = [upload.stream for upload in form["photos"]]
    return rectifications.submit_rectification(db.session, rectification_id, g.staff, form["note"], photos)


@bp.get("/inspections/photos/<id:photo_id>")
@bound_required
@bp.doc(summary="检查或整改照片", description="检查组和管理员可看全部；整改照片其责任人也可看（其他人 403 inspector_required）。",
        security=AUTH, responses={200: {"description": "照片", "content": {"image/jpeg": {}, "image/png": {}}},
                                  403: "无权查看（inspector_required）", 404: "照片不存在（photo_not_found）"})
def inspection_photo(photo_id: int):
    path, content_type = checks.photo_for_viewer(db.session, photo_id, g.staff)
    response = send_file(path, mimetype=content_type, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# ---- inspectors and admins: rounds and scores ------------------------------------------------------


@bp.get("/admin/inspections")
@inspector_required
@bp.output(RoundListOut)
@bp.doc(summary="检查轮次列表", security=AUTH, responses=INSPECTOR)
def list_rounds():
    return {"items": rounds.list_rounds(db.session)}


@bp.post("/admin/inspections")
@inspector_required
@bp.input(RoundIn, arg_name="body")
@bp.output(RoundOut, status_code=201)
@bp.doc(summary="按创建计划建立检查轮次", description="18 项工作的评分表（满分默认合计 100）和办公环境检查清单。"
        "没有该年度计划 404 plan_not_found；同名 409 round_exists。", security=AUTH,
        responses={**INSPECTOR, 404: "没有该年度的创建计划（plan_not_found）", 409: "同名的检查轮次已存在"})
def create_round(body: dict):
    return rounds.create_round(db.session, year=body["year"], starts_on=body["starts_on"], ends_on=body["ends_on"],
                               actor=caller(), title=body["title"], inspector_ids=body["inspector_ids"])


@bp.patch("/admin/inspections/<id:round_id>")
@admin_required
@bp.input(RoundDetailsIn, arg_name="body")
@bp.output(RoundOut)
@bp.doc(summary="修改检查轮次和通报信息", description="标题、主送、发文机关、文号（留痕）。", security=AUTH,
        responses={**ADMIN, 409: "同名的检查轮次已存在"})
def edit_round(round_id: int, body: dict):
    return rounds.update_details(db.session, round_id, caller(), **body)


def _evidence(progress) -> dict | None:
    if progress is None:
        return None
    return {
        "status": progress.status,
        "missing": progress.missing_text,
        "events": [f"{to_local(e.event.starts_at):%Y-%m-%d} {e.event.title}" for e in progress.events],
        "targets": [f"{r.label}：{r.done}" for r in progress.results],
    }


@bp.get("/admin/inspections/<id:round_id>")
@inspector_required
@bp.output(SheetOut)
@bp.doc(summary="评分表", description="每项的满分、得分、存在问题，以及该项台账证据（状态、缺少的材料、活动、目标完成情况）。",
        security=AUTH, responses=INSPECTOR)
def score_sheet(round_id: int):
    found, lines = rounds.score_sheet(db.session, round_id)
    return {"round": found, "items": [
        {"number": s.line.number, "title": s.line.title, "max_score": float(s.line.max_score),
         "score": None if s.line.score is None else float(s.line.score),
         "findings": s.line.findings, "evidence": _evidence(s.progress)} for s in lines]}


@bp.put("/admin/inspections/<id:round_id>/items/<int:number>")
@inspector_required
@bp.input(ScoreIn, arg_name="body")
@bp.output(ScoreLineOut)
@bp.doc(summary="评分", description="得分、存在问题或满分（草稿状态）。超过满分 422 score_over_maximum；"
        "已锁定 409 round_locked；已提交 409 round_wrong_state。", security=AUTH,
        responses={**INSPECTOR, 409: "已提交或已锁定"})
def score_item(round_id: int, number: int, body: dict):
    if body["max_score"] is not None:
        rounds.set_max_score(db.session, round_id, number, body["max_score"], caller())
    return rounds.score_item(db.session, round_id, number, score=body["score"], findings=body["findings"],
                             scorer=g.staff, actor=caller())


@bp.post("/admin/inspections/<id:round_id>/submit")
@inspector_required
@bp.output(RoundOut)
@bp.doc(summary="提交评分", description="每项都评分后；否则 409 scores_incomplete。", security=AUTH,
        responses={**INSPECTOR, 409: "有未评分的工作项或状态不对"})
def submit_round(round_id: int):
    return rounds.submit_round(db.session, round_id, caller())


@bp.post("/admin/inspections/<id:round_id>/reopen")
@admin_required
@bp.output(RoundOut)
@bp.doc(summary="退回草稿", security=AUTH, responses={**ADMIN, 409: "不是已提交状态"})
def reopen_round(round_id: int):
    return rounds.reopen_round(db.session, round_id, caller())


@bp.post("/admin/inspections/<id:round_id>/lock")
@admin_required
@bp.output(RoundOut)
@bp.doc(summary="锁定检查轮次", description="此后分数只能通过更正修改（留痕）。", security=AUTH,
        responses={**ADMIN, 409: "不是已提交状态"})
def lock_round(round_id: int):
    return rounds.lock_round(db.session, round_id, caller())


@bp.post("/admin/inspections/<id:round_id>/items/<int:number>/correction")
@admin_required
@bp.input(CorrectionIn, arg_name="body")
@bp.output(ScoreLineOut)
@bp.doc(summary="更正已锁定的得分", description="记入审计日志（原分数、新分数、原因）；未锁定 409 round_not_locked。",
        security=AUTH, responses={**ADMIN, 409: "检查轮次未锁定"})
def correct_score(round_id: int, number: int, body: dict):
    return rounds.correct_score(db.session, round_id, number, body["score"], body["reason"], caller())


# ---- department checks -----------------------------------------------------------------------------


@bp.get("/admin/inspections/<id:round_id>/checklist")
@inspector_required
@bp.output(ChecklistOut)
@bp.doc(summary="办公环境检查清单", security=AUTH, responses=INSPECTOR)
def checklist(round_id: int):
    return {"items": rounds.get_round(db.session, round_id).checkpoints}


@bp.put("/admin/inspections/<id:round_id>/checklist")
@inspector_required
@bp.input(ChecklistIn, arg_name="body")
@bp.output(ChecklistOut)
@bp.doc(summary="修改检查清单", description="保留的项目保留检查结果；删除的项目连同结果删除。", security=AUTH,
        responses={**INSPECTOR, 409: "检查轮次已锁定"})
def set_checklist(round_id: int, body: dict):
    return {"items": checks.set_checklist(db.session, round_id, body["points"], caller())}


@bp.post("/admin/inspections/<id:round_id>/checks")
@room_for_photos(checks.PHOTOS_MAX)
@inspector_required
@bp.input(CheckIn, location="files", arg_name="form")
@bp.output(CheckOut, status_code=201)
@bp.doc(summary="记录一个部门一个项目的检查结果", description="multipart/form-data：checkpoint_id、department_id、"
        "passed、note，photos 0–9 张照片（去除 EXIF/GPS）。再次提交即更新，照片追加。", security=AUTH,
        responses={**INSPECTOR, 409: "检查轮次已锁定"})
def record_check(round_id: int, form: dict):
    return checks.record_check(db.session, round_id, checkpoint_id=form["checkpoint_id"],
                               department_id=form["department_id"], passed=form["passed"], note=form["note"],
                               photos=[upload.stream for upload in form["photos"]], inspector=g.staff)


@bp.get("/admin/inspections/<id:round_id>/departments")
@inspector_required
@bp.output(DepartmentResultsOut)
@bp.doc(summary="部门得分和排名", security=AUTH, responses=INSPECTOR)
def department_results(round_id: int):
    return {"items": checks.department_results(db.session, round_id)}


# ---- rectifications --------------------------------------------------------------------------------


@bp.get("/admin/inspections/<id:round_id>/rectifications")
@inspector_required
@bp.input(RectificationQuery, location="query", arg_name="query")
@bp.output(RectificationListOut)
@bp.doc(summary="整改要求", description="按期限排列，可按状态和部门筛选。", security=AUTH, responses=INSPECTOR)
def list_rectifications(round_id: int, query: dict):
    rounds.get_round(db.session, round_id)
    return {"items": rectifications.list_rectifications(db.session, round_id=round_id, status=query["status"],
                                                        department_id=query["department_id"])}


@bp.post("/admin/inspections/<id:round_id>/rectifications")
@inspector_required
@bp.input(RectificationIn, arg_name="body")
@bp.output(RectificationOut, status_code=201)
@bp.doc(summary="提出整改要求", description="责任人所在部门为整改部门；期限不能早于今天（422 deadline_in_past）；"
        "责任人收到企业微信应用消息。", security=AUTH, responses=INSPECTOR)
def add_rectification(round_id: int, body: dict):
    return rectifications.add_rectification(db.session, round_id, requirement=body["requirement"],
                                            responsible_employee_no=body["responsible"], deadline=body["deadline"],
                                            actor=caller(), number=body["item"])


@bp.post("/admin/rectifications/<id:rectification_id>/accept")
@inspector_required
@bp.output(RectificationOut)
@bp.doc(summary="验收整改", description="已整改 → 已验收；其他状态 409 rectification_wrong_state。", security=AUTH,
        responses={**INSPECTOR, 409: "当前状态不能验收"})
def accept_rectification(rectification_id: int):
    return rectifications.accept_rectification(db.session, rectification_id, g.staff)


@bp.post("/admin/rectifications/<id:rectification_id>/return")
@inspector_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(RectificationOut)
@bp.doc(summary="退回整改", description="已整改 → 待整改，附原因，责任人收到通知。", security=AUTH,
        responses={**INSPECTOR, 409: "当前状态不能退回"})
def return_rectification(rectification_id: int, body: dict):
    return rectifications.return_rectification(db.session, rectification_id, g.staff, body["reason"])


# ---- the survey (admin side) -------------------------------------------------------------------------


@bp.post("/admin/inspections/<id:round_id>/survey")
@inspector_required
@bp.input(SurveyIn, arg_name="body")
@bp.output(SurveyDetailOut, status_code=201)
@bp.doc(summary="为检查轮次建立问卷", description="省略题目时使用默认题目；每个轮次一份（409 survey_exists）。",
        security=AUTH, responses={**INSPECTOR, 409: "已有问卷"})
def create_survey(round_id: int, body: dict):
    survey = surveys.create_survey(db.session, round_id, caller(), body["title"], body["questions"])
    return _survey_summary(survey, False)


@bp.put("/admin/surveys/<id:survey_id>/questions")
@inspector_required
@bp.input(QuestionsIn, arg_name="body")
@bp.output(SurveyDetailOut)
@bp.doc(summary="修改问卷题目", description="有人填写后不能再改（409 survey_already_started）。", security=AUTH,
        responses={**INSPECTOR, 409: "已有人填写"})
def replace_questions(survey_id: int, body: dict):
    return _survey_summary(surveys.replace_questions(db.session, survey_id, body["questions"], caller()), False)


@bp.get("/admin/surveys/<id:survey_id>/results")
@inspector_required
@bp.output(SurveyResultsOut)
@bp.doc(summary="问卷结果", description="各题选项的人数和占比、简答内容（不含作答人）、各部门参与率。", security=AUTH,
        responses=INSPECTOR)
def survey_results(survey_id: int):
    return surveys.survey_results(db.session, survey_id)


@bp.get("/admin/surveys/<id:survey_id>/results.pdf")
@inspector_required
@bp.doc(summary="问卷结果图表（PDF）", security=AUTH,
        responses={200: {"description": "各题选项条形图和各部门参与率", "content": {"application/pdf": {}}}, **INSPECTOR})
def survey_results_pdf(survey_id: int):
    data = report.survey_pdf(db.session, survey_id)
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": "attachment; filename=survey.pdf"})


@bp.post("/admin/surveys/<id:survey_id>/close")
@inspector_required
@bp.output(SurveyDetailOut)
@bp.doc(summary="结束问卷", security=AUTH, responses=INSPECTOR)
def close_survey(survey_id: int):
    return _survey_summary(surveys.close_survey(db.session, survey_id, caller()), False)


# ---- the 通报 ---------------------------------------------------------------------------------------


@bp.get("/admin/inspections/<id:round_id>/report.docx")
@inspector_required
@bp.doc(summary="下载通报（Word）", security=AUTH,
        responses={200: {"description": "通报 .docx", "content": {DOCX_TYPE: {}}}, **INSPECTOR})
def report_docx(round_id: int):
    data = report.render_report(db.session, round_id, "docx")
    return Response(data, mimetype=DOCX_TYPE, headers={"Content-Disposition": "attachment; filename=report.docx"})


@bp.get("/admin/inspections/<id:round_id>/report.pdf")
@inspector_required
@bp.doc(summary="下载通报（PDF）", security=AUTH,
        responses={200: {"description": "通报 PDF", "content": {"application/pdf": {}}}, **INSPECTOR})
def report_pdf(round_id: int):
    data = report.render_report(db.session, round_id, "pdf")
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": "attachment; filename=report.pdf"})


@bp.post("/admin/inspections/<id:round_id>/publish")
@admin_required
@bp.output(RoundOut)
@bp.doc(summary="发布通报", description="锁定后才能发布（409 round_not_locked），每个轮次一次（409 report_already_published）："
        "摘要作为公告推送到各群，.docx 存入台账第 2 项。", security=AUTH, responses={**ADMIN, 409: "未锁定或已发布"})
def publish_report(round_id: int):
    return report.publish_report(db.session, round_id, g.staff)


@bp.put("/admin/inspections/report-template")
@room_for_photos(3)
@admin_required
@bp.input(TemplateIn, location="files", arg_name="form")
@bp.output(TemplateOut)
@bp.doc(summary="上传通报模板", description="multipart/form-data：file 为 .docx（页面、样式、红头；"
        "{{发文机关}} {{文号}} {{标题}} {{日期}} 会被替换，{{正文}} 处放通报内容）。", security=AUTH, responses=ADMIN)
def upload_template(form: dict):
    report.save_template(form["file"].stream, caller(), db.session)
    return {"saved": True}

