"""感悟 after an activity: only those who signed in, one each, checked by WeChat's content security,
editable until an admin locks the record; admins pick up to three and keep the 道德讲堂 record."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Reflection
from tests.ledger_helpers import held_event, sign_in_people
from tests.wish_helpers import error_code, race, sign_in


@pytest.fixture
def lecture(app):
    return held_event("道德讲堂", date(2026, 11, 20), title="道德讲堂：孝老爱亲")


@pytest.fixture
def attendee(lecture):
    staff, headers = sign_in("周杰")
    sign_in_people(lecture, [staff])
    return staff, headers


def write(client, event_id, headers, content="听了模范的故事，很受触动。"):
    return client.post(f"/api/mp/events/{event_id}/reflections", json={"content": content}, headers=headers)


def test_attendee_writes_then_edits_one_reflection(client, lecture, attendee):
    first = write(client, lecture.id, attendee[1])
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "passed" and first.get_json()["locked"] is False
    second = write(client, lecture.id, attendee[1], "修改后的感悟。")
    assert second.status_code == 200 and second.get_json()["id"] == first.get_json()["id"]
    mine = client.get(f"/api/mp/events/{lecture.id}/reflections/mine", headers=attendee[1])
    assert mine.status_code == 200 and mine.get_json()["content"] == "修改后的感悟。"
    assert db.session.scalar(select(func.count()).select_from(Reflection)) == 1


def test_person_who_did_not_sign_in_is_refused(client, lecture):
    _, headers = sign_in("缺席者")
    response = write(client, lecture.id, headers)
    assert response.status_code == 403 and error_code(response) == "reflection_requires_checkin"
    mine = client.get(f"/api/mp/events/{lecture.id}/reflections/mine", headers=headers)
    assert mine.status_code == 404 and error_code(mine) == "reflection_not_found"


def test_unknown_event_and_bad_content_are_refused(client, lecture, attendee):
    assert error_code(write(client, 999999, attendee[1])) == "event_not_found"
    too_long = write(client, lecture.id, attendee[1], "感" * 1001)
    assert too_long.status_code == 422 and error_code(too_long) == "validation_error"
    blank = write(client, lecture.id, attendee[1], "   ")
    assert blank.status_code == 422 and error_code(blank) == "reflection_invalid"
    assert write(client, lecture.id, attendee[1], "感" * 1000).status_code == 201


def test_risky_reflection_is_refused_and_one_for_review_is_held(client, lecture, attendee):
    risky = write(client, lecture.id, attendee[1], "这里有赌博的内容")
    assert risky.status_code == 422 and error_code(risky) == "reflection_rejected"
    assert db.session.scalar(select(func.count()).select_from(Reflection)) == 0
    held = write(client, lecture.id, attendee[1], "有些敏感的话")
    assert held.status_code == 201 and held.get_json()["status"] == "held"


def test_locked_record_freezes_reflections(client, lecture, attendee):
    assert write(client, lecture.id, attendee[1]).status_code == 201
    admin, admin_headers = sign_in("管理员", admin=True)
    locked = client.post(f"/api/mp/admin/events/{lecture.id}/record/lock", headers=admin_headers)
    assert locked.status_code == 200 and locked.get_json()["locked"] is True
    again = write(client, lecture.id, attendee[1], "锁定后再改")
    assert again.status_code == 409 and error_code(again) == "record_locked"
    mine = client.get(f"/api/mp/events/{lecture.id}/reflections/mine", headers=attendee[1]).get_json()
    assert mine["content"] == "听了模范的故事，很受触动。" and mine["locked"] is True
    record = client.put(f"/api/mp/admin/events/{lecture.id}/record", json={"host": "王芳"}, headers=admin_headers)
    assert record.status_code == 409 and error_code(record) == "record_locked"


def test_admin_picks_up_to_three_reflections(client, lecture):
    people = [sign_in(f"参加者{n}") for n in range(4)]
    sign_in_people(lecture, [staff for staff, _ in people])
    ids = [write(client, lecture.id, headers, f"感悟{n}").get_json()["id"] for n, (_, headers) in enumerate(people)]
    _, admin_headers = sign_in("管理员", admin=True)
    url = f"/api/mp/admin/events/{lecture.id}/reflections/selection"
    too_many = client.put(url, json={"reflection_ids": ids}, headers=admin_headers)
    assert too_many.status_code == 422
    other = held_event("道德讲堂", date(2026, 11, 21))
    staff, headers = sign_in("他人")
    sign_in_people(other, [staff])
    foreign = write(client, other.id, headers).get_json()["id"]
    wrong = client.put(url, json={"reflection_ids": [ids[0], foreign]}, headers=admin_headers)
    assert wrong.status_code == 422 and error_code(wrong) == "reflection_selection_invalid"
    picked = client.put(url, json={"reflection_ids": ids[:2]}, headers=admin_headers)
    assert picked.status_code == 200
    assert [r["id"] for r in picked.get_json()["items"]] == ids[:2]
    listed = client.get(f"/api/mp/admin/events/{lecture.id}/reflections", headers=admin_headers).get_json()["items"]
    assert [r["selected"] for r in listed] == [True, True, False, False]
    assert listed[0]["staff_name"] == "参加者0"
    staff_view = client.get(f"/api/mp/admin/events/{lecture.id}/reflections", headers=people[0][1])
    assert staff_view.status_code == 403


def test_lecture_record_offers_the_five_segments_and_saves_them(client, lecture):
    _, headers = sign_in("管理员", admin=True)
    url = f"/api/mp/admin/events/{lecture.id}/record"
    empty = client.get(url, headers=headers).get_json()
    assert [s["name"] for s in empty["segments"]] == ["唱歌曲", "学模范", "诵经典", "发善心", "送吉祥"]
    segments = [{"name": "唱歌曲", "content": "《公民道德歌》"}, {"name": "学模范", "content": "黄文秀的故事"}]
    saved = client.put(url, json={"host": "王芳", "speaker": "李娜", "segments": segments}, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    assert client.get(url, headers=headers).get_json()["segments"] == segments
    bad = client.put(url, json={"segments": [{"name": ""}]}, headers=headers)
    assert bad.status_code == 422


def test_concurrent_first_submissions_by_one_person_leave_one_reflection(app, lecture, attendee):
    texts = [f"同时提交的感悟{n}" for n in range(4)]
    responses = race(app, [lambda c, text=text: write(c, lecture.id, attendee[1], text) for text in texts])
    assert sorted(r.status_code for r in responses).count(201) == 1
    assert {r.status_code for r in responses} <= {200, 201}
    db.session.expire_all()
    [reflection] = db.session.scalars(select(Reflection)).all()
    assert reflection.content in texts
