"""The staff survey: the default questions, answered once per person, anonymously (who answered is kept
apart from what), results per question and response rates per department."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect as schema

from app.extensions import db
from app.models import SurveyAnswer, SurveyRespondent, SurveyResponse
from app.services import audit
from app.services.inspections import surveys
from app.services.inspections.errors import SurveyAnswered, SurveyAnswerInvalid, SurveyClosed
from tests import factories
from tests.inspection_helpers import make_round


def default_answers(survey, satisfied: int = 0, text: str = "") -> list[dict]:
    answers = []
    for question in survey.questions:
        if question.kind == "single":
            answers.append({"question_id": question.id, "choices": [satisfied if "满意" in question.text else 0]})
        elif question.kind == "multiple":
            answers.append({"question_id": question.id, "choices": [0, 1]})
        else:
            answers.append({"question_id": question.id, "text": text})
    return answers


@pytest.fixture
def survey(app):
    found = make_round()
    return surveys.create_survey(db.session, found.id, audit.Actor.system())


def test_default_survey_asks_about_knowing_supporting_and_satisfaction(survey):
    texts = [q.text for q in survey.questions]
    assert any("知道" in t for t in texts) and any("满意" in t for t in texts) and any("支持" in t for t in texts)
    assert {q.kind for q in survey.questions} == {"single", "multiple", "text"}


def test_person_answering_twice_is_refused(survey):
    person = factories.make_staff()
    surveys.answer_survey(db.session, survey.id, person, default_answers(survey))
    with pytest.raises(SurveyAnswered) as refused:
        surveys.answer_survey(db.session, survey.id, person, default_answers(survey))
    assert refused.value.code == "survey_already_answered"
    assert surveys.response_count(db.session, survey.id) == 1


def test_answers_are_stored_apart_from_who_answered(survey):
    columns = {table: {c["name"] for c in schema(db.engine).get_columns(table)}
               for table in ("survey_response", "survey_answer", "survey_respondent")}
    assert not any("staff" in name for name in columns["survey_response"] | columns["survey_answer"])
    assert not any("answered" in name or "_at" in name for name in columns["survey_response"])
    assert "staff_id" in columns["survey_respondent"]
    person = factories.make_staff()
    surveys.answer_survey(db.session, survey.id, person, default_answers(survey, text="多组织志愿活动"))
    response = db.session.query(SurveyResponse).one()
    assert len(response.id) == 32 and not response.id.isdigit()
    assert db.session.query(SurveyRespondent).one().staff_id == person.id
    assert db.session.query(SurveyAnswer).count() == len(survey.questions)


def test_single_choice_with_two_options_and_missing_answers_are_refused(survey):
    person = factories.make_staff()
    answers = default_answers(survey)
    answers[0]["choices"] = [0, 1]
    with pytest.raises(SurveyAnswerInvalid, match="单选题"):
        surveys.answer_survey(db.session, survey.id, person, answers)
    with pytest.raises(SurveyAnswerInvalid) as refused:
        surveys.answer_survey(db.session, survey.id, person, default_answers(survey)[1:])
    assert refused.value.code == "survey_answer_incomplete"
    assert surveys.response_count(db.session, survey.id) == 0


def test_a_closed_survey_takes_no_answers(survey):
    surveys.close_survey(db.session, survey.id, audit.Actor.system())
    with pytest.raises(SurveyClosed):
        surveys.answer_survey(db.session, survey.id, factories.make_staff(), default_answers(survey))


def test_results_count_each_option_and_rates_per_department(survey):
    office = [factories.make_staff(department="办公室") for _ in range(2)]
    finance = [factories.make_staff(department="财务科") for _ in range(4)]
    surveys.answer_survey(db.session, survey.id, office[0], default_answers(survey, satisfied=0, text="很好"))
    surveys.answer_survey(db.session, survey.id, office[1], default_answers(survey, satisfied=2))
    surveys.answer_survey(db.session, survey.id, finance[0], default_answers(survey, satisfied=1))
    results = surveys.survey_results(db.session, survey.id)
    assert results.responses == 3
    satisfaction = next(r for r in results.questions if "满意" in r.question.text)
    assert satisfaction.counts == [1, 1, 1] and satisfaction.answered == 3
    suggestions = next(r for r in results.questions if r.question.kind == "text")
    assert suggestions.texts == ["很好"]
    rates = {d.department: (d.answered, d.headcount, d.rate) for d in results.departments}
    assert rates == {"办公室": (2, 2, 100.0), "财务科": (1, 4, 25.0)}
    assert results.rate == 50.0


def test_questions_cannot_change_once_someone_answered(survey):
    surveys.answer_survey(db.session, survey.id, factories.make_staff(), default_answers(survey))
    with pytest.raises(SurveyAnswerInvalid) as refused:
        surveys.replace_questions(db.session, survey.id, [{"kind": "text", "text": "建议"}], audit.Actor.system())
    assert refused.value.code == "survey_already_started"


def test_results_chart_pdf_names_questions_shares_and_no_one(survey, tmp_path):
    import subprocess

    from app.services.inspections import report

    person = factories.make_staff(name="欧阳娜娜", department="办公室")
    surveys.answer_survey(db.session, survey.id, person, default_answers(survey, text="多组织志愿活动"))
    path = tmp_path / "问卷结果.pdf"
    path.write_bytes(report.survey_pdf(db.session, survey.id))
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
                   .stdout.split())
    for expected in ("您对本单位文明创建工作的总体满意程度？", "1人（100%）", "多组织志愿活动", "各部门参与率", "办公室",
                     "1/1人（100%）"):
        assert expected in text, expected
    assert "欧阳娜娜" not in text
