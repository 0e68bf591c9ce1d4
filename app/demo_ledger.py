"""Demo data for the 创建台账: the demo unit's 2026 plan with owners, a year of held activities with
sign-ins, photos and documents, a 道德讲堂 record with reflections. Some items reach their targets,
others are behind (no second-half 道德讲堂, tree planting without photos, two festivals missing).
Safe to run repeatedly: activities are matched by title, documents by item and title."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Checkin, Event, EventRecord, LedgerDocument, Reflection, Staff
from app.models.events import DIRECTION_IN, DIRECTION_OUT, METHOD_MANUAL
from app.services import audit, events
from app.services.ledger import documents, plan
from app.timeutil import local_datetime

YEAR = 2026

# item -> (departments, owner employee number)
OWNERS = {
    1: (["办公室"], "E0001"), 2: (["办公室"], "E0001"), 3: (["机关党委"], "E0016"), 4: (["机关党委"], "E0016"),
    6: (["机关党委"], "E0017"), 8: (["办公室"], "E0002"), 9: (["办公室"], "E0003"), 10: (["机关党委"], "E0018"),
    12: (["机关党委", "办公室"], "E0017"), 13: (["综合业务科"], "E0011"), 15: (["办公室"], "E0004"),
    17: (["机关党委"], "E0016"),
}

# (kind, title, day, hours, people signed in, volunteer minutes credited or None, photo?)
ACTIVITIES = (
    ("传统节日", "迎春会：共庆新春", date(YEAR, 2, 13), 2, 16, None, True),
    ("传统节日", "元宵猜灯谜", date(YEAR, 3, 3), 2, 12, None, True),
    ("志愿服务", "学雷锋志愿服务：社区环境整治", date(YEAR, 3, 5), 3, 8, 180, True),
    ("道德讲堂", "道德讲堂：崇德向善 见贤思齐", date(YEAR, 3, 19), 2, 18, None, True),
    ("植树护绿", "植树节义务植树", date(YEAR, 3, 12), 3, 10, None, False),
    ("传统节日", "清明祭英烈", date(YEAR, 4, 3), 2, 14, None, True),
    ("文体活动", "职工趣味运动会", date(YEAR, 5, 20), 3, 17, None, True),
    ("传统节日", "端午包粽子", date(YEAR, 6, 18), 2, 15, None, True),
    ("主题教育", "七一入党宣誓仪式", date(YEAR, 7, 1), 2, 9, None, True),
    ("志愿服务", "义务献血志愿服务", date(YEAR, 9, 10), 3, 6, 150, True),
    ("传统节日", "中秋游园会", date(YEAR, 9, 24), 2, 18, None, True),
    ("文体活动", "随手拍摄影比赛颁奖", date(YEAR, 10, 15), 2, 11, None, False),
    ("帮扶共建", "结对帮扶村走访", date(YEAR, 11, 6), 4, 7, None, True),
)

# (item, kind, title, day)
DOCUMENTS = (
    (2, "计划", "2026年文明单位创建计划", date(YEAR, 1, 15)),
    (2, "会议记录", "创建文明单位动员大会记录", date(YEAR, 2, 27)),
    (8, "制度", "机关勤俭节约制度规定", date(YEAR, 3, 1)),
    (10, "方案", "2026年学雷锋活动方案", date(YEAR, 2, 20)),
    (12, "方案", "2026年“传统节日”活动方案", date(YEAR, 1, 20)),
    (13, "方案", "职工文体活动实施方案", date(YEAR, 3, 10)),
    (17, "方案", "帮扶共建实施方案", date(YEAR, 2, 25)),
)

REFLECTIONS = (
    ("E0005", "听了身边好人的故事，深受触动。做好本职工作、帮助身边的人，就是最朴素的向善。", True),
    ("E0012", "诵读《论语》选段，“见贤思齐焉”让我反思自己，今后要多向先进学习。", True),
    ("E0019", "送吉祥环节很温暖，同事之间互相祝福，机关氛围更融洽了。", False),
)


def _pdf(title: str) -> bytes:
    from app.services.ledger import report

    return report.text_pdf(title, ["（演示材料）本文件由演示数据生成，用于展示台账导出。"])


def _photo(title: str, number: int) -> bytes:
    image = Image.new("RGB", (640, 420), (40 + 13 * number % 200, 120, 90))
    ImageDraw.Draw(image).rectangle((40, 40, 600, 380), outline=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _sign_in(session: Session, event: Event, people: list[Staff], minutes: int | None) -> None:
    for person in people:
        session.add(Checkin(event_id=event.id, staff_id=person.id, direction=DIRECTION_IN, at=event.starts_at,
                            method=METHOD_MANUAL, note="演示数据"))
        if minutes is not None:
            session.add(Checkin(event_id=event.id, staff_id=person.id, direction=DIRECTION_OUT, at=event.ends_at,
                                method=METHOD_MANUAL, note="演示数据", credited_minutes=minutes))
    session.commit()


def seed_demo_ledger(session: Session) -> int:
    """Install the demo year; returns how many activities were created."""
    actor = audit.Actor.system()
    if plan.find_plan(session, YEAR) is None:
        plan.init_plan(session, YEAR, actor)
        for number, (departments, owner) in OWNERS.items():
            plan.update_item(session, YEAR, number, actor, departments=departments, owner_employee_no=owner)
    people = list(session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.employee_no)))
    existing = set(session.scalars(select(Event.title).where(Event.title.in_([a[1] for a in ACTIVITIES]))))
    items = {item.number: item.id for item in plan.get_plan(session, YEAR).items}
    created = 0
    for number, (kind, title, day, hours, count, minutes, photo) in enumerate(ACTIVITIES):
        if title in existing:
            continue
        starts_at = local_datetime(day, time(15, 0))
        event = events.create_event(session, events.EventDraft(
            kind=kind, title=title, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
            location="机关大院", reminders=[], checkout_required=minutes is not None,
        ), actor)
        _sign_in(session, event, people[number % 3: number % 3 + count], minutes)
        if photo:
            item_number = {"道德讲堂": 6, "志愿服务": 10, "传统节日": 12, "文体活动": 13, "主题教育": 4,
                           "帮扶共建": 17}[kind]
            documents.add_document(session, item_id=items[item_number], kind="照片", title=f"{title}现场",
                                   stream=io.BytesIO(_photo(title, number)), filename=f"{title}.jpg", actor=actor,
                                   event_id=event.id)
        if kind == "道德讲堂":
            session.add(EventRecord(event_id=event.id, host="郭敏", speaker="何军", segments=[
                {"name": "唱歌曲", "content": "齐唱《公民道德歌》"},
                {"name": "学模范", "content": "观看时代楷模黄文秀事迹短片，身边好人讲述扶贫故事"},
                {"name": "诵经典", "content": "诵读《论语》“见贤思齐焉，见不贤而内自省也”并讲解"},
                {"name": "发善心", "content": "全体发出“崇德向善、文明有礼”倡议，认领微心愿"},
                {"name": "送吉祥", "content": "互赠祝福卡片"},
            ]))
            by_no = {person.employee_no: person for person in people}
            for employee_no, content, selected in REFLECTIONS:
                if employee_no in by_no:
                    session.add(Reflection(event_id=event.id, staff_id=by_no[employee_no].id, content=content,
                                           selected=selected))
            session.commit()
        created += 1
    for item_number, kind, title, day in DOCUMENTS:
        known = session.scalar(select(LedgerDocument.id).where(
            LedgerDocument.item_id == items[item_number], LedgerDocument.title == title))
        if known is None:
            documents.add_document(session, item_id=items[item_number], kind=kind, title=title,
                                   stream=io.BytesIO(_pdf(title)), filename=f"{title}.pdf", actor=actor, dated=day)
    return created
