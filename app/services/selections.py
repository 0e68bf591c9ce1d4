"""评选: create and publish selections, nominate and submit entries, review them.

Voting, jury scores and results are in ``app.services.voting``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, Forbidden, NotFound
from app.ledger_plan import ITEM_NUMBERS
from app.models import Department, Selection, SelectionEntry, SelectionPhoto, Staff
from app.models.base import utcnow
from app.models.org import ROLE_LIAISON
from app.models.selection import (
    ENTRY_APPROVED,
    ENTRY_PENDING,
    ENTRY_REJECTED,
    KIND_HONOUR,
    KIND_WORKS,
    METHOD_VOTES,
    PHASE_DRAFT,
    PHASE_FINISHED,
    PHASE_LABELS,
    PHASE_NOMINATING,
    PHASE_REVIEWING,
    PHASE_UPCOMING,
    RESULT_METHODS,
    SELECTION_CANCELLED,
    SELECTION_DRAFT,
    SELECTION_KINDS,
    SELECTION_PUBLISHED,
    SUBJECT_DEPARTMENT,
    SUBJECT_FAMILY,
    SUBJECT_PERSON,
    SUBJECT_WORK,
)
from app.services import audit, content_check, images, outbox
from app.timeutil import format_local

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
REASON_MAX = 200
MAX_PHOTOS = 9


class InvalidSelection(AppError):
    status_code = 422
    code = "invalid_selection"
    message = "评选设置有误"


class SelectionNotFound(NotFound):
    code = "selection_not_found"
    message = "评选不存在"


class EntryNotFound(NotFound):
    code = "entry_not_found"
    message = "参评对象不存在"


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = "照片不存在"


class WrongPhase(Conflict):
    code = "wrong_phase"


class InvalidEntry(AppError):
    status_code = 422
    code = "invalid_entry"
    message = "参评信息有误"


class EntryTextRejected(AppError):
    status_code = 422
    code = "content_rejected"
    message = "标题或说明含有不适宜的内容，请修改后重新提交"


class EntryAlreadyReviewed(Conflict):
    code = "entry_already_reviewed"
    message = "该参评对象已审核"


class OtherDepartmentNomination(Forbidden):
    code = "other_department"
    message = "部门联络员只能推荐本部门的人员、家庭或本部门集体"


class SelectionNotEditable(Conflict):
    code = "selection_not_editable"
    message = "报名/推荐开始后不能再修改评选设置（评委可在结果公布前调整）"


@dataclass
class SelectionDraft:
    """What an admin sets for a selection; ``problems()`` lists what is wrong, in Chinese."""

    title: str
    kind: str
    nominate_from: datetime
    nominate_until: datetime
    vote_from: datetime
    vote_until: datetime
    description: str = ""
    work_item: int | None = None
    publicity_days: int = 5
    votes_per_voter: int = 3
    forbid_own_department: bool = False
    forbid_self: bool = True
    result_method: str = METHOD_VOTES
    vote_weight: int | None = None
    judges: list[str] = field(default_factory=list)

    def effective_vote_weight(self) -> int:
        if self.vote_weight is not None:
            return self.vote_weight
        return {"votes": 100, "jury": 0}.get(self.result_method, 50)

    def problems(self) -> list[str]:
        found: list[str] = []
        if not self.title.strip() or len(self.title) > TITLE_MAX:
            found.append(f"标题应为 1–{TITLE_MAX} 个字")
        if len(self.description) > DESCRIPTION_MAX:
            found.append(f"说明不能超过 {DESCRIPTION_MAX} 个字")
        if self.kind not in SELECTION_KINDS:
            found.append("类型应为 honour（评选先进）或 works（作品征集）")
        if self.work_item is not None and self.work_item not in ITEM_NUMBERS:
            found.append("工作项目编号应为 1–18")
        if not self.nominate_from < self.nominate_until:
            found.append("报名/推荐的结束时间应晚于开始时间")
        if not self.nominate_until <= self.vote_from:
            found.append("投票应在报名/推荐结束之后开始（其间为审核）")
        if not self.vote_from < self.vote_until:
            found.append("投票的结束时间应晚于开始时间")
        if not 1 <= self.publicity_days <= 30:
            found.append("公示期应为 1–30 天")
        if not 1 <= self.votes_per_voter <= 50:
            found.append("每人可投票数应为 1–50")
        if self.result_method not in RESULT_METHODS:
            found.append("计分方式应为 votes（得票）、jury（评委评分）或 mixed（加权）")
        if not 0 <= self.effective_vote_weight() <= 100:
            found.append("得票权重应为 0–100")
        return found


def create_selection(session: Session, draft: SelectionDraft, actor: audit.Actor, creator: Staff | None) -> Selection:
    problems = draft.problems()
    if problems:
        raise InvalidSelection("；".join(problems))
    selection = Selection(
        title=draft.title.strip(), kind=draft.kind, description=draft.description, work_item=draft.work_item,
        nominate_from=draft.nominate_from, nominate_until=draft.nominate_until,
        vote_from=draft.vote_from, vote_until=draft.vote_until, publicity_days=draft.publicity_days,
        votes_per_voter=draft.votes_per_voter, forbid_own_department=draft.forbid_own_department,
        forbid_self=draft.forbid_self, result_method=draft.result_method,
        vote_weight=draft.effective_vote_weight(), status=SELECTION_DRAFT,
        created_by_id=creator.id if creator else None,
    )
    session.add(selection)
    session.flush()
    audit.record(session, actor, "selection.create", "selection", selection.id, title=selection.title)
    session.commit()
    return selection


EDITABLE_FIELDS = (
    "title", "kind", "description", "work_item", "nominate_from", "nominate_until", "vote_from", "vote_until",
    "publicity_days", "votes_per_voter", "forbid_own_department", "forbid_self", "result_method",
)


def update_selection(session: Session, selection_id: int, draft: SelectionDraft, actor: audit.Actor,
                     now: datetime | None = None) -> Selection:
    """Change a selection's settings while it is a draft or before its 报名/推荐 opens."""
    selection = get_selection(session, selection_id, admin=True)
    if selection.phase(now or utcnow()) not in (PHASE_DRAFT, PHASE_UPCOMING):
        raise SelectionNotEditable()
    problems = draft.problems()
    if problems:
        raise InvalidSelection("；".join(problems))
    changed = {}
    for name in EDITABLE_FIELDS:
        value = getattr(draft, name).strip() if name == "title" else getattr(draft, name)
        if getattr(selection, name) != value:
            changed[name] = str(value)
            setattr(selection, name, value)
    if selection.vote_weight != draft.effective_vote_weight():
        changed["vote_weight"] = str(draft.effective_vote_weight())
        selection.vote_weight = draft.effective_vote_weight()
    audit.record(session, actor, "selection.update", "selection", selection.id, changed=sorted(changed))
    session.commit()
    return selection


