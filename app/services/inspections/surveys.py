"""问卷调查: a survey attached to a round, answered once per person in the mini-program, anonymously.

Who answered (``survey_respondent``, unique per survey and person, for the once-only rule and the
response rate) and what was answered (``survey_response`` with a random key and no staff or time, and
its ``survey_answer`` rows) are written in one transaction and never joined. The respondent row is an
``INSERT … ON CONFLICT DO NOTHING``: of two simultaneous answers by one person, one is stored.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from app.models import Department, Staff, Survey, SurveyAnswer, SurveyQuestion, SurveyRespondent, SurveyResponse
from app.models.inspection import QUESTION_KIND_NAMES, QUESTION_MULTIPLE, QUESTION_SINGLE, QUESTION_TEXT
from app.services import audit
from app.services.inspections.errors import (
    Invalid,
    SurveyAnswered,
    SurveyAnswerInvalid,
    SurveyClosed,
    SurveyExists,
    SurveyNotFound,
)
from app.services.inspections.rounds import get_round
from app.services.sql import insert_ignoring_conflicts
from app.timeutil import local_today

TEXT_MAX = 500
QUESTION_MAX = 200
OPTION_MAX = 50
QUESTIONS_MAX = 30

# The default set: knowing (知晓率), supporting and taking part, satisfaction (满意度), suggestions.
DEFAULT_QUESTIONS: tuple[dict, ...] = (
    {"kind": QUESTION_SINGLE, "text": "您是否知道本单位正在开展文明单位创建工作？",
     "options": ["知道", "听说过，不太了解", "不知道"]},
    {"kind": QUESTION_MULTIPLE, "text": "您知道本单位开展了哪些创建活动？（可多选）",
     "options": ["道德讲堂", "学雷锋志愿服务", "文明餐桌", "传统节日活动", "植树护绿", "帮扶共建（微心愿）", "诚信建设"]},
    {"kind": QUESTION_SINGLE, "text": "您是否参加过本单位组织的文明创建活动？",
     "options": ["经常参加", "参加过", "没有参加过"]},
    {"kind": QUESTION_SINGLE, "text": "您是否支持本单位开展文明单位创建工作？",
     "options": ["支持", "无所谓", "不支持"]},
    {"kind": QUESTION_SINGLE, "text": "您对本单位文明创建工作的总体满意程度？",
     "options": ["满意", "基本满意", "不满意"]},
    {"kind": QUESTION_TEXT, "text": "您对本单位文明创建工作有什么意见和建议？", "options": []},
)


def check_questions(questions: list[dict]) -> list[dict]:
    if not 1 <= len(questions) <= QUESTIONS_MAX:
        raise Invalid(f"问卷应有 1 到 {QUESTIONS_MAX} 道题", code="survey_questions_invalid")
    cleaned = []
    for number, question in enumerate(questions, start=1):
        kind = question.get("kind")
        text = str(question.get("text") or "").strip()
        options = [str(option).strip() for option in question.get("options") or []]
        if kind not in QUESTION_KIND_NAMES:
            raise Invalid(f"第 {number} 题的题型应为 single、multiple 或 text", code="survey_questions_invalid")
        if not 1 <= len(text) <= QUESTION_MAX:
            raise Invalid(f"第 {number} 题的题目应为 1 到 {QUESTION_MAX} 个字", code="survey_questions_invalid")
        if kind == QUESTION_TEXT:
            options = []
        elif not 2 <= len(options) <= 10 or any(not 1 <= len(o) <= OPTION_MAX for o in options) \
                or len(set(options)) != len(options):
            raise Invalid(f"第 {number} 题应有 2 到 10 个互不相同的选项", code="survey_questions_invalid")
        cleaned.append({"kind": kind, "text": text, "options": options})
    return cleaned


def create_survey(
    session: Session, round_id: int, actor: audit.Actor, title: str | None = None, questions: list[dict] | None = None
) -> Survey:
    found = get_round(session, round_id)
    if session.scalar(select(Survey.id).where(Survey.round_id == found.id)) is not None:
        raise SurveyExists()
    title = (title or f"{found.title}问卷调查").strip()
    if not 1 <= len(title) <= 100:
        raise Invalid("问卷标题应为 1 到 100 个字", code="survey_title_invalid")
    survey = Survey(round_id=found.id, title=title)
    for position, question in enumerate(check_questions(questions or list(DEFAULT_QUESTIONS)), start=1):
        survey.questions.append(SurveyQuestion(position=position, **question))
    session.add(survey)
    session.flush()
    audit.record(session, actor, "survey.create", "survey", survey.id, round=found.id)
    session.commit()
    return survey


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise SurveyNotFound()
    return survey


def response_count(session: Session, survey_id: int) -> int:
    return session.scalar(select(func.count()).select_from(SurveyRespondent)
                          .where(SurveyRespondent.survey_id == survey_id)) or 0


def replace_questions(session: Session, survey_id: int, questions: list[dict], actor: audit.Actor) -> Survey:
    """Edit the questions; only before anyone answered (answers would no longer match)."""
    survey = get_survey(session, survey_id)
    if response_count(session, survey.id):
        raise SurveyAnswerInvalid("问卷已有人填写，不能再修改题目", code="survey_already_started", status=409)
    cleaned = check_questions(questions)
    survey.questions.clear()
    session.flush()
    for position, question in enumerate(cleaned, start=1):
        survey.questions.append(SurveyQuestion(position=position, **question))
    audit.record(session, actor, "survey.edit", "survey", survey.id, questions=len(cleaned))
    session.commit()
    return survey


def close_survey(session: Session, survey_id: int, actor: audit.Actor) -> Survey:
    survey = get_survey(session, survey_id)
    session.execute(update(Survey).where(Survey.id == survey.id).values(is_open=False))
    audit.record(session, actor, "survey.close", "survey", survey.id)
    session.commit()
    session.refresh(survey)
    return survey


def open_surveys(session: Session, staff: Staff) -> list[tuple[Survey, bool]]:
    """Open surveys for the mini-program, each with whether this person has answered it."""
    surveys = list(session.scalars(select(Survey).options(selectinload(Survey.questions))
                                   .where(Survey.is_open.is_(True)).order_by(Survey.id.desc())))
    answered = set(session.scalars(select(SurveyRespondent.survey_id).where(SurveyRespondent.staff_id == staff.id)))
    return [(survey, survey.id in answered) for survey in surveys]


def has_answered(session: Session, survey_id: int, staff: Staff) -> bool:
    return session.scalar(select(SurveyRespondent.id).where(SurveyRespondent.survey_id == survey_id,
                                                            SurveyRespondent.staff_id == staff.id)) is not None


def _check_answers(survey: Survey, answers: list[dict]) -> list[dict]:
    by_id = {question.id: question for question in survey.questions}
    given: dict[int, dict] = {}
    for answer in answers:
        question = by_id.get(answer.get("question_id"))
        if question is None:
            raise SurveyAnswerInvalid("答案对应的题目不在这份问卷中")
        if question.id in given:
            raise SurveyAnswerInvalid(f"第 {question.position} 题回答了两次")
        choices = answer.get("choices") or []
        text = (answer.get("text") or "").strip()
        if question.kind == QUESTION_TEXT:
            if len(text) > TEXT_MAX:
                raise SurveyAnswerInvalid(f"第 {question.position} 题不能超过 {TEXT_MAX} 个字")
            given[question.id] = {"question_id": question.id, "choices": [], "text": text or None}
            continue
        if any(not isinstance(c, int) or isinstance(c, bool) or not 0 <= c < len(question.options) for c in choices) \
                or len(set(choices)) != len(choices):
            raise SurveyAnswerInvalid(f"第 {question.position} 题的选项无效")
        if question.kind == QUESTION_SINGLE and len(choices) != 1:
            raise SurveyAnswerInvalid(f"第 {question.position} 题是单选题，请选择一项")
        if question.kind == QUESTION_MULTIPLE and not choices:
            raise SurveyAnswerInvalid(f"第 {question.position} 题请至少选择一项")
        given[question.id] = {"question_id": question.id, "choices": sorted(choices), "text": None}
    missing = [q.position for q in survey.questions if q.kind != QUESTION_TEXT and q.id not in given]
    if missing:
        raise SurveyAnswerInvalid(f"第 {'、'.join(map(str, missing))} 题还没有回答", code="survey_answer_incomplete")
    return list(given.values())


def answer_survey(session: Session, survey_id: int, staff: Staff, answers: list[dict]) -> None:
    """Store one person's answers once: the respondent row (who) and the response (what), together."""
    survey = get_survey(session, survey_id)
    if not survey.is_open:
        raise SurveyClosed()
    checked = _check_answers(survey, answers)
    inserted = insert_ignoring_conflicts(session, SurveyRespondent, {
        "survey_id": survey.id, "staff_id": staff.id, "department_id": staff.department_id,
        "answered_on": local_today(),
    }, ["survey_id", "staff_id"])
    if inserted is None:
        session.rollback()
        raise SurveyAnswered()
    response_id = secrets.token_hex(16)
    session.add(SurveyResponse(id=response_id, survey_id=survey.id))
    session.flush()
    session.add_all(SurveyAnswer(response_id=response_id, **answer) for answer in checked)
    session.commit()


