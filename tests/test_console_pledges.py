"""承诺 in the console: every page for every role, publishing, signature rates as an SVG chart, who has
not signed (a liaison's own department only), the daily-at-most reminder, the export, CSRF, bad input
and bounded queries."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, OutboxMessage, Pledge, Staff
from app.models.base import utcnow
from app.services import audit, pledges
from tests.console_helpers import count_queries, csrf_token, person, sign_in


def make_pledge(publish: bool = True, **fields) -> Pledge:
    now = utcnow()
    values = dict(title="诚信承诺书", body="本人承诺：诚实守信，依法办事。", work_item=18,
                  opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7))
    values.update(fields)
    pledge = pledges.create_pledge(db.session, actor=audit.Actor.system(), **values)
    if publish:
        pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
    return pledge


def sign(pledge: Pledge, people) -> None:
    for someone in people:
        pledges.sign_pledge(db.session, pledge.id, db.session.get(Staff, someone.id))


@pytest.fixture
def cast(app):
    people = {
        "admin": person("admin", name="管理员", employee_no="P0001"),
        "leader": person("leader", name="领导", employee_no="P0002", department="机关党委"),
        "liaison": person("liaison", name="联络员", employee_no="P0003", department="办公室"),
        "norole": person(None, name="职工", employee_no="P0004", department="办公室", wecom_userid="wecom-p4"),
        "other": person(None, name="外部门", employee_no="P0005", department="综合业务科", wecom_userid="wecom-p5"),
    }
    people["pledge"] = make_pledge()
    return people


ROLES = ("admin", "leader", "liaison", "norole")
PAGES = [
    ("/console/pledges", 200, 200, 200, 302),
    ("/console/pledges/new", 200, 403, 403, 302),
    ("/console/pledges/{p}", 200, 200, 200, 302),
    ("/console/pledges/{p}/signatures.xlsx", 200, 200, 403, 302),
]


@pytest.mark.parametrize(("path", *ROLES), PAGES)
def test_pledge_pages_for_each_role(client, cast, path, admin, leader, liaison, norole):
    url = path.format(p=cast["pledge"].id)
    for role, expected in zip(ROLES, (admin, leader, liaison, norole), strict=True):
        sign_in(client, cast[role])
        assert client.get(url).status_code == expected, (role, url)
    with client.session_transaction() as session:
        session.clear()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]


def test_a_judge_only_cannot_open_pledges(client, cast):
    from app.services import voting
    from tests.selection_helpers import make_selection
    judge = person(None, name="评委", employee_no="P0009")
    selection = make_selection("nominating")
    voting.appoint_judges(db.session, selection.id, [judge], audit.Actor.system())
    sign_in(client, judge)
    assert client.get("/console/pledges").status_code == 403
    assert client.get(f"/console/pledges/{cast['pledge'].id}").status_code == 403


def test_admin_publishes_a_pledge_from_the_console(client, cast):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/pledges/new")
    now = utcnow() + timedelta(days=400)
    response = client.post("/console/pledges/new", data={
        "csrf_token": token, "title": "文明餐桌倡议", "body": "光盘行动，从我做起。", "work_item": "8",
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"), "closes_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "publish": "y",
    })
    assert response.status_code == 302
    pledge = db.session.scalars(select(Pledge).where(Pledge.title == "文明餐桌倡议")).one()
    assert pledge.status == "published" and pledge.work_item == 8
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "pledge.publish", AuditLog.entity_id == str(pledge.id))) == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"title": ""}, "请填写标题"),
    ({"body": ""}, "请填写承诺内容"),
    ({"work_item": "0"}, "工作项目编号应为 1–18"),
    ({"closes_at": "2020-01-01T00:00"}, "截止时间应晚于开始时间"),
    ({"opens_at": "明天"}, "签署开始时间"),
    ({"body": "x" * 5001}, "承诺内容不能超过 5000 字"),
])
def test_bad_pledge_input_is_explained_inline(client, cast, change, message):
    sign_in(client, cast["admin"])
    token = csrf_token(client, "/console/pledges/new")
    now = utcnow() + timedelta(days=400)
    data = {"csrf_token": token, "title": "承诺", "body": "内容", "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"), **change}
    response = client.post("/console/pledges/new", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 1


def test_csrf_is_required_for_every_pledge_action(client, cast):
    sign_in(client, cast["admin"])
    pid = cast["pledge"].id
    for path in ("/console/pledges/new", f"/console/pledges/{pid}/publish", f"/console/pledges/{pid}/remind", f"/console/pledges/{pid}/withdraw"):
        response = client.post(path, data={"reason": "x"})
        assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert db.session.get(Pledge, pid).status == "published"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedup_key.like(f"pledge:{pid}:remind%"))) == 0


def test_rates_chart_and_unsigned_list_for_admins(client, cast):
    sign(cast["pledge"], [cast["norole"]])
    sign_in(client, cast["admin"])
    page = client.get(f"/console/pledges/{cast['pledge'].id}").get_data(as_text=True)
    assert "<svg" in page and "各部门签署率" in page
    assert "（1/3 人）" in page  # 办公室: admin, liaison, 职工
    assert "外部门" in page and "P0005" in page and "P0004" not in page.split('data-testid="unsigned"')[1]


def test_liaison_sees_only_their_own_department_unsigned(client, cast):
    sign_in(client, cast["liaison"])
    pid = cast["pledge"].id
    page = client.get(f"/console/pledges/{pid}").get_data(as_text=True)
    unsigned = page.split('data-testid="unsigned"')[1]
    assert "P0004" in unsigned and "P0005" not in unsigned
    assert "综合业务科" not in page.split('data-testid="rates"')[1].split("</svg>")[0]
    other = cast["other"].department_id
    assert client.get(f"/console/pledges/{pid}?department={other}").status_code == 403
    for action in ("remind", "publish"):
        token = csrf_token(client, f"/console/pledges/{pid}")
        assert client.post(f"/console/pledges/{pid}/{action}", data={"csrf_token": token}).status_code == 403


def test_reminder_goes_once_a_day_to_those_who_have_not_signed(client, cast):
    pid = cast["pledge"].id
    sign(cast["pledge"], [cast["norole"]])
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/pledges/{pid}")
    first = client.post(f"/console/pledges/{pid}/remind", data={"csrf_token": token}, follow_redirects=True)
    assert "已向 1 位未签署的人员发送提醒" in first.get_data(as_text=True)
    second = client.post(f"/console/pledges/{pid}/remind", data={"csrf_token": token}, follow_redirects=True)
    assert "今天已经提醒过" in second.get_data(as_text=True)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"pledge:{pid}:remind%"))).all()
    assert [row.address for row in rows] == ["touser:wecom-p5"]


def test_reminder_outside_the_window_is_explained(client, cast):
    closed = make_pledge(title="已结束", opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=2))
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/pledges/{closed.id}")
    page = client.post(f"/console/pledges/{closed.id}/remind", data={"csrf_token": token}, follow_redirects=True)
    assert "不在签署期内" in page.get_data(as_text=True)


def test_withdraw_needs_a_reason(client, cast):
    pid = cast["pledge"].id
    sign_in(client, cast["admin"])
    token = csrf_token(client, f"/console/pledges/{pid}")
    page = client.post(f"/console/pledges/{pid}/withdraw", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "撤回需要填写原因" in page.get_data(as_text=True) and db.session.get(Pledge, pid).status == "published"
    client.post(f"/console/pledges/{pid}/withdraw", data={"csrf_token": token, "reason": "内容有误"})
    db.session.expire_all()
    assert db.session.get(Pledge, pid).status == "withdrawn"


def test_signed_list_export(client, cast):
    sign(cast["pledge"], [cast["norole"], cast["other"]])
    sign_in(client, cast["leader"])
    response = client.get(f"/console/pledges/{cast['pledge'].id}/signatures.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = {sheet.cell(row, 2).value for row in range(3, sheet.max_row + 1)}
    assert names == {"职工", "外部门"}


def test_list_and_rates_pages_run_a_bounded_number_of_queries(client, cast):
    for number in range(25):
        make_pledge(title=f"承诺{number}")
    for number in range(30):
        person(None, name=f"人{number}", department=f"部门{number % 6}")
    sign_in(client, cast["admin"])
    with count_queries() as statements:
        assert client.get("/console/pledges").status_code == 200
    assert len(statements) <= 6, statements
    with count_queries() as statements:
        assert client.get(f"/console/pledges/{cast['pledge'].id}").status_code == 200
    assert len(statements) <= 8, statements
    assert "第 1 / 2 页" in client.get(f"/console/pledges/{cast['pledge'].id}").get_data(as_text=True)