def get_selection(session: Session, selection_id: int, *, admin: bool = False) -> Selection:
    selection = session.get(Selection, selection_id)
    if selection is None or (not admin and not selection.is_visible()):
        raise SelectionNotFound()
    return selection


def selections_statement(*, admin: bool) -> Select:
    statement = select(Selection).order_by(Selection.vote_from.desc(), Selection.id.desc())
    return statement if admin else statement.where(Selection.status != SELECTION_DRAFT)


def running_selections(session: Session, now: datetime, limit: int) -> list[Selection]:
    """Published selections not yet past their results' publicity, latest voting first."""
    rows = session.scalars(
        select(Selection).where(Selection.status == SELECTION_PUBLISHED)
        .order_by(Selection.vote_until.desc(), Selection.id.desc()).limit(limit * 3)
    ).all()
    return [selection for selection in rows if selection.phase(now) != PHASE_FINISHED][:limit]


def publish_selection(session: Session, selection_id: int, actor: audit.Actor) -> Selection:
    selection = get_selection(session, selection_id, admin=True)
    if selection.status != SELECTION_DRAFT:
        raise WrongPhase("只有草稿可以发布")
    selection.status = SELECTION_PUBLISHED
    kind = "推荐" if selection.kind == KIND_HONOUR else "投稿"
    outbox.enqueue_to_groups(
        session, f"selection:{selection.id}:published",
        outbox.text(
            f"【评选】{selection.title}（{selection.kind_label}）\n"
            f"{kind}：{format_local(selection.nominate_from)} 至 {format_local(selection.nominate_until)}\n"
            f"投票：{format_local(selection.vote_from)} 至 {format_local(selection.vote_until)}\n"
            "请在小程序「评选」中参与。"
        ),
    )
    audit.record(session, actor, "selection.publish", "selection", selection.id)
    session.commit()
    return selection


def cancel_selection(session: Session, selection_id: int, actor: audit.Actor, reason: str) -> Selection:
    selection = get_selection(session, selection_id, admin=True)
    if selection.status == SELECTION_CANCELLED or selection.results_published_at is not None:
        raise WrongPhase("已取消或已公布结果的评选不能取消")
    selection.status = SELECTION_CANCELLED
    audit.record(session, actor, "selection.cancel", "selection", selection.id, reason=reason)
    session.commit()
    return selection