@dataclass
class QuestionResult:
    question: SurveyQuestion
    counts: list[int] = field(default_factory=list)  # per option
    answered: int = 0
    texts: list[str] = field(default_factory=list)

    def share(self, index: int) -> float:
        return round(100 * self.counts[index] / self.answered, 1) if self.answered else 0.0


@dataclass
class DepartmentRate:
    department: str
    answered: int
    headcount: int

    @property
    def rate(self) -> float:
        return round(100 * self.answered / self.headcount, 1) if self.headcount else 0.0


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    questions: list[QuestionResult]
    departments: list[DepartmentRate]

    @property
    def headcount(self) -> int:
        return sum(d.headcount for d in self.departments)

    @property
    def rate(self) -> float:
        return round(100 * self.responses / self.headcount, 1) if self.headcount else 0.0


def survey_results(session: Session, survey_id: int) -> SurveyResults:
    """Counts per option, the short answers (in a fixed order unrelated to who wrote them) and response
    rates per department against the active roster."""
    survey = get_survey(session, survey_id)
    results = {q.id: QuestionResult(q, counts=[0] * len(q.options)) for q in survey.questions}
    answers = session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.choices, SurveyAnswer.text)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyAnswer.text)
    ).all()
    for question_id, choices, text in answers:
        result = results[question_id]
        if result.question.kind == QUESTION_TEXT:
            if text:
                result.answered += 1
                result.texts.append(text)
            continue
        result.answered += 1
        for index in choices:
            result.counts[index] += 1
    answered = Counter(dict(session.execute(
        select(SurveyRespondent.department_id, func.count()).where(SurveyRespondent.survey_id == survey.id)
        .group_by(SurveyRespondent.department_id)).all()))
    headcount = session.execute(
        select(Department.id, Department.name, func.count(Staff.id))
        .join(Staff, (Staff.department_id == Department.id) & Staff.active.is_(True))
        .group_by(Department.id, Department.name).order_by(Department.name)).all()
    departments = [DepartmentRate(name, answered.get(department_id, 0), count)
                   for department_id, name, count in headcount]
    departments.sort(key=lambda d: (-d.rate, d.department))
    return SurveyResults(survey, sum(answered.values()), list(results.values()), departments)
