"""检查考评 for the console: the inspections services behind the console's roles.

Admins, leaders and the 检查组 read rounds, score sheets, checks, surveys and the 通报; the 检查组 and
admins score, check and accept rectifications; only admins lock, correct, publish and replace the
template. Rectifications are also listed per department for liaisons (their own department), and the
responsible person (or an admin) reports one done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import AppError
from app.models import Department, DepartmentCheck, InspectionPhoto, InspectionRound, Rectification, Staff, StaffRole, Survey
from app.models.inspection import QUESTION_KIND_NAMES, QUESTION_TEXT, RECT_PENDING, RECT_STATUS_NAMES
from app.models.org import ROLE_ADMIN, ROLE_INSPECTOR
from app.services.inspections import checks, rectifications, report, rounds, surveys
from app.services.inspections.errors import Invalid, PhotoNotFound
from app.services.pagination import Page, paginate
from app.services.roles import OtherDepartment, RoleDenied, Viewer, require
from app.timeutil import local_today

RETURNED = "returned"  # 待整改 again after an inspector returned it: a filter of its own
RECTIFICATION_FILTERS = {**RECT_STATUS_NAMES, RETURNED: "已退回"}
KIND_BY_LABEL = {label: kind for kind, label in QUESTION_KIND_NAMES.items()}


class InvalidInspectionFilter(AppError):
    code = "invalid_filter"
    message = "筛选条件无效"


def _staff(session: Session, viewer: Viewer) -> Staff:
    return session.get(Staff, viewer.staff_id)


# ---- rounds and the score sheet ---------------------------------------------------------------------


def list_rounds(session: Session, viewer: Viewer, page: int = 1) -> Page:
    """Newest first, with their score lines (for the totals): three queries whatever the page."""
    require(viewer, "inspections.view")
    statement = (select(InspectionRound).options(selectinload(InspectionRound.scores))
                 .order_by(InspectionRound.starts_on.desc(), InspectionRound.id.desc()))
    return paginate(session, statement, page)


def inspector_choices(session: Session) -> list[Staff]:
    """Active people who may inspect: the 检查组 and admins."""
    return list(session.scalars(
        select(Staff).join(StaffRole).where(StaffRole.role.in_((ROLE_INSPECTOR, ROLE_ADMIN)), Staff.active.is_(True))
        .distinct().order_by(Staff.employee_no)))


def create_round(
    session: Session, viewer: Viewer, *, year: int, starts_on: date, ends_on: date, title: str | None,
    inspector_ids: list[int], with_survey: bool,
) -> InspectionRound:
    require(viewer, "inspections.score")
    found = rounds.create_round(session, year=year, starts_on=starts_on, ends_on=ends_on, actor=viewer.actor,
                                title=title, inspector_ids=inspector_ids)
    if with_survey:
        surveys.create_survey(session, found.id, viewer.actor)
    return found


@dataclass
class Sheet:
    round: InspectionRound
    lines: list[rounds.SheetLine]
    rectifications: dict[int | None, list[Rectification]]  # by score line id
    inspectors: list[Staff]
    survey: Survey | None

    @property
    def total(self):
        return rounds.total_score(self.round)

    @property
    def max_total(self):
        return rounds.max_total(self.round)


def sheet(session: Session, viewer: Viewer, round_id: int) -> Sheet:
    """The score lines beside their 台账 evidence, the round's rectifications and survey: a fixed number of queries."""
    require(viewer, "inspections.view")
    found, lines = rounds.score_sheet(session, round_id)
    by_line: dict[int | None, list[Rectification]] = {}
    for rectification in rectifications.list_rectifications(session, round_id=found.id):
        by_line.setdefault(rectification.score_id, []).append(rectification)
    people = list(session.scalars(select(Staff).where(Staff.id.in_(found.inspector_ids or []))))
    survey = session.scalar(select(Survey).where(Survey.round_id == found.id))
    return Sheet(found, lines, by_line, people, survey)


def save_item(
    session: Session, viewer: Viewer, round_id: int, number: int, *, max_score: object, score: object | None, findings: str,
) -> None:
    """A score line's maximum (when changed), score and findings, in a draft round."""
    require(viewer, "inspections.score")
    found = rounds.get_round(session, round_id)
    line = rounds.score_line(found, number)
    if max_score is not None and rounds.parse_score(max_score, "满分") != line.max_score:
        rounds.set_max_score(session, round_id, number, max_score, viewer.actor)
    rounds.score_item(session, round_id, number, score=score, findings=findings, scorer=_staff(session, viewer),
                      actor=viewer.actor)


def add_rectification(
    session: Session, viewer: Viewer, round_id: int, number: int, *, requirement: str, responsible: str, deadline: date,
) -> Rectification:
    require(viewer, "inspections.score")
    rounds.require_inspector(_staff(session, viewer))
    return rectifications.add_rectification(session, round_id, requirement=requirement,
                                            responsible_employee_no=responsible, deadline=deadline,
                                            actor=viewer.actor, number=number)