def _require_phase(selection: Selection, allowed: Sequence[str], doing: str, now: datetime) -> None:
    phase = selection.phase(now)
    if phase not in allowed:
        wanted = "或".join(PHASE_LABELS[p] for p in allowed)
        raise WrongPhase(f"当前处于「{PHASE_LABELS[phase]}」阶段，{doing}只能在「{wanted}」阶段进行")


@dataclass
class Nomination:
    subject: str
    reasons: str
    staff_id: int | None = None
    department_id: int | None = None
    family_name: str | None = None


def nominate(
    session: Session, selection_id: int, nomination: Nomination, actor: audit.Actor,
    nominator: Staff | None = None, now: datetime | None = None, departments: frozenset[int] | None = None,
) -> SelectionEntry:
    """An admin (``departments`` None) or a department liaison (``departments``: the ones they act for)
    nominates a person, a department or a family (with a person as its contact).

    Admin nominations are approved at once and may still come during review; they can be rejected with
    a reason. A liaison nominates only from their own department (403 otherwise), during 报名/推荐 only,
    and the nomination waits for an admin's review."""
    now = now or utcnow()
    selection = get_selection(session, selection_id, admin=departments is None)
    if selection.kind != KIND_HONOUR:
        raise InvalidEntry("作品征集类评选由职工在小程序中投稿")
    _require_phase(selection, (PHASE_NOMINATING,) if departments is not None else (PHASE_NOMINATING, PHASE_REVIEWING), "推荐", now)
    if not nomination.reasons.strip() or len(nomination.reasons) > DESCRIPTION_MAX:
        raise InvalidEntry(f"推荐理由应为 1–{DESCRIPTION_MAX} 个字")
    person = session.get(Staff, nomination.staff_id) if nomination.staff_id else None
    if nomination.subject in (SUBJECT_PERSON, SUBJECT_FAMILY) and (person is None or not person.active):
        raise InvalidEntry("请指定花名册中在职的人员" + ("（家庭的联系人）" if nomination.subject == SUBJECT_FAMILY else ""))
    if nomination.subject == SUBJECT_PERSON:
        title, department_id = person.name, person.department_id
    elif nomination.subject == SUBJECT_FAMILY:
        name = (nomination.family_name or "").strip()
        if not name or len(name) > TITLE_MAX:
            raise InvalidEntry(f"请填写家庭名称（1–{TITLE_MAX} 个字），如「张伟家庭」")
        title, department_id = name, person.department_id
    elif nomination.subject == SUBJECT_DEPARTMENT:
        department = session.get(Department, nomination.department_id) if nomination.department_id else None
        if department is None:
            raise InvalidEntry("请指定部门")
        title, department_id = department.name, department.id
    else:
        raise InvalidEntry("推荐对象应为 person（个人）、department（集体）或 family（家庭）")
    if departments is not None and department_id not in departments:
        raise OtherDepartmentNomination()
    entry = SelectionEntry(
        selection_id=selection.id, subject=nomination.subject, title=title, description=nomination.reasons.strip(),
        staff_id=person.id if person else None, department_id=department_id,
        submitted_by_id=nominator.id if nominator else None,
        status=ENTRY_APPROVED if departments is None else ENTRY_PENDING, reviewed_at=now if departments is None else None,
    )
    session.add(entry)
    session.flush()
    audit.record(session, actor, "selection.nominate", "selection_entry", entry.id,
                 selection_id=selection.id, subject=nomination.subject)
    session.commit()
    return entry



def nominating_departments(staff: Staff) -> frozenset[int] | None:
    """Whom ``staff`` may nominate for: None (any department) for an admin, a liaison's departments, else 403."""
    if staff.is_admin:
        return None
    departments = frozenset(r.department_id for r in staff.roles if r.role == ROLE_LIAISON and r.department_id is not None)
    if not departments:
        raise Forbidden(code="nominate_denied", message="只有管理员和部门联络员可以推荐参评对象")
    return departments


def photo_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "selections"


def check_submission_allowed(session: Session, selection_id: int, now: datetime | None = None) -> Selection:
    """What can be refused before an upload's body is read: the selection takes works now."""
    selection = get_selection(session, selection_id)
    if selection.kind != KIND_WORKS:
        raise InvalidEntry("该评选不接受投稿，参评对象由管理员推荐")
    _require_phase(selection, (PHASE_NOMINATING,), "投稿", now or utcnow())
    return selection


