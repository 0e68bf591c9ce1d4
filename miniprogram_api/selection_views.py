"""评选: staff browse, submit works, vote and read results; judges score; admins run the selection."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import current_app, g, send_file

from app.extensions import db
from app.services import selections, staff, voting
from app.services.events import as_aware
from miniprogram_api import bp
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.security import admin_required, bound_required, caller
from miniprogram_api.selection_schemas import (
    AnomaliesOut,
    EntryAnswerOut,
    JudgesIn,
    MyVotesOut,
    NominationIn,
    ReasonIn,
    ReviewIn,
    ScoreIn,
    SelectionAnswerOut,
    SelectionDetailOut,
    SelectionIdQuery,
    SelectionIn,
    SelectionListOut,
    StandingsOut,
    VoteCastOut,
    VotersOut,
    VotersQuery,
    WorkIn,
)
from miniprogram_api.uploads import room_for_photos
from miniprogram_api.wish_views import IMAGE_ANSWER

AUTH = "BearerAuth"
TIMES = ("nominate_from", "nominate_until", "vote_from", "vote_until")


def _open_for_works(view):
    """Before the multipart body is parsed: the selection must take works now."""

    @wraps(view)
    def wrapper(selection_id: int, *args, **kwargs):
        selections.check_submission_allowed(db.session, selection_id)
        return view(selection_id, *args, **kwargs)

    return wrapper


@bp.get("/selections")
@bound_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(SelectionListOut)
@bp.doc(
    summary="评选列表", description="已发布的评选及其所处阶段（报名/推荐、审核、投票、公示、结果）。", security=AUTH,
    responses={403: "未绑定（not_bound）"},
)
def list_selections(query: dict):
    statement = selections.selections_statement(admin=g.staff.is_admin)
    return paginate(db.session, statement, query["page"], query["per_page"])


@bp.get("/selections/<id:selection_id>")
@bound_required
@bp.output(SelectionDetailOut)
@bp.doc(summary="评选详情", description="通过审核的参评对象、我的投票和剩余票数。结果公布前，票数仅管理员可见。", security=AUTH,
    responses={403: "未绑定（not_bound）"},
)
def get_selection(selection_id: int):
    return voting.ballot(db.session, selection_id, g.staff)


@bp.post("/selections/<id:selection_id>/entries")
@room_for_photos(selections.MAX_PHOTOS)
@bound_required
@_open_for_works
@bp.input(WorkIn, location="files", arg_name="form")
@bp.output(EntryAnswerOut, status_code=201)
@bp.doc(
    summary="投稿作品",
    description="作品征集类评选在报名阶段接受投稿：multipart/form-data，title、description 和 1–9 张照片"
    "（去除 EXIF 后保存，文字经内容安全检测），审核通过后参加投票。",
    security=AUTH,
    responses={403: "未绑定（not_bound）", 409: "不在投稿阶段（wrong_phase）", 415: "照片无法识别（unsupported_photo）", 422: "标题、说明或照片有误（invalid_entry、content_rejected、validation_error）", 503: "内容安全检测不可用（wechat_unavailable）"},
)
def submit_work(selection_id: int, form: dict):
    photos = [upload.stream for upload in form["photos"]]
    return selections.submit_work(db.session, selection_id, g.staff, g.account.openid, form["title"],
                                  form["description"], photos)


@bp.post("/selections/<id:selection_id>/entries/<id:entry_id>/vote")
@bound_required
@bp.output(VoteCastOut, status_code=201)
@bp.doc(
    summary="投票",
    description="投票期内每人最多投 K 票（每个对象一票），投出后不能更改。拒绝：voting_not_open、vote_limit_reached、"
    "already_voted、own_entry、own_department、entry_not_approved。",
    security=AUTH,
    responses={403: "未绑定，或投给自己、本部门（not_bound、own_entry、own_department）", 409: "不在投票时间、票已投完、已投过、未通过审核（voting_not_open、vote_limit_reached、already_voted、entry_not_approved）"},
)
def cast_vote(selection_id: int, entry_id: int):
    vote = voting.cast_vote(db.session, selection_id, entry_id, g.staff)
    return {"vote": vote, "votes_left": vote.votes_left}


@bp.get("/me/votes")
@bound_required
@bp.input(SelectionIdQuery, location="query", arg_name="query")
@bp.output(MyVotesOut)
@bp.doc(summary="我的投票", security=AUTH,
    responses={403: "未绑定（not_bound）", 404: "评选不存在（selection_not_found）"},
)
def my_votes(query: dict):
    selections.get_selection(db.session, query["selection_id"], admin=g.staff.is_admin)
    return {"items": voting.my_votes(db.session, query["selection_id"], g.staff.id)}


@bp.get("/selections/<id:selection_id>/results")
@bound_required
@bp.output(StandingsOut)
@bp.doc(summary="评选结果", description="结果公布后可见（409 results_not_published）；并列的名次标注 tied。", security=AUTH,
    responses={403: "未绑定（not_bound）", 409: "结果尚未公布（results_not_published）"},
)
def selection_results(selection_id: int):
    selection = selections.get_selection(db.session, selection_id, admin=g.staff.is_admin)
    return {"items": voting.published_results(db.session, selection)}


@bp.get("/selections/photos/<id:photo_id>")
@bound_required
@bp.doc(summary="作品照片", description="未通过审核的作品照片仅投稿人和管理员可以查看。", security=AUTH,
    responses={200: IMAGE_ANSWER, 403: "未绑定（not_bound）", 404: "照片不存在（photo_not_found）"},
)
def selection_photo(photo_id: int):
    photo = selections.photo_for_viewer(db.session, photo_id, g.staff)
    path = selections.photo_path(photo)
    if not path.is_file():
        raise selections.PhotoNotFound()
    response = send_file(path, mimetype=photo.content_type, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.put("/selections/<id:selection_id>/entries/<id:entry_id>/score")
@bound_required
@bp.input(ScoreIn, arg_name="body")
@bp.doc(summary="评委评分", description="本次评选的评委为通过审核的参评对象打 0–100 分，结果公布前可修改。", security=AUTH,
    responses={403: "不是评委（not_a_judge）", 409: "结果已公布或对象未通过审核（results_published、entry_not_approved）"},
)
def score_entry(selection_id: int, entry_id: int, body: dict):
    score = voting.score_entry(db.session, selection_id, entry_id, g.staff, body["score"])
    return {"entry_id": score.entry_id, "score": score.score}


# ---- admins ------------------------------------------------------------------------------------


@bp.post("/admin/selections")
@admin_required
@bp.input(SelectionIn, arg_name="body")
@bp.output(SelectionAnswerOut, status_code=201)
@bp.doc(summary="创建评选（管理员）", description="创建为草稿，发布后职工可见。", security=AUTH,
    responses={403: "不是管理员（admin_required）", 422: "评选设置有误（invalid_selection、validation_error）"},
)
def create_selection(body: dict):
    draft = selections.SelectionDraft(**{**body, **{name: as_aware(body[name]) for name in TIMES}})
    return selections.create_selection(db.session, draft, caller(), g.staff)


@bp.post("/admin/selections/<id:selection_id>/publish")
@admin_required
@bp.output(SelectionAnswerOut)
@bp.doc(summary="发布评选（管理员）", description="通过群机器人通知全体。", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "不是草稿（wrong_phase）"},
)
def publish_selection(selection_id: int):
    return selections.publish_selection(db.session, selection_id, caller())


@bp.post("/admin/selections/<id:selection_id>/cancel")
@admin_required
@bp.input(ReasonIn, arg_name="body")
@bp.output(SelectionAnswerOut)
@bp.doc(summary="取消评选（管理员）", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "已取消或已公布结果（wrong_phase）"},
)
def cancel_selection(selection_id: int, body: dict):
    return selections.cancel_selection(db.session, selection_id, caller(), body["reason"])


@bp.post("/admin/selections/<id:selection_id>/nominations")
@bound_required
@bp.input(NominationIn, arg_name="body")
@bp.output(EntryAnswerOut, status_code=201)
@bp.doc(summary="推荐参评对象（管理员、部门联络员）",
    description="个人（employee_no）、集体（department_id）或家庭（family_name 和联系人 employee_no）。"
                "部门联络员只能在报名/推荐阶段推荐本部门的对象，推荐后待管理员审核。", security=AUTH,
    responses={403: "不是管理员或部门联络员（nominate_denied），或不是本部门的对象（other_department）",
               409: "不在推荐阶段（wrong_phase）", 422: "推荐信息有误（invalid_entry、validation_error）"},
)
def nominate(selection_id: int, body: dict):
    departments = selections.nominating_departments(g.staff)
    person = staff.get_staff(db.session, body["employee_no"]) if body.get("employee_no") else None
    nomination = selections.Nomination(
        subject=body["subject"], reasons=body["reasons"], staff_id=person.id if person else None,
        department_id=body.get("department_id"), family_name=body.get("family_name"),
    )
    return selections.nominate(db.session, selection_id, nomination, caller(), g.staff, departments=departments)


@bp.get("/admin/selections/<id:selection_id>/entries")
@admin_required
@bp.output(StandingsOut)
@bp.doc(summary="参评对象与实时排名（管理员）", description="含待审核和未通过的对象（名次仅计通过审核的）。", security=AUTH,
    responses={403: "不是管理员（admin_required）"},
)
def admin_standings(selection_id: int):
    selection = selections.get_selection(db.session, selection_id, admin=True)
    return {"items": voting.standings(db.session, selection)}


@bp.post("/admin/selections/<id:selection_id>/entries/<id:entry_id>/review")
@admin_required
@bp.input(ReviewIn, arg_name="body")
@bp.output(EntryAnswerOut)
@bp.doc(summary="审核参评对象（管理员）", description="不通过须填写原因，投稿人会收到通知。", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "已审核或不在审核阶段（entry_already_reviewed、wrong_phase）", 422: "不通过须填写原因（invalid_entry）"},
)
def review_entry(selection_id: int, entry_id: int, body: dict):
    return selections.review_entry(db.session, selection_id, entry_id, body["approve"], body.get("reason"), caller())


@bp.put("/admin/selections/<id:selection_id>/judges")
@admin_required
@bp.input(JudgesIn, arg_name="body")
@bp.doc(summary="设置评委（管理员）", security=AUTH,
    responses={403: "不是管理员（admin_required）", 404: "花名册中没有该工号（staff_not_found）", 409: "结果已公布（results_published）"},
)
def appoint_judges(selection_id: int, body: dict):
    judges = [staff.get_staff(db.session, number) for number in body["employee_nos"]]
    voting.appoint_judges(db.session, selection_id, judges, caller())
    return {"judges": [judge.employee_no for judge in judges]}


@bp.post("/admin/selections/<id:selection_id>/results")
@admin_required
@bp.output(StandingsOut, status_code=201)
@bp.doc(summary="公布结果（管理员）", description="投票结束后固定名次、开始公示，并通过群机器人发布公示。", security=AUTH,
    responses={403: "不是管理员（admin_required）", 409: "投票未结束或已公布（wrong_phase、results_published）"},
)
def publish_results(selection_id: int):
    voting.publish_results(db.session, selection_id, caller(), g.staff)
    selection = selections.get_selection(db.session, selection_id, admin=True)
    return {"items": voting.published_results(db.session, selection)}


@bp.get("/admin/selections/<id:selection_id>/votes")
@admin_required
@bp.input(VotersQuery, location="query", arg_name="query")
@bp.output(VotersOut)
@bp.doc(summary="投票明细（管理员）", description="谁投给了谁；每次查看都记入审计日志。", security=AUTH,
    responses={403: "不是管理员（admin_required）"},
)
def selection_votes(selection_id: int, query: dict):
    rows = voting.votes_for_admin(db.session, selection_id, g.staff, query.get("entry_id"))
    return {"items": [
        {"vote_id": vote.id, "entry_id": vote.entry_id, "cast_at": vote.cast_at, "voter": voter.name,
         "employee_no": voter.employee_no, "department": voter.department.name}
        for vote, voter in rows
    ]}


@bp.get("/admin/selections/<id:selection_id>/anomalies")
@admin_required
@bp.output(AnomaliesOut)
@bp.doc(summary="异常投票（管理员）", description="同一部门在短时间内集中投给同一对象的情况。", security=AUTH,
    responses={403: "不是管理员（admin_required）"},
)
def selection_anomalies(selection_id: int):
    config = current_app.config
    return {"items": voting.unusual_patterns(
        db.session, selection_id, threshold=config["VOTE_BURST_THRESHOLD"],
        window=timedelta(minutes=config["VOTE_BURST_MINUTES"]),
    )}