def submit_round(session: Session, viewer: Viewer, round_id: int) -> InspectionRound:
    require(viewer, "inspections.score")
    return rounds.submit_round(session, round_id, viewer.actor)


def reopen_round(session: Session, viewer: Viewer, round_id: int) -> InspectionRound:
    require(viewer, "inspections.manage")
    return rounds.reopen_round(session, round_id, viewer.actor)


def lock_round(session: Session, viewer: Viewer, round_id: int) -> InspectionRound:
    require(viewer, "inspections.manage")
    return rounds.lock_round(session, round_id, viewer.actor)


def correct_score(session: Session, viewer: Viewer, round_id: int, number: int, score: object, reason: str):
    require(viewer, "inspections.manage")
    return rounds.correct_score(session, round_id, number, score, reason, viewer.actor)


def update_details(session: Session, viewer: Viewer, round_id: int, **details: str) -> InspectionRound:
    require(viewer, "inspections.manage")
    return rounds.update_details(session, round_id, viewer.actor, **details)


# ---- department checks ----------------------------------------------------------------------------


@dataclass
class ChecksPage:
    round: InspectionRound
    departments: list[Department]
    department: Department | None
    checks: dict[int, DepartmentCheck]  # by checkpoint id
    results: list[checks.DepartmentResult]


def checks_page(session: Session, viewer: Viewer, round_id: int, department_id: int | None) -> ChecksPage:
    require(viewer, "inspections.view")
    found = rounds.get_round(session, round_id)
    departments = list(session.scalars(select(Department).order_by(Department.name)))
    department = next((d for d in departments if d.id == department_id), None)
    done = {}
    if department is not None:
        done = {check.checkpoint_id: check for check in session.scalars(
            select(DepartmentCheck).options(selectinload(DepartmentCheck.photos))
            .where(DepartmentCheck.round_id == found.id, DepartmentCheck.department_id == department.id))}
    return ChecksPage(found, departments, department, done, checks.department_results(session, found.id))


def record_check(
    session: Session, viewer: Viewer, round_id: int, *, checkpoint_id: int, department_id: int, passed: bool, note: str,
    photos: list[BinaryIO],
):
    require(viewer, "inspections.score")
    return checks.record_check(session, round_id, checkpoint_id=checkpoint_id, department_id=department_id,
                               passed=passed, note=note, photos=photos, inspector=_staff(session, viewer))


def set_checklist(session: Session, viewer: Viewer, round_id: int, text: str):
    require(viewer, "inspections.score")
    return checks.set_checklist(session, round_id, text.splitlines(), viewer.actor)


def photo(session: Session, viewer: Viewer, photo_id: int) -> tuple[Path, str]:
    """A check or rectification photo: for whoever reads the 检查 section; a rectification's photo also for
    whoever may see that rectification (a liaison, their department's; the responsible person)."""
    require(viewer, "rectifications.view")
    found = session.get(InspectionPhoto, photo_id)
    if found is None:
        raise PhotoNotFound()
    if not viewer.can("inspections.view"):
        if found.rectification_id is None:
            raise RoleDenied()
        _visible_rectification(session, viewer, found.rectification_id)
    path = checks.photo_folder() / found.stored_name
    if not path.is_file():
        raise PhotoNotFound()
    return path, found.content_type


# ---- the survey -----------------------------------------------------------------------------------


def round_survey(session: Session, viewer: Viewer, round_id: int) -> tuple[InspectionRound, Survey | None]:
    require(viewer, "inspections.view")
    found = rounds.get_round(session, round_id)
    return found, session.scalar(select(Survey).options(selectinload(Survey.questions)).where(Survey.round_id == found.id))


def survey_results(session: Session, viewer: Viewer, survey_id: int) -> surveys.SurveyResults:
    require(viewer, "inspections.view")
    return surveys.survey_results(session, survey_id)


def survey_round_id(session: Session, viewer: Viewer, survey_id: int) -> int:
    require(viewer, "inspections.view")
    return surveys.get_survey(session, survey_id).round_id


def create_survey(session: Session, viewer: Viewer, round_id: int) -> Survey:
    require(viewer, "inspections.score")
    return surveys.create_survey(session, round_id, viewer.actor)


def questions_text(survey: Survey) -> str:
    """The questions as the editor shows them: ``[单选] 题目`` then one ``- 选项`` a line, a blank line between."""
    blocks = []
    for question in survey.questions:
        lines = [f"[{QUESTION_KIND_NAMES[question.kind]}] {question.text}"]
        lines += [f"- {option}" for option in question.options]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def parse_questions(text: str) -> list[dict]:
    """The editor's text back into questions; a line that is neither a question nor an option is refused."""
    questions: list[dict] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("[") and "]" in line:
            label, _, rest = line[1:].partition("]")
            if label.strip() not in KIND_BY_LABEL:
                raise Invalid(f"第 {number} 行的题型应为 [单选]、[多选] 或 [简答]", code="survey_questions_invalid")
            questions.append({"kind": KIND_BY_LABEL[label.strip()], "text": rest.strip(), "options": []})
        elif line.startswith(("-", "－")) and questions:
            if questions[-1]["kind"] == QUESTION_TEXT:
                raise Invalid(f"第 {number} 行：简答题没有选项", code="survey_questions_invalid")
            questions[-1]["options"].append(line[1:].strip())
        else:
            raise Invalid(f"第 {number} 行应以 [单选]、[多选]、[简答] 开始一道题，或以 - 开始一个选项",
                          code="survey_questions_invalid")
    return questions