def submit_work(
    session: Session, selection_id: int, author: Staff, openid: str, title: str, description: str,
    photos: Sequence[BinaryIO], now: datetime | None = None,
) -> SelectionEntry:
    """A member of staff submits a work (1-9 photos) to a 作品征集; it waits for review."""
    selection = check_submission_allowed(session, selection_id, now)
    title, description = title.strip(), description.strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidEntry(f"作品标题应为 1–{TITLE_MAX} 个字")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidEntry(f"作品说明不能超过 {DESCRIPTION_MAX} 个字")
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise InvalidEntry(f"请上传 1–{MAX_PHOTOS} 张作品照片")
    cleaned = images.clean_uploads(photos)
    # "review" text passes here: every submitted work is reviewed by an admin before it is shown.
    content_check.check_text(openid, f"{title}\n{description}", EntryTextRejected)
    paths = images.store_images(photo_folder(), cleaned)
    try:
        entry = SelectionEntry(
            selection_id=selection.id, subject=SUBJECT_WORK, title=title, description=description,
            staff_id=author.id, department_id=author.department_id, submitted_by_id=author.id, status=ENTRY_PENDING,
        )
        entry.photos = [
            SelectionPhoto(path=path.name, content_type=image.content_type, width=image.width, height=image.height)
            for path, image in zip(paths, cleaned, strict=True)
        ]
        session.add(entry)
        session.flush()
        audit.record(session, audit.Actor.staff(author.id), "selection.submit", "selection_entry", entry.id,
                     selection_id=selection.id, photos=len(paths))
        session.commit()
    except BaseException:
        session.rollback()
        images.remove_files(paths)
        raise
    return entry


def get_entry(session: Session, selection_id: int, entry_id: int) -> SelectionEntry:
    entry = session.get(SelectionEntry, entry_id)
    if entry is None or entry.selection_id != selection_id:
        raise EntryNotFound()
    return entry


def review_entry(
    session: Session, selection_id: int, entry_id: int, approve: bool, reason: str | None, actor: audit.Actor,
    now: datetime | None = None,
) -> SelectionEntry:
    """Approve a pending entry, or reject an entry (with a reason) before voting starts."""
    now = now or utcnow()
    selection = get_selection(session, selection_id, admin=True)
    entry = get_entry(session, selection_id, entry_id)
    _require_phase(selection, (PHASE_NOMINATING, PHASE_REVIEWING), "审核", now)
    if not approve and not (reason or "").strip():
        raise InvalidEntry("不通过时请填写原因")
    if entry.status != ENTRY_PENDING and (approve or entry.status == ENTRY_REJECTED):
        raise EntryAlreadyReviewed()
    entry.status = ENTRY_APPROVED if approve else ENTRY_REJECTED
    entry.review_reason = None if approve else reason.strip()
    entry.reviewed_at = now
    if entry.subject == SUBJECT_WORK and entry.submitted_by_id:
        author = session.get(Staff, entry.submitted_by_id)
        verdict = "已通过审核，将参加投票" if approve else f"未通过审核。原因：{entry.review_reason}"
        outbox.enqueue_to_staff(session, f"selection:{selection.id}:entry:{entry.id}:{entry.status}", [author],
                                outbox.text(f"您投稿的作品「{entry.title}」（{selection.title}）{verdict}"))
    audit.record(session, actor, "selection.review", "selection_entry", entry.id,
                 selection_id=selection.id, approved=approve, reason=entry.review_reason)
    session.commit()
    return entry


def entries_statement(selection_id: int, *, approved_only: bool) -> Select:
    statement = select(SelectionEntry).where(SelectionEntry.selection_id == selection_id)
    if approved_only:
        statement = statement.where(SelectionEntry.status == ENTRY_APPROVED)
    return statement.order_by(SelectionEntry.id)


def photo_for_viewer(session: Session, photo_id: int, viewer: Staff) -> SelectionPhoto:
    """Approved entries' photos for every bound person; a pending or rejected one's for its author and admins."""
    photo = session.get(SelectionPhoto, photo_id)
    entry = session.get(SelectionEntry, photo.entry_id) if photo else None
    if entry is None:
        raise PhotoNotFound()
    get_selection(session, entry.selection_id, admin=viewer.is_admin)
    if entry.status != ENTRY_APPROVED and not (viewer.is_admin or entry.submitted_by_id == viewer.id):
        raise PhotoNotFound()
    return photo


def photo_path(photo: SelectionPhoto) -> Path:
    return photo_folder() / photo.path


def require_admin(staff: Staff) -> None:
    if not staff.is_admin:
        raise Forbidden(code="admin_required", message="此操作仅限管理员")
