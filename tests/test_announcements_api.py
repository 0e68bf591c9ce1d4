"""The mini-program's announcement board."""

from __future__ import annotations

from app.extensions import db
from app.services.announcements import publish_announcement
from tests import factories


def test_bound_staff_see_announcements_newest_first(client, bound_headers):
    author = factories.make_staff(name="郭敏", admin=True)
    for content in ("第一条", "第二条", "第三条"):
        publish_announcement(db.session, author, content)
        db.session.commit()
    body = client.get("/api/mp/announcements?per_page=2", headers=bound_headers).get_json()
    assert [item["content"] for item in body["items"]] == ["第三条", "第二条"]
    assert body["meta"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}


def test_unbound_account_gets_403(client, login):
    response = client.get("/api/mp/announcements", headers=login("openid-unbound"))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_bound"


def test_bad_page_size_gets_422(client, bound_headers):
    response = client.get("/api/mp/announcements?per_page=500", headers=bound_headers)
    assert response.status_code == 422
    assert "per_page" in response.get_json()["error"]["fields"]


# ---- operators list, withdraw and correct announcements ---------------------------------------------


def _groups(count: int = 2):
    from app.models import PushTarget

    robots = [PushTarget(name=f"{n}群", kind="robot", address=f"ann-key-{n}") for n in range(count)]
    db.session.add_all(robots)
    db.session.commit()
    return robots


def _outbox() -> dict[str, str]:
    from sqlalchemy import select

    from app.models import OutboxMessage

    db.session.expire_all()
    return {row.dedup_key: row.status for row in db.session.scalars(select(OutboxMessage))}


def test_operator_lists_announcements_with_their_state(runner):
    author = factories.make_staff(name="郭敏", admin=True)
    kept = publish_announcement(db.session, author, "周五下午大扫除")
    gone = publish_announcement(db.session, author, "写错的通知")
    db.session.commit()
    runner.invoke(args=["announcements", "withdraw", str(gone.id), "--reason", "发错了"])

    listed = runner.invoke(args=["announcements", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"#{kept.id}\t" in listed.output and "郭敏" in listed.output and "有效\t周五下午大扫除" in listed.output
    assert f"#{gone.id}\t" not in listed.output
    everything = runner.invoke(args=["announcements", "list", "--all"]).output
    assert f"#{gone.id}\t" in everything and "已撤回（发错了）" in everything


def test_withdrawn_announcement_leaves_the_board_and_its_unsent_pushes_are_dropped(client, bound_headers, runner):
    _groups(2)
    author = factories.make_staff(name="郭敏", admin=True)
    announcement = publish_announcement(db.session, author, "写错的通知")
    db.session.commit()
    assert len(_outbox()) == 2

    result = runner.invoke(args=["announcements", "withdraw", str(announcement.id), "--reason", "时间写错"])
    assert result.exit_code == 0, result.output
    assert "尚未推送到任何群，无需通知" in result.output
    assert _outbox() == {}
    body = client.get("/api/mp/announcements", headers=bound_headers).get_json()
    assert body["items"] == [] and body["meta"]["total"] == 0

    again = runner.invoke(args=["announcements", "withdraw", str(announcement.id), "--reason", "再撤一次"])
    assert (again.exit_code, again.output) == (1, f"错误：公告 {announcement.id} 已撤回\n")
    missing = runner.invoke(args=["announcements", "withdraw", "999999", "--reason", "x"])
    assert (missing.exit_code, missing.output) == (1, "错误：没有编号为 999999 的公告\n")


def test_groups_that_got_an_announcement_are_told_it_was_withdrawn(runner):
    from sqlalchemy import update

    from app.models import OutboxMessage

    _groups(2)
    author = factories.make_staff(name="郭敏", admin=True)
    announcement = publish_announcement(db.session, author, "已经发出的通知")
    db.session.commit()
    db.session.execute(update(OutboxMessage).values(status="sent"))
    db.session.commit()

    result = runner.invoke(args=["announcements", "withdraw", str(announcement.id), "--reason", "内容有误"])
    assert result.exit_code == 0 and "已通知 2 个群" in result.output, result.output
    notices = {key: status for key, status in _outbox().items() if ":withdrawn:" in key}
    assert list(notices.values()) == ["pending", "pending"]


def test_corrected_announcement_shows_the_new_text_and_every_group_gets_the_correction(client, bound_headers, runner):
    from sqlalchemy import select

    from app.models import AuditLog, OutboxMessage

    _groups(2)
    author = factories.make_staff(name="郭敏", admin=True)
    announcement = publish_announcement(db.session, author, "周五下午三点开会")
    db.session.commit()

    result = runner.invoke(args=["announcements", "correct", str(announcement.id), "--content", "周五下午四点开会"])
    assert result.exit_code == 0 and "正在推送到 2 个群" in result.output, result.output
    assert all(":correction:1:" in key for key in _outbox())  # the unsent original is replaced
    payloads = [row.payload["markdown"]["content"] for row in db.session.scalars(select(OutboxMessage))]
    assert all(text.startswith("**【公告更正】**\n周五下午四点开会") for text in payloads) and len(payloads) == 2
    body = client.get("/api/mp/announcements", headers=bound_headers).get_json()
    assert [item["content"] for item in body["items"]] == ["周五下午四点开会"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "announcement.correct"))
    assert entry.detail["previous"] == "周五下午三点开会"
    same = runner.invoke(args=["announcements", "correct", str(announcement.id), "--content", "周五下午四点开会"])
    assert (same.exit_code, same.output) == (1, "错误：更正后的内容与原内容相同\n")
