"""台账 in the console: the plan page and its init, an item's page (edits, documents), an event's work
items, 道德讲堂 record and 感悟, the pack built in the background, the 首页 panel; roles, CSRF, bad input
and bounded queries."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, LedgerDocument, LedgerExport, LedgerPlan, Reflection, Staff
from app.models.base import utcnow
from app.models.ledger import EXPORT_BUILDING, EXPORT_READY
from app.services import audit
from app.services.ledger import builds, plan
from app.timeutil import local_today
from tests import factories
from tests.console_helpers import count_queries, csrf_token, person, sign_in
from tests.ledger_helpers import add_document, held_event, image_png, init_plan, pdf_bytes, sign_in_people

# A year that is over whatever day the suite runs: every activity in it has been held.
YEAR = local_today().year - 1


@pytest.fixture
def cast(app):
    cast = {"admin": person("admin", name="管理员"), "leader": person("leader", name="领导"),
            "liaison": person("liaison", name="联络员", department="办公室"),
            "other": person("liaison", name="外部门联络员", department="财务科")}
    init_plan(YEAR)
    plan.update_item(db.session, YEAR, 6, audit.Actor.system(), departments=["办公室"])
    return cast


def item_url(number: int = 6, year: int = YEAR) -> str:
    return f"/console/ledger/{year}/items/{number}"


def lecture(day: date | None = None, people=()):
    event = held_event("道德讲堂", day or date(YEAR, 3, 5), title="道德讲堂：孝老爱亲")
    if people:
        sign_in_people(event, people)
    return event


# ---- roles ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "plan_status", "own_item", "other_item", "export"),
    [("admin", 200, 200, 200, 200), ("leader", 200, 200, 200, 403), ("liaison", 200, 200, 403, 403),
     ("other", 200, 403, 403, 403)],
)
def test_ledger_pages_for_each_role(client, cast, role, plan_status, own_item, other_item, export):
    sign_in(client, cast[role])
    page = client.get(f"/console/ledger?year={YEAR}")
    assert page.status_code == plan_status
    text = page.get_data(as_text=True)
    assert "认真开展道德讲堂活动" in text if own_item == 200 else "认真开展道德讲堂活动" not in text
    assert ("扎实开展学雷锋活动" in text) == (other_item == 200)  # a liaison sees their department's items only
    assert client.get(item_url(6)).status_code == own_item
    assert client.get(item_url(10)).status_code == other_item
    assert client.get(f"/console/ledger/{YEAR}/export", headers={"HX-Request": "true"}).status_code == export
    assert ("生成台账包" in text) == (role == "admin")
    assert ('href="/console/ledger"' in client.get("/console/").get_data(as_text=True))


def test_anonymous_is_sent_to_login(client, cast):
    for path in (f"/console/ledger?year={YEAR}", item_url(6), f"/console/ledger/{YEAR}/export.zip"):
        response = client.get(path)
        assert response.status_code == 302 and "/console/login" in response.headers["Location"], path


def test_unknown_year_item_and_bad_year_answer_in_chinese(client, cast):
    sign_in(client, cast["admin"])
    assert "第 19 项" in client.get(item_url(19)).get_data(as_text=True)
    assert client.get(item_url(19)).status_code == 404
    assert client.get(item_url(6, year=1999)).status_code == 422
    assert "四位数字" in client.get("/console/ledger?year=20x6", follow_redirects=True).get_data(as_text=True)


# ---- the plan ------------------------------------------------------------------------------------------


def test_admin_initialises_a_year_from_the_default_or_last_year(client, cast):
    sign_in(client, cast["admin"])
    later, after = YEAR + 2, YEAR + 3
    page = client.get(f"/console/ledger?year={later}").get_data(as_text=True)
    assert "还没有创建计划" in page and "只能使用默认计划" in page
    token = csrf_token(client, f"/console/ledger?year={later}")
    refused = client.post(f"/console/ledger/{later}/init", data={"csrf_token": token, "source": "copy"}, follow_redirects=True)
    assert f"{later - 1} 年还没有创建计划" in refused.get_data(as_text=True)
    assert client.post(f"/console/ledger/{later}/init", data={"csrf_token": token, "source": "x"}, follow_redirects=True).status_code == 200
    assert db.session.scalar(select(func.count(LedgerPlan.id))) == 1
    client.post(f"/console/ledger/{later}/init", data={"csrf_token": token, "source": "default"})
    client.post(f"/console/ledger/{after}/init", data={"csrf_token": token, "source": "copy"})
    plan.update_item(db.session, later, 12, audit.Actor.system(), departments=["财务科"])
    assert plan.get_item(db.session, after, 6).departments == []  # copied before the change
    page = client.get(f"/console/ledger?year={after}").get_data(as_text=True)
    assert page.count("未开展") >= 18 and "积极营造优美办公环境" in page
    again = client.post(f"/console/ledger/{after}/init", data={"csrf_token": token, "source": "default"}, follow_redirects=True)
    assert "已存在" in again.get_data(as_text=True)


def test_plan_init_needs_admin_and_csrf(client, cast):
    sign_in(client, cast["leader"])
    token = csrf_token(client, "/console/")
    assert client.post(f"/console/ledger/{YEAR + 2}/init", data={"csrf_token": token}).status_code == 403
    sign_in(client, cast["admin"])
    assert client.post(f"/console/ledger/{YEAR + 2}/init", data={"source": "default"}).status_code == 400
    assert plan.find_plan(db.session, YEAR + 2) is None


def test_plan_page_shows_status_and_what_is_missing_per_half(client, cast):
    people = [person(None, department="办公室") for _ in range(3)]
    event = lecture(people=people)
    add_document(YEAR, 6, "照片", image_png(), "讲堂.png", event_id=event.id)
    sign_in(client, cast["leader"])
    page = client.get(f"/console/ledger?year={YEAR}").get_data(as_text=True)
    row = page[page.index("认真开展道德讲堂活动"):]
    row = row[:row.index("</tr>")]
    assert "已达标" in row and "缺少：下半年道德讲堂" in row


# ---- an item -------------------------------------------------------------------------------------------


def test_item_page_lists_evidence_participation_and_documents(client, cast):
    people = [person(None, department="办公室") for _ in range(2)] + [person(None, department="财务科")]
    event = lecture(people=people[:2])
    add_document(YEAR, 6, "会议记录", pdf_bytes(), "讲堂议程.pdf", dated=date(YEAR, 3, 1))
    sign_in(client, cast["liaison"])
    page = client.get(item_url(6)).get_data(as_text=True)
    assert f'href="/console/events/{event.id}"' in page and f"{YEAR}-03-05" in page
    assert "讲堂议程" in page and "<svg" in page and "2 / " in page  # 办公室: 2 of its headcount
    assert "上传材料" not in page and "修改责任和目标" not in page  # read-only for a liaison


def test_admin_edits_owners_targets_and_evidence_kinds(client, cast):
    owner = person(None, name="责任人甲", employee_no="E7001", department="财务科")
    sign_in(client, cast["admin"])
    token = csrf_token(client, item_url(10))
    current = plan.get_item(db.session, YEAR, 10).targets
    data = {"csrf_token": token, "departments": ["办公室", "财务科"], "owner": "E7001", "evidence_kinds": ["方案", "照片"]}
    for index, target in enumerate(current):
        data[f"targets-{index}-count"] = "2"
        data[f"targets-{index}-hours"] = "40" if target["type"] == "hours" else ""
        data[f"targets-{index}-per"] = "half" if target["type"] == "documents" else target.get("per", "year")
    response = client.post(item_url(10), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    db.session.expire_all()
    item = plan.get_item(db.session, YEAR, 10)
    assert item.departments == ["办公室", "财务科"] and item.owner_id == owner.id and item.evidence_kinds == ["方案", "照片"]
    by_type = {t["type"]: t for t in item.targets}
    assert by_type["hours"]["hours"] == 40 and by_type["documents"] == {**by_type["documents"], "count": 2, "per": "half"}
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "ledger.item_update")) >= 1
    festivals = {"csrf_token": token, "targets-0-count": "1", "targets-0-per": "year", "targets-1-per": "", "targets-1-festivals": ["春节", "中秋"]}
    assert client.post(item_url(12), data=festivals).status_code == 302
    db.session.expire_all()
    assert plan.get_item(db.session, YEAR, 12).targets[1]["festivals"] == ["春节", "中秋"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"owner": "NOBODY"}, "花名册中没有在册的工号 NOBODY"),
        ({"targets-0-count": "0"}, "数量应为 1 到 1000 的整数"),
        ({"targets-0-count": "很多"}, "整数"),
        ({"departments": ["不存在的科"]}, "不是有效的选择"),
        ({"evidence_kinds": ["录音"]}, "不是有效的选择"),
        ({"targets-1-festivals": []}, "节日应为"),
    ],
)
def test_item_form_refuses_bad_input_inline_and_changes_nothing(client, cast, fields, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, item_url(12))
    before = plan.get_item(db.session, YEAR, 12).targets
    data = {"csrf_token": token, "targets-0-count": "1", "targets-0-per": "year", "targets-1-per": "", "targets-1-festivals": ["春节"], **fields}
    response = client.post(item_url(12), data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True), response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    item = plan.get_item(db.session, YEAR, 12)
    assert item.targets == before and item.owner_id is None


def test_item_edit_needs_admin_and_csrf(client, cast):
    sign_in(client, cast["leader"])
    token = csrf_token(client, item_url(6))
    assert client.post(item_url(6), data={"csrf_token": token, "departments": ["财务科"]}).status_code == 403
    sign_in(client, cast["admin"])
    assert client.post(item_url(6), data={"departments": ["财务科"]}).status_code == 400
    db.session.expire_all()
    assert plan.get_item(db.session, YEAR, 6).departments == ["办公室"]


def _upload(client, token, data: bytes, name: str, **fields):
    form = {"csrf_token": token, "kind": "方案", "title": "学雷锋活动方案", "dated": f"{YEAR}-02-01",
            "file": (io.BytesIO(data), name), **fields}
    return client.post(f"{item_url(10)}/documents", data=form, content_type="multipart/form-data")


def test_admin_uploads_downloads_and_deletes_a_document(client, cast, app):
    sign_in(client, cast["admin"])
    token = csrf_token(client, item_url(10))
    response = _upload(client, token, pdf_bytes("方案"), "方案.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    document = db.session.scalars(select(LedgerDocument)).one()
    assert document.uploaded_by == "管理员" and document.dated == date(YEAR, 2, 1)
    page = client.get(item_url(10)).get_data(as_text=True)
    assert "学雷锋活动方案" in page and "管理员" in page
    sign_in(client, cast["leader"])
    token = csrf_token(client, item_url(10))
    with client.get(f"{item_url(10)}/documents/{document.id}") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF") and download.mimetype == "application/pdf"
    assert client.post(f"{item_url(10)}/documents/{document.id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.get(f"{item_url(6)}/documents/{document.id}").status_code == 404  # another item's document
    sign_in(client, cast["admin"])
    token = csrf_token(client, item_url(10))
    path = Path(app.config["UPLOAD_FOLDER"]) / "ledger" / document.stored_name
    assert path.is_file()
    assert client.post(f"{item_url(10)}/documents/{document.id}/delete", data={}).status_code == 400  # no CSRF
    assert client.post(f"{item_url(10)}/documents/{document.id}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count(LedgerDocument.id))) == 0 and not path.exists()
    assert "材料不存在" in client.post(f"{item_url(10)}/documents/{document.id}/delete", data={"csrf_token": token},
                                     follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("config_overrides", [{"LEDGER_DOCUMENT_MAX_BYTES": 2048}])
@pytest.mark.parametrize(
    ("data", "name", "fields", "message"),
    [
        (b"just some text, not a document", "方案.pdf", {}, "只接受 PDF、DOCX、XLSX、JPEG 或 PNG 文件"),
        (b"%PDF-1.4\n" + b"0" * 4096, "big.pdf", {}, "文件超过 2 KB"),
        (b"", "empty.pdf", {}, "文件是空的"),
        (pdf_bytes(), "", {}, "请选择文件"),
        (pdf_bytes(), "a.pdf", {"title": ""}, "请填写标题"),
        (pdf_bytes(), "a.pdf", {"kind": "照片"}, "只接受 JPEG 或 PNG"),
        (pdf_bytes(), "a.pdf", {"kind": "录音"}, "不是有效的选择"),
        (pdf_bytes(), "a.pdf", {"dated": "1999-01-01"}, f"材料日期应在 {YEAR} 年内"),
        (pdf_bytes(), "a.pdf", {"dated": "明天"}, "日期"),
    ],
)
def test_document_form_refuses_bad_files_inline_and_writes_nothing(client, cast, app, data, name, fields, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, item_url(10))
    response = _upload(client, token, data, name, **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True), response.get_data(as_text=True)[-1500:]
    assert db.session.scalar(select(func.count(LedgerDocument.id))) == 0
    folder = Path(app.config["UPLOAD_FOLDER"]) / "ledger"
    assert not folder.exists() or not any(folder.iterdir())


def test_upload_needs_admin(client, cast):
    sign_in(client, cast["leader"])
    token = csrf_token(client, item_url(10))
    assert _upload(client, token, pdf_bytes(), "a.pdf").status_code == 403
    assert db.session.scalar(select(func.count(LedgerDocument.id))) == 0


@pytest.mark.parametrize("path", ["/console/ledger?year={year}", "/console/ledger/{year}/items/6"])
def test_plan_and_item_pages_run_a_bounded_number_of_queries(client, cast, path):
    sign_in(client, cast["admin"])
    target = path.format(year=YEAR)

    def measure() -> int:
        db.session.remove()
        with count_queries() as statements:
            assert client.get(target).status_code == 200
        return len(statements)

    small = measure()
    people = [person(None, department=f"部门{n % 3}") for n in range(6)]
    for month in range(1, 7):
        event = lecture(date(YEAR, month, 10), people=people)
        add_document(YEAR, 6, "照片", image_png(), f"照片{month}.png", event_id=event.id)
        add_document(YEAR, 6, "会议记录", pdf_bytes(), f"记录{month}.pdf", dated=date(YEAR, month, 1))
    assert measure() == small <= 24


# ---- an event's items, record, reflections, photos -----------------------------------------------------


def test_admin_changes_an_events_work_items_and_festival(client, cast):
    event = held_event("传统节日", date(YEAR, 6, 10), title="端午包粽子")
    sign_in(client, cast["admin"])
    page = client.get(f"/console/events/{event.id}").get_data(as_text=True)
    assert "第 12 项" in page and "按活动类型默认" in page
    token = csrf_token(client, f"/console/events/{event.id}")
    ids = {n: plan.get_item(db.session, YEAR, n).id for n in (12, 13)}
    response = client.post(f"/console/events/{event.id}/ledger-items",
                           data={"csrf_token": token, "items": [ids[12], ids[13]], "festival": "端午"})
    assert response.status_code == 302
    page = client.get(f"/console/events/{event.id}").get_data(as_text=True)
    assert "第 13 项" in page and "（端午）" in page and "按活动类型默认" not in page
    assert f'href="/console/ledger/{YEAR}/items/13"' in page


@pytest.mark.parametrize(("items", "festival", "message"), [
    ("other-year", "", f"不能计入 {YEAR + 1} 年计划的第 6 项"),
    ("none", "", "请至少选择一个工作项"),
    ("unknown", "", "工作项不存在"),
    ("12", "国庆", "不是有效的选择"),
    ("huge", "", "选项无效"),
])
def test_event_items_form_refuses_bad_input(client, cast, items, festival, message):
    init_plan(YEAR + 1)
    event = held_event("传统节日", date(YEAR, 6, 10), title="端午包粽子")
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/events/{event.id}")
    value = {"other-year": [plan.get_item(db.session, YEAR + 1, 6).id], "none": [], "unknown": [999999], "huge": ["99999999999999999999"],
             "12": [plan.get_item(db.session, YEAR, 12).id]}[items]
    response = client.post(f"/console/events/{event.id}/ledger-items", data={"csrf_token": token, "items": value, "festival": festival})
    assert response.status_code == 400 and message in response.get_data(as_text=True), response.get_data(as_text=True)[-2500:]
    assert "按活动类型默认" in response.get_data(as_text=True)  # nothing changed
    sign_in(client, cast["leader"])
    token = csrf_token(client, f"/console/events/{event.id}")
    assert client.post(f"/console/events/{event.id}/ledger-items", data={"csrf_token": token, "items": value}).status_code == 403


def _reflections(event, people):
    rows = [Reflection(event_id=event.id, staff_id=p.id, content=f"{p.name}的感悟：见贤思齐。") for p in people]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_admin_keeps_a_lecture_record_picks_reflections_and_locks_it(client, cast):
    people = [person(None, name=f"学员{n}") for n in range(4)]
    event = lecture(people=people)
    reflections = _reflections(event, people)
    sign_in(client, cast["admin"])
    page = client.get(f"/console/events/{event.id}").get_data(as_text=True)
    for name in ("唱歌曲", "学模范", "诵经典", "发善心", "送吉祥"):
        assert f'value="{name}"' in page
    assert "学员3的感悟" in page
    token = csrf_token(client, f"/console/events/{event.id}")
    data = {"csrf_token": token, "host": "王芳", "speaker": "李娜",
            "segments-0-name": "唱歌曲", "segments-0-content": "《公民道德歌》",
            "segments-1-name": "学模范", "segments-1-content": "黄文秀的故事",
            "segments-2-name": "", "segments-2-content": "",
            "segments-3-name": "谈体会", "segments-3-content": "分组交流"}
    assert client.post(f"/console/events/{event.id}/record", data=data).status_code == 302
    from app.services.ledger import records

    view = records.record_view(db.session, event.id)
    assert view["host"] == "王芳" and [s["name"] for s in view["segments"]] == ["唱歌曲", "学模范", "谈体会"]

    four = client.post(f"/console/events/{event.id}/reflections", data={"csrf_token": token, "reflections": [r.id for r in reflections]})
    assert four.status_code == 400 and "请选择本活动的 1 到 3 篇感悟" in four.get_data(as_text=True)
    two = client.post(f"/console/events/{event.id}/reflections", data={"csrf_token": token, "reflections": [reflections[0].id, reflections[2].id]})
    assert two.status_code == 302
    db.session.expire_all()
    assert [r.selected for r in db.session.scalars(select(Reflection).order_by(Reflection.id))] == [True, False, True, False]

    assert client.post(f"/console/events/{event.id}/record/lock", data={}).status_code == 400  # no CSRF
    assert client.post(f"/console/events/{event.id}/record/lock", data={"csrf_token": token}).status_code == 302
    page = client.get(f"/console/events/{event.id}").get_data(as_text=True)
    assert "已锁定" in page and 'data-testid="record-form"' not in page and "黄文秀的故事" in page
    late = client.post(f"/console/events/{event.id}/record", data=data)
    assert late.status_code == 400 and "已锁定" in late.get_data(as_text=True)
    assert all(r.locked for r in db.session.scalars(select(Reflection)))


@pytest.mark.parametrize(("fields", "message"), [
    ({"host": "主" * 51}, "主持人不能超过 50 字"),
    ({"segments-0-name": "环" * 21}, "环节名称不能超过 20 字"),
    ({"segments-0-name": "", "segments-0-content": "没有名称的内容"}, "请填写环节名称"),
])
def test_record_form_refuses_bad_input(client, cast, fields, message):
    event = lecture()
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/events/{event.id}")
    data = {"csrf_token": token, "host": "王芳", "segments-0-name": "唱歌曲", "segments-0-content": "", **fields}
    response = client.post(f"/console/events/{event.id}/record", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    from app.services.ledger import records

    assert records.find_record(db.session, event.id) is None


def test_leader_reads_the_record_and_reflections_but_changes_nothing(client, cast):
    people = [person(None, name="学员甲")]
    event = lecture(people=people)
    _reflections(event, people)
    sign_in(client, cast["leader"])
    page = client.get(f"/console/events/{event.id}").get_data(as_text=True)
    assert "学员甲的感悟" in page and 'data-testid="record-form"' not in page and 'name="reflections"' not in page
    token = csrf_token(client, f"/console/events/{event.id}")
    for path in ("record", "record/lock", "reflections", "ledger-photos"):
        assert client.post(f"/console/events/{event.id}/{path}", data={"csrf_token": token}).status_code == 403, path
    sign_in(client, cast["liaison"])
    assert "学员甲的感悟" not in client.get(f"/console/events/{event.id}").get_data(as_text=True)


def test_admin_uploads_an_activity_photo_and_a_bad_one_is_refused(client, cast):
    event = lecture()
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/events/{event.id}")
    bad = client.post(f"/console/events/{event.id}/ledger-photos", content_type="multipart/form-data",
                      data={"csrf_token": token, "file": (io.BytesIO(pdf_bytes()), "x.jpg")})
    assert bad.status_code == 400 and "只接受 JPEG 或 PNG" in bad.get_data(as_text=True)
    good = client.post(f"/console/events/{event.id}/ledger-photos", content_type="multipart/form-data",
                       data={"csrf_token": token, "title": "讲堂现场", "file": (io.BytesIO(image_png()), "x.png")})
    assert good.status_code == 302
    photo = db.session.scalars(select(LedgerDocument)).one()
    assert photo.kind == "照片" and photo.event_id == event.id and photo.item_id == plan.get_item(db.session, YEAR, 6).id
    with client.get(f"/console/events/{event.id}/ledger-photos/{photo.id}") as image:
        assert image.status_code == 200 and image.mimetype == "image/png"
    assert client.get(f"/console/events/{event.id + 1}/ledger-photos/{photo.id}").status_code == 404


# ---- the pack ------------------------------------------------------------------------------------------


def _wait_ready(client, year: int, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = client.get(f"/console/ledger/{year}/export", headers={"HX-Request": "true"}).get_data(as_text=True)
        if "hx-trigger" not in fragment:
            return fragment
        assert "every 2s" in fragment and "正在生成" in fragment
        time.sleep(0.3)
    raise AssertionError("the pack was not ready in time")


def test_admin_builds_the_pack_in_the_background_and_downloads_it(client, cast, app):
    people = [person(None, department="办公室") for _ in range(3)]
    event = lecture(people=people)
    add_document(YEAR, 6, "照片", image_png(), "讲堂现场.png", event_id=event.id)
    add_document(YEAR, 10, "方案", pdf_bytes(), "学雷锋活动方案.pdf", dated=date(YEAR, 2, 1))
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/ledger?year={YEAR}")
    assert client.post(f"/console/ledger/{YEAR}/export", data={}).status_code == 400  # no CSRF
    assert client.get(f"/console/ledger/{YEAR}/export.zip").status_code == 404
    started = client.post(f"/console/ledger/{YEAR}/export", data={"csrf_token": token}, follow_redirects=True)
    assert "已开始生成台账包" in started.get_data(as_text=True)
    fragment = _wait_ready(client, YEAR)
    builds.wait_for_builds()
    assert "下载台账" in fragment and "共 " in fragment, fragment
    with client.get(f"/console/ledger/{YEAR}/export.zip") as download:
        assert download.status_code == 200 and download.mimetype == "application/zip"
        data = download.data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        sheet = load_workbook(io.BytesIO(archive.read("目录.xlsx")), read_only=True).active
        listed = {row[6] for row in list(sheet.iter_rows(values_only=True))[1:]}
    assert listed == names - {"目录.xlsx"}
    assert "创建工作报告.pdf" in names and any(name.endswith("讲堂现场.png") for name in names)
    assert any(name.endswith("学雷锋活动方案.pdf") for name in names)
    first = db.session.scalars(select(LedgerExport)).one().file_name

    # Building again replaces the pack: the previous file is removed once the new one is ready.
    client.post(f"/console/ledger/{YEAR}/export", data={"csrf_token": token})
    _wait_ready(client, YEAR)
    builds.wait_for_builds()
    db.session.expire_all()
    build = db.session.scalars(select(LedgerExport)).one()
    folder = Path(app.config["UPLOAD_FOLDER"]) / "ledger-exports"
    assert build.status == EXPORT_READY and build.file_name != first
    assert sorted(p.name for p in folder.iterdir()) == [build.file_name]
    sign_in(client, cast["leader"])
    token = csrf_token(client, "/console/")
    assert client.get(f"/console/ledger/{YEAR}/export.zip").status_code == 403
    assert client.post(f"/console/ledger/{YEAR}/export", data={"csrf_token": token}).status_code == 403


def test_one_build_per_year_at_a_time_and_an_abandoned_one_can_be_restarted(client, cast):
    first = builds.start_build(db.session, YEAR, "甲", audit.Actor.system())
    with pytest.raises(builds.ExportBusy):
        builds.start_build(db.session, YEAR, "乙", audit.Actor.system())
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/ledger?year={YEAR}")
    busy = client.post(f"/console/ledger/{YEAR}/export", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "正在生成，请稍候" in busy and "正在生成（甲" in busy
    db.session.execute(LedgerExport.__table__.update().values(heartbeat_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    assert "上次生成中断" in client.get(f"/console/ledger?year={YEAR}").get_data(as_text=True)
    again = builds.start_build(db.session, YEAR, "乙", audit.Actor.system())
    assert again.id == first.id and again.started_by == "乙" and again.status == EXPORT_BUILDING


def test_a_failed_build_is_shown_in_chinese_and_a_year_without_a_plan_is_refused(client, cast, monkeypatch):
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/ledger?year={YEAR}")
    refused = client.post(f"/console/ledger/{YEAR + 5}/export", data={"csrf_token": token}, follow_redirects=True)
    assert f"{YEAR + 5} 年还没有创建计划，无法生成台账包" in refused.get_data(as_text=True)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builds, "export_ledger", broken)
    client.post(f"/console/ledger/{YEAR}/export", data={"csrf_token": token})
    fragment = _wait_ready(client, YEAR)
    builds.wait_for_builds()
    assert "上次生成失败：生成失败：服务器处理出错" in fragment and "生成台账包" in fragment


def test_clean_up_removes_expired_packs_and_leftovers(cast, app):
    folder = builds.folder()
    folder.mkdir(parents=True)
    build = builds.start_build(db.session, YEAR, "甲", audit.Actor.system())
    (folder / "kept.zip").write_bytes(b"zip")
    (folder / "orphan.zip").write_bytes(b"zip")
    (folder / ".new.zip.part").write_bytes(b"zip")  # a build being written right now
    build.status, build.file_name, build.finished_at = EXPORT_READY, "kept.zip", utcnow()
    db.session.commit()
    later = utcnow() + timedelta(hours=2)
    assert builds.clean_up(db.session, later) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["kept.zip"]
    assert builds.clean_up(db.session, utcnow() + timedelta(days=8)) == 1
    db.session.expire_all()
    assert db.session.get(LedgerExport, build.id).file_name is None and not any(folder.iterdir())


# ---- 首页 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_DASHBOARD_CACHE_SECONDS": 0}])  # the real query counts
def test_dashboard_shows_this_half_years_progress_and_stays_bounded(client, cast):
    other_id = cast["other"].id
    sign_in(client, cast["admin"])
    assert 'data-testid="ledger-panel"' not in client.get("/console/").get_data(as_text=True)  # no plan this year
    this_year = local_today().year
    init_plan(this_year)

    def measure() -> tuple[int, str]:
        db.session.remove()
        with count_queries() as statements:
            page = client.get("/console/")
        return len(statements), page.get_data(as_text=True)

    small, page = measure()
    assert 'data-testid="ledger-panel"' in page and f'href="/console/ledger?year={this_year}"' in page
    assert "未开展" in page and "缺少：" in page
    people = [person(None, department="办公室") for _ in range(4)]
    for days in (3, 5):
        event = factories.make_event(title=f"讲堂{days}", starts_at=utcnow() - timedelta(days=days))
        sign_in_people(event, people)
    assert measure()[0] == small
    sign_in(client, db.session.get(Staff, other_id))
    assert "认真开展道德讲堂活动" not in client.get("/console/").get_data(as_text=True)


def test_the_dashboards_ledger_panel_is_kept_like_its_other_figures(client, cast):
    """The panel reads every sign-in of the year: computed once per CONSOLE_DASHBOARD_CACHE_SECONDS (30 s)
    per scope, so a reload within it sends fewer statements and shows the same figures."""
    init_plan(local_today().year)
    sign_in(client, cast["admin"])
    with count_queries() as first:
        page = client.get("/console/").get_data(as_text=True)
    with count_queries() as again:
        assert client.get("/console/").get_data(as_text=True) == page
    assert 'data-testid="ledger-panel"' in page and len(again) < len(first)


def test_a_liaison_without_items_sees_no_dashboard_panel_and_an_empty_plan(client, cast):
    init_plan(local_today().year)
    sign_in(client, cast["other"])  # 财务科 is responsible for nothing
    assert 'data-testid="ledger-panel"' not in client.get("/console/").get_data(as_text=True)
    assert "本部门没有负责的工作项" in client.get(f"/console/ledger?year={YEAR}").get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/console/ledger/{year}/init", "/console/ledger/{year}/items/6", "/console/ledger/{year}/items/6/documents",
    "/console/ledger/{year}/export", "/console/events/{event}/ledger-items", "/console/events/{event}/record",
    "/console/events/{event}/record/lock", "/console/events/{event}/reflections", "/console/events/{event}/ledger-photos",
])
def test_every_ledger_form_refuses_a_post_without_csrf(client, cast, path):
    event = lecture()
    sign_in(client, cast["admin"])
    before = db.session.scalar(select(func.count(AuditLog.id)))
    response = client.post(path.format(year=YEAR, event=event.id), data={"source": "default", "items": [1], "host": "王芳",
                                                                         "title": "x", "kind": "方案"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditLog.id))) == before
    assert db.session.scalar(select(func.count(LedgerExport.id))) == 0


def test_a_build_taken_over_as_stale_writes_nothing_more_and_leaves_no_pack(cast, app, monkeypatch):
    """The old build's thread finishing after a takeover must neither mark the row ready with its own
    file nor leave that file behind: the newer build owns the row."""
    from types import SimpleNamespace

    first = builds.start_build(db.session, YEAR, "甲", audit.Actor.system(), now=utcnow() - timedelta(minutes=30))
    written = []

    def slow_export(session, year, target, progress=None):
        # while this build runs, its heartbeat is judged stale and 乙 takes the year's build over
        builds.start_build(db.session, YEAR, "乙", audit.Actor.system())
        progress(1, 2, "复制材料")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"old pack")
        written.append(target)
        return SimpleNamespace(size=8, files=1, skipped=[])

    monkeypatch.setattr(builds, "export_ledger", slow_export)
    builds.run_build(db.session, first.id)
    db.session.expire_all()
    row = builds.find_build(db.session, YEAR)
    assert row.status == EXPORT_BUILDING and row.started_by == "乙" and row.file_name is None
    assert row.message == "排队中"  # the old build's progress was not written over the new one's
    assert written and not written[0].exists()