def edit_questions(session: Session, viewer: Viewer, survey_id: int, text: str) -> Survey:
    require(viewer, "inspections.score")
    return surveys.replace_questions(session, survey_id, parse_questions(text), viewer.actor)


def close_survey(session: Session, viewer: Viewer, survey_id: int) -> Survey:
    require(viewer, "inspections.score")
    return surveys.close_survey(session, survey_id, viewer.actor)


def survey_pdf(session: Session, viewer: Viewer, survey_id: int) -> bytes:
    require(viewer, "inspections.view")
    return report.survey_pdf(session, survey_id)


# ---- the 通报 ---------------------------------------------------------------------------------------


def render_report(session: Session, viewer: Viewer, round_id: int, fmt: str) -> bytes:
    require(viewer, "inspections.view")
    return report.render_report(session, round_id, fmt)


def publish_report(session: Session, viewer: Viewer, round_id: int) -> InspectionRound:
    require(viewer, "inspections.manage")
    return report.publish_report(session, round_id, _staff(session, viewer))


def save_template(session: Session, viewer: Viewer, stream: BinaryIO) -> None:
    require(viewer, "inspections.manage")
    report.save_template(stream, viewer.actor, session)


# ---- rectifications per department ---------------------------------------------------------------


def rectification_scope(viewer: Viewer) -> frozenset[int] | None:
    """None: every department (the 检查 section's readers); a liaison: their own department(s)."""
    require(viewer, "rectifications.view")
    return None if viewer.can("inspections.view") else viewer.liaison_departments


def rectification_departments(session: Session, viewer: Viewer) -> list[Department]:
    scope = rectification_scope(viewer)
    statement = select(Department).order_by(Department.name)
    if scope is not None:
        statement = statement.where(Department.id.in_(scope))
    return list(session.scalars(statement))


def list_rectifications(
    session: Session, viewer: Viewer, *, department_id: int | None = None, status: str = "", round_id: int | None = None,
    page: int = 1,
) -> Page:
    """Deadline first, with department, person, item and photos: four queries whatever the page."""
    scope = rectification_scope(viewer)
    if status and status not in RECTIFICATION_FILTERS:
        raise InvalidInspectionFilter("没有这种整改状态")
    if department_id is not None and scope is not None and department_id not in scope:
        raise OtherDepartment("只能查看本部门的整改要求")
    statement = (select(Rectification)
                 .options(selectinload(Rectification.responsible), selectinload(Rectification.department),
                          selectinload(Rectification.score), selectinload(Rectification.photos))
                 .order_by(Rectification.status != RECT_PENDING, Rectification.deadline, Rectification.id))
    if scope is not None:
        statement = statement.where(Rectification.department_id.in_(scope))
    if department_id is not None:
        statement = statement.where(Rectification.department_id == department_id)
    if round_id is not None:
        statement = statement.where(Rectification.round_id == round_id)
    if status == RETURNED:
        statement = statement.where(Rectification.status == RECT_PENDING, Rectification.returned_reason.is_not(None))
    elif status:
        statement = statement.where(Rectification.status == status)
    return paginate(session, statement, page)


def is_overdue(rectification: Rectification, today: date | None = None) -> bool:
    return rectification.status == RECT_PENDING and rectification.deadline < (today or local_today())


def _visible_rectification(session: Session, viewer: Viewer, rectification_id: int) -> Rectification:
    scope = rectification_scope(viewer)
    found = rectifications.get_rectification(session, rectification_id)
    if scope is not None and found.department_id not in scope and found.responsible_id != viewer.staff_id:
        raise OtherDepartment("只能查看或操作本部门的整改要求")
    return found


def accept_rectification(session: Session, viewer: Viewer, rectification_id: int) -> Rectification:
    require(viewer, "inspections.score")
    _visible_rectification(session, viewer, rectification_id)
    return rectifications.accept_rectification(session, rectification_id, _staff(session, viewer))


def return_rectification(session: Session, viewer: Viewer, rectification_id: int, reason: str) -> Rectification:
    require(viewer, "inspections.score")
    _visible_rectification(session, viewer, rectification_id)
    return rectifications.return_rectification(session, rectification_id, _staff(session, viewer), reason)


def submit_rectification(
    session: Session, viewer: Viewer, rectification_id: int, note: str, photos: list[BinaryIO]
) -> Rectification:
    """The responsible person (or an admin) reports it done; the service refuses anyone else."""
    _visible_rectification(session, viewer, rectification_id)
    return rectifications.submit_rectification(session, rectification_id, _staff(session, viewer), note, photos)

