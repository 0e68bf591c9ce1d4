"""Images through the outbox: the sandbox's media/upload with WeCom's errors, and the dispatcher
rendering, uploading and sending an image message at send time."""

from __future__ import annotations

import io

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import outbox
from app.services.dispatcher import DEAD_NOTICE_PREFIX
from app.services.outbox_media import rendered_image
from app.services.posters import render_printed_code
from app.wechat import WeChatError, get_work
from sandbox import Fault
from tests import factories
from tests.bot_helpers import FAST_OUTBOX, settle
from tests.test_sandbox import work_token
from tests.wish_helpers import image_bytes


@pytest.fixture
def config_overrides():
    return dict(FAST_OUTBOX, OUTBOX_MAX_ATTEMPTS=3)


@pytest.fixture
def sb(sandbox):
    yield sandbox
    sandbox.state.reset()


def upload(sb, content: bytes | None, media_type: str = "image", token: str | None = None, field: str = "media"):
    files = {} if content is None else {field: ("code.png", io.BytesIO(content), "image/png")}
    params = {"type": media_type, "access_token": token if token is not None else work_token(sb)}
    return requests.post(f"{sb.url}/cgi-bin/media/upload", params=params, files=files, timeout=5).json()


def send_image(sb, media_id: str, path: str = "message/send") -> dict:
    body = {"msgtype": "image", "image": {"media_id": media_id}}
    if path == "message/send":
        body |= {"touser": "zhangwei", "agentid": 1000002}
    else:
        body |= {"chatid": "chat-1"}
    return requests.post(f"{sb.url}/cgi-bin/{path}", params={"access_token": work_token(sb)}, json=body, timeout=5).json()


# ---- the sandbox -------------------------------------------------------------------------------


def test_sandbox_upload_answers_a_media_id_that_an_image_message_may_use(sb):
    png = image_bytes("PNG")
    answer = upload(sb, png)
    assert answer["errcode"] == 0 and answer["type"] == "image" and answer["created_at"].isdigit()
    assert send_image(sb, answer["media_id"])["errcode"] == 0
    listed = requests.get(f"{sb.url}/_sandbox/messages", params={"target": "touser:zhangwei"}, timeout=5).json()
    assert listed["messages"][-1]["msgtype"] == "image"
    assert listed["messages"][-1]["body"]["image"] == {"media_id": answer["media_id"]}
    fetched = requests.get(f"{sb.url}/_sandbox/media/{answer['media_id']}", timeout=5)
    assert fetched.content == png and fetched.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("path", ["message/send", "appchat/send"])
def test_sandbox_refuses_an_image_message_with_an_unknown_media_id_with_40007(sb, path):
    assert send_image(sb, "never-uploaded", path)["errcode"] == 40007


@pytest.mark.parametrize(
    ("content", "media_type", "field", "errcode"),
    [
        (None, "image", "media", 41005),  # no file part
        (b"\x89PNG", "image", "other", 41005),  # file under another field name
        (b"", "image", "media", 44001),  # empty
        (b"\x89PNG\r\n\x1a\n", "sticker", "media", 40004),  # unknown media type
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "image", "media", 40009),  # over 2 MB
        (b"GIF89a-not-allowed", "image", "media", 40005),  # not a JPG or PNG
    ],
)
def test_sandbox_upload_refuses_bad_media_with_wecoms_errcodes(sb, content, media_type, field, errcode):
    assert upload(sb, content, media_type=media_type, field=field)["errcode"] == errcode


def test_sandbox_upload_needs_a_wecom_token(sb):
    assert upload(sb, image_bytes("PNG"), token="")["errcode"] == 41001
    assert upload(sb, image_bytes("PNG"), token="forged")["errcode"] == 40014


def test_sandbox_unknown_media_is_a_404(sb):
    assert requests.get(f"{sb.url}/_sandbox/media/nope", timeout=5).status_code == 404


# ---- the client and the dispatcher -------------------------------------------------------------


def test_upload_answer_without_media_id_is_an_error(app, sb):
    sb.state.add_fault(Fault(kind="body", path="cgi-bin/media/upload", body='{"errcode": 0}', count=1))
    with pytest.raises(WeChatError, match="缺少 media_id"):
        get_work().upload_media("image", "a.png", image_bytes("PNG"), "image/png")


def queue_code(event_id: int, direction: str = "in") -> None:
    outbox.enqueue(db.session, dedup_key="code:1", channel="app", address="touser:zhangwei",
                   payload=rendered_image("checkin-code", event_id=event_id, direction=direction))
    db.session.commit()


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def images_to(sb, user: str) -> list[dict]:
    return [m for m in sb.state.messages if m["target"] == f"touser:{user}" and m["msgtype"] == "image"]


def test_failed_upload_is_retried_and_the_image_arrives_once(app, sb):
    sb.state.add_fault(Fault(kind="http_503", path="cgi-bin/media/upload", count=2))
    queue_code(7)
    totals = settle(app)
    assert totals["retried"] == 2 and totals["sent"] == 1
    [message] = images_to(sb, "zhangwei")
    media = sb.state.media[message["body"]["image"]["media_id"]]
    assert media.content == render_printed_code(7, "in")
    [row] = rows()
    assert row.status == "sent" and row.attempts == 3
    assert row.payload["image"]["render"] == {"kind": "checkin-code", "event_id": 7, "direction": "in"}


def test_upload_refused_for_good_is_dead_and_admins_are_told(app, sb):
    factories.make_staff(name="张伟", employee_no="A0001", admin=True, wecom_userid="zhangwei")
    sb.state.add_fault(Fault(kind="errcode", path="cgi-bin/media/upload", errcode=40009, errmsg="invalid image size"))
    queue_code(7)
    settle(app)
    row, notice = rows()
    assert row.status == "dead" and row.attempts == 1 and "40009" in row.last_error
    assert notice.dedup_key.startswith(DEAD_NOTICE_PREFIX)
    assert images_to(sb, "zhangwei") == []


def test_an_image_that_cannot_be_rendered_is_dead_at_once_without_uploading(app, sb):
    outbox.enqueue(db.session, dedup_key="code:bad", channel="app", address="touser:lisi",
                   payload={"msgtype": "image", "image": {"render": {"kind": "checkin-code", "event_id": "7; drop"}}})
    outbox.enqueue(db.session, dedup_key="code:unknown", channel="app", address="touser:lisi",
                   payload={"msgtype": "image", "image": {"render": {"kind": "poster-of-the-moon"}}})
    db.session.commit()
    uploads = len(sb.state.media)
    settle(app)
    assert [(row.status, row.attempts) for row in rows()] == [("dead", 1), ("dead", 1)]
    assert "签到码参数无效" in rows()[0].last_error and "未知的图片类型" in rows()[1].last_error
    assert len(sb.state.media) == uploads


def test_rendered_image_of_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        rendered_image("poster-of-the-moon")
