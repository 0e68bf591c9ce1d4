"""Demo data for 检查考评: the 2026 second-half inspection of the demo unit, scored with findings, the
office environment checked in every department, a survey answered by most of the staff, and two
rectifications (one reported done). The round is submitted, not locked, so the demo can lock it,
correct it, write the 通报 (``inspections report 1 -o 通报.docx``) and publish it. Safe to run repeatedly:
nothing is added once the round exists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Department, InspectionRound, Staff
from app.models.org import ROLE_INSPECTOR
from app.services import audit, roles
from app.services.inspections import checks, rectifications, rounds, surveys
from app.services.ledger.plan import find_plan

TITLE = "2026年下半年创建工作检查"
INSPECTOR = "E0005"
FINDINGS = {
    6: (Decimal("4.5"), "下半年道德讲堂尚未开展"),
    12: (Decimal("3.5"), "元宵、三月三活动缺少记录"),
    14: (Decimal("4"), "部分科室物品摆放杂乱，楼梯间发现烟头"),
    15: (Decimal("3"), "植树活动缺少照片"),
}
FAILED_POINTS = {"综合业务科": {"物品摆放": "文件堆放在窗台", "禁烟": "楼梯间有烟头"}, "政策法规科": {"停车": "车辆未按线停放"}}
# Who answers the survey: every fourth person skips it; answers vary by position.
SATISFACTION = [0, 0, 1, 0, 2, 0, 1, 0, 0, 1]


def seed_demo_inspections(session: Session) -> None:
    if find_plan(session, 2026) is None or session.scalar(select(InspectionRound.id).where(
            InspectionRound.title == TITLE)) is not None:
        return
    actor = audit.Actor.system()
    inspector = session.scalar(select(Staff).where(Staff.employee_no == INSPECTOR))
    roles.grant_role(session, inspector, ROLE_INSPECTOR, actor)
    found = rounds.create_round(session, year=2026, starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 27),
                                actor=actor, title=TITLE, inspector_ids=[inspector.id])
    for department in session.scalars(select(Department).order_by(Department.id)).all():
        failing = FAILED_POINTS.get(department.name, {})
        for point in found.checkpoints:
            checks.record_check(session, found.id, checkpoint_id=point.id, department_id=department.id,
                                passed=point.name not in failing, note=failing.get(point.name, ""), photos=[],
                                inspector=inspector)
    survey = surveys.create_survey(session, found.id, actor)
    people = session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)).all()
    for index, person in enumerate(people):
        if index % 4 == 3:
            continue
        answers = []
        for question in survey.questions:
            if question.kind == "text":
                answers.append({"question_id": question.id, "text": "希望多组织志愿服务活动" if index % 5 == 0 else ""})
            elif question.kind == "multiple":
                answers.append({"question_id": question.id, "choices": sorted({0, index % len(question.options)})})
            elif "满意" in question.text:
                answers.append({"question_id": question.id, "choices": [SATISFACTION[index % len(SATISFACTION)]]})
            else:
                answers.append({"question_id": question.id, "choices": [0 if index % 6 else 1]})
        surveys.answer_survey(session, survey.id, person, answers)
    for number, (score, findings) in FINDINGS.items():
        rounds.score_item(session, found.id, number, score=score, findings=findings, scorer=inspector, actor=actor)
    for line in rounds.get_round(session, found.id).scores:
        if line.score is None:
            rounds.score_item(session, found.id, line.number, score=line.max_score, findings=None, scorer=inspector,
                              actor=actor)
    rounds.submit_round(session, found.id, actor)
    first = rectifications.add_rectification(
        session, found.id, requirement="清理楼梯间烟头，在各楼层张贴禁烟标识", responsible_employee_no="E0011",
        deadline=date(2026, 12, 15), actor=actor, number=14, today=date(2026, 11, 27))
    rectifications.add_rectification(
        session, found.id, requirement="补充植树活动照片并上传台账", responsible_employee_no="E0004",
        deadline=date(2026, 12, 20), actor=actor, number=15, today=date(2026, 11, 27))
    worker = session.get(Staff, first.responsible_id)
    rectifications.submit_rectification(session, first.id, worker, "已清理烟头，各楼层张贴禁烟标识 12 张", [])
