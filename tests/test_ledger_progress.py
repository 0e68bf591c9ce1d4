"""Evidence gathered as work happens (events by kind or tagged, documents, announcements) and each
item's progress: status and what is missing, in words."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from app.extensions import db
from app.models import Announcement, EventItemLink, LedgerDocument
from app.services import audit, events
from app.services.ledger import progress
from tests import factories
from tests.ledger_helpers import NOW, add_document, at, held_event, image_png, init_plan, item, pdf_bytes, sign_in_people
from tests.wish_helpers import error_code, sign_in


def status(year: int = 2026, half: int | None = None) -> dict[int, progress.ItemProgress]:
    result = progress.plan_progress(db.session, year, half, now=NOW)
    return {p.item.number: p for p in result.items}


@pytest.fixture
def plan(app):
    return init_plan(2026)


def test_lecture_in_one_half_and_a_tree_planting_without_photos_say_what_is_missing(plan):
    lecture = held_event("道德讲堂", date(2026, 3, 5))
    add_document(2026, 6, "照片", image_png(), "讲堂.png", event_id=lecture.id)
    held_event("植树护绿", date(2026, 3, 12))
    items = status()
    assert items[6].status == progress.IN_PROGRESS
    assert items[6].missing_text == "缺少：下半年道德讲堂"
    assert items[15].status == progress.IN_PROGRESS and items[15].missing_text == "缺少：植树活动照片"
    assert items[13].status == progress.NOT_STARTED
    first_half = status(half=1)
    assert first_half[6].status == progress.ACHIEVED and first_half[6].missing == []


def test_lecture_in_each_half_with_photos_reaches_the_target(plan):
    for day in (date(2026, 4, 1), date(2026, 10, 20)):
        lecture = held_event("道德讲堂", day)
        add_document(2026, 6, "照片", image_png(), "讲堂.png", event_id=lecture.id)
    assert status()[6].status == progress.ACHIEVED


def test_future_drafts_and_cancelled_events_do_not_count(plan, app):
    held_event("道德讲堂", date(2026, 12, 20))  # after "now"
    held_event("道德讲堂", date(2026, 9, 1), publish=False)
    cancelled = held_event("道德讲堂", date(2026, 9, 2))
    events.cancel_event(db.session, cancelled.id, audit.Actor.system(), "下雨")
    items = status()
    assert items[6].status == progress.NOT_STARTED


def test_festival_events_count_for_the_festival_in_their_title_or_nearest_date(plan):
    held_event("传统节日", date(2026, 2, 16), title="迎新春联欢会")  # 春节 2026-02-17
    held_event("传统节日", date(2026, 6, 18), title="端午包粽子")
    missing = status(half=1)[12].missing
    assert "传统节日活动（元宵、三月三、清明）" in missing
    assert "“传统节日”活动方案" in missing


def test_tagged_event_counts_for_its_items_only(plan, runner):
    other = held_event("其他", date(2026, 5, 10), title="职工羽毛球赛")
    result = runner.invoke(args=["ledger", "tag-event", str(other.id), "--item", "13"])
    assert result.exit_code == 0, result.output
    assert "13. 开展丰富多彩文化体育活动" in result.output
    assert [e.event.id for e in status(half=1)[13].events] == [other.id]
    lecture = held_event("道德讲堂", date(2026, 5, 11))
    runner.invoke(args=["ledger", "tag-event", str(lecture.id), "--item", "7"])
    assert status()[6].events == [] and [e.event.id for e in status()[7].events] == [lecture.id]


def test_event_tagged_with_another_years_item_is_refused_over_the_api(plan, client):
    init_plan(2025)
    event = held_event("道德讲堂", date(2026, 3, 5))
    _, headers = sign_in("管理员", admin=True)
    response = client.put(f"/api/mp/admin/events/{event.id}/ledger-items",
                          json={"item_ids": [item(2025, 6).id]}, headers=headers)
    assert response.status_code == 422 and error_code(response) == "item_wrong_year"
    response = client.put(f"/api/mp/admin/events/{event.id}/ledger-items", json={"item_ids": [999999]}, headers=headers)
    assert response.status_code == 404 and error_code(response) == "item_not_found"
    assert db.session.scalar(select(func.count()).select_from(EventItemLink)) == 0
    ok = client.put(f"/api/mp/admin/events/{event.id}/ledger-items",
                    json={"item_ids": [item(2026, 6).id, item(2026, 12).id], "festival": "清明"}, headers=headers)
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json() == {"event_id": event.id, "tagged": True,
                             "items": [{"number": 6, "festival": None}, {"number": 12, "festival": "清明"}]}


def test_staff_cannot_tag_events(plan, client):
    event = held_event("道德讲堂", date(2026, 3, 5))
    _, headers = sign_in("职工")
    response = client.put(f"/api/mp/admin/events/{event.id}/ledger-items", json={"item_ids": [1]}, headers=headers)
    assert response.status_code == 403 and error_code(response) == "admin_required"


def test_cli_tagging_an_event_of_a_year_without_plan_is_refused(plan, runner):
    event = held_event("道德讲堂", date(2027, 3, 5))
    result = runner.invoke(args=["ledger", "tag-event", str(event.id), "--item", "6"])
    assert result.exit_code == 1 and "2027 年还没有创建计划" in result.output
    missing = runner.invoke(args=["ledger", "tag-event", "999", "--item", "6"])
    assert missing.exit_code == 1 and missing.output.strip() == "错误：活动不存在"


def test_announcements_count_for_item_9_and_volunteer_hours_for_item_10(plan):
    for day in range(1, 21):
        db.session.add(Announcement(content=f"公告{day}", created_at=at(date(2026, 3, day))))
    db.session.commit()
    volunteers = [factories.make_staff(department="办公室") for _ in range(4)]
    service = held_event("志愿服务", date(2026, 4, 2), hours=4)
    sign_in_people(service, volunteers, checkout_minutes=300)
    items = status(half=1)
    assert "上半年文明风尚传播" not in items[9].missing_text
    assert items[10].missing == ["年度学雷锋活动方案", "上半年志愿服务活动照片"]
    assert items[10].participants == {"办公室": 4}
    assert "志愿服务时长" not in items[10].missing_text  # 4 × 5 h ≥ 20 h


def test_documents_count_for_their_kind_and_half(plan):
    add_document(2026, 8, "制度", pdf_bytes(), "勤俭节约制度.pdf", dated=date(2026, 2, 1))
    assert status()[8].status == progress.ACHIEVED


def test_progress_reads_a_year_in_a_bounded_number_of_queries(plan):
    people = [factories.make_staff() for _ in range(3)]
    statements: list[str] = []

    def collect(conn, cursor, statement, *args):
        statements.append(statement)

    def count() -> int:
        statements.clear()
        db.session.expire_all()
        sa_event.listen(db.engine, "before_cursor_execute", collect)
        try:
            status()
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", collect)
        return len(statements)

    held_event("道德讲堂", date(2026, 3, 1))
    few = count()
    for month in range(1, 12):
        sign_in_people(held_event("志愿服务", date(2026, month, 3)), people)
    assert count() == few <= 20


def test_demo_year_has_items_on_track_and_items_behind(app):
    from app.demo import seed_demo

    seed_demo(db.session)
    items = status()
    statuses = {p.status for p in items.values()}
    assert statuses == {progress.ACHIEVED, progress.IN_PROGRESS, progress.NOT_STARTED}
    assert items[6].missing_text == "缺少：下半年道德讲堂" and items[15].missing_text == "缺少：植树活动照片"
    assert items[8].status == progress.ACHIEVED and items[6].item.owner.name == "何军"
    before = db.session.scalar(select(func.count()).select_from(LedgerDocument))
    seed_demo(db.session)
    assert db.session.scalar(select(func.count()).select_from(LedgerDocument)) == before


def test_admin_reads_the_plans_progress_in_a_bounded_number_of_queries(plan, client):
    held_event("道德讲堂", date(2026, 3, 5))
    _, headers = sign_in("管理员", admin=True)
    statements: list[str] = []

    def collect(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", collect)
    try:
        response = client.get("/api/mp/admin/ledger/2026/progress?half=1", headers=headers)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", collect)
    assert response.status_code == 200, response.get_json()
    assert len(statements) <= 25, statements
    body = response.get_json()
    assert body["year"] == 2026 and body["half"] == 1 and len(body["items"]) == 18
    lecture = body["items"][5]
    assert (lecture["number"], lecture["status"], lecture["missing"], lecture["events"]) == (
        6, "进行中", ["上半年道德讲堂照片"], 1)
    missing_plan = client.get("/api/mp/admin/ledger/2031/progress", headers=headers)
    assert missing_plan.status_code == 404 and error_code(missing_plan) == "plan_not_found"
    bad_half = client.get("/api/mp/admin/ledger/2026/progress?half=3", headers=headers)
    assert bad_half.status_code == 422
    _, staff_headers = sign_in("职工")
    assert client.get("/api/mp/admin/ledger/2026/progress", headers=staff_headers).status_code == 403


def test_event_tagged_to_the_festival_item_marks_the_festival_of_its_date(plan, runner):
    gathering = held_event("其他", date(2026, 10, 18), title="敬老茶话会")  # 重阳 2026-10-18
    assert runner.invoke(args=["ledger", "tag-event", str(gathering.id), "--item", "12"]).exit_code == 0
    assert "重阳" not in status(half=2)[12].missing_text
    assert "中秋" in status(half=2)[12].missing_text
    festival = runner.invoke(args=["ledger", "tag-event", str(gathering.id), "--item", "12", "--festival", "中秋"])
    assert festival.exit_code == 0
    assert "重阳" in status(half=2)[12].missing_text and "中秋" not in status(half=2)[12].missing_text
    bad = runner.invoke(args=["ledger", "tag-event", str(gathering.id), "--item", "12", "--festival", "七夕"])
    assert bad.exit_code == 2 and "错误：" in bad.output
