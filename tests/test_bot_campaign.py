"""The campaign commands end to end: an encrypted message in, the reply read back from the sandbox."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import requests
import zxingcpp
from PIL import Image

from app.extensions import db
from app.models.base import utcnow
from app.models.wish import NOTE_PASSED
from app.services import audit, checkins, events, images, wishes
from app.services.posters import render_printed_code
from app.timeutil import format_local, local_today
from tests import factories
from tests.bot_helpers import FAST_OUTBOX, drain, send_text
from tests.events_helpers import printed_qr
from tests.wish_helpers import image_bytes, make_wish


@pytest.fixture
def config_overrides():
    return dict(FAST_OUTBOX)


@pytest.fixture
def admin(app):
    return factories.make_staff(name="张伟", employee_no="A0001", department="办公室", admin=True, wecom_userid="zhangwei")


@pytest.fixture
def member(app):
    return factories.make_staff(name="王芳", employee_no="A0002", department="办公室", wecom_userid="wangfang")


_sequence = iter(range(10_000, 99_999))


def ask(app, client, sandbox, user: str, text: str) -> list[dict]:
    """Send ``text`` as ``user`` through the encrypted callback, deliver the outbox, return what ``user`` got."""
    drain(app)  # what earlier steps queued (a thank-you, a cancellation notice) is not the reply
    before = len(sandbox.state.messages)
    assert send_text(client, user, text, msg_id=str(next(_sequence))).status_code == 200
    drain(app)
    return [m for m in sandbox.state.messages[before:] if m["target"] == f"touser:{user}"]


def ask_text(app, client, sandbox, user: str, text: str) -> str:
    [message] = ask(app, client, sandbox, user, text)
    assert message["msgtype"] == "text"
    return message["body"]["text"]["content"]


def sign_in_and_out(event, person, admin, minutes: int) -> None:
    checkins.manual_check_in(db.session, event.id, person, "in", "补签", admin, at=event.starts_at)
    checkins.manual_check_in(db.session, event.id, person, "out", "补签", admin,
                             at=event.starts_at + timedelta(minutes=minutes))


# ---- 活动 ----------------------------------------------------------------------------------------


def test_member_asking_events_gets_upcoming_published_events_soonest_first_with_own_registration(
    app, client, sandbox, member
):
    now = utcnow()
    later = factories.make_event(title="植树护绿行动", kind="植树护绿", location="滨江公园", starts_at=now + timedelta(days=3))
    sooner = factories.make_event(
        title="道德讲堂：孝老爱亲", location="三楼会议室", starts_at=now + timedelta(days=1),
        registration_required=True, capacity=30,
    )
    mine = factories.make_event(title="敬老院志愿服务", kind="志愿服务", starts_at=now + timedelta(days=2),
                                registration_required=True)
    events.register(db.session, mine.id, member)
    factories.make_event(title="草稿活动", starts_at=now + timedelta(days=1), publish=False)
    cancelled = factories.make_event(title="已取消的活动", starts_at=now + timedelta(days=1))
    events.cancel_event(db.session, cancelled.id, audit.Actor.system(), "天气原因")
    factories.make_event(title="已结束的活动", starts_at=now - timedelta(days=1))

    text = ask_text(app, client, sandbox, "wangfang", "活动")

    assert "草稿活动" not in text and "已取消的活动" not in text and "已结束的活动" not in text
    assert text.index("孝老爱亲") < text.index("敬老院志愿服务") < text.index("植树护绿行动")
    assert f"时间：{format_local(sooner.starts_at, '%m月%d日')}" in text
    assert f"{format_local(sooner.starts_at, '%H:%M')}–{format_local(sooner.ends_at, '%H:%M')}" in text
    assert "地点：三楼会议室" in text and "地点：滨江公园" in text and "地点：另行通知" in text
    assert "报名：报名中（0/30），请在小程序中报名" in text
    assert "报名：您已报名" in text
    assert "报名：无需报名，直接到场签到" in text
    assert f"编号 {later.id}" in text


def test_events_shows_a_full_event_and_a_signed_in_one(app, client, sandbox, admin, member):
    full = factories.make_event(title="满员讲座", starts_at=utcnow() + timedelta(days=1),
                                registration_required=True, capacity=1)
    events.register(db.session, full.id, admin)
    running = factories.make_event(title="正在进行的活动", starts_at=utcnow() - timedelta(minutes=5))
    checkins.manual_check_in(db.session, running.id, member, "in", "忘带手机", admin)

    text = ask_text(app, client, sandbox, "wangfang", "/events")
    assert "满员讲座" in text and "报名：名额已满（1/1）" in text
    assert "正在进行的活动" in text and "报名：您已签到" in text


def test_events_under_way_say_what_is_true_of_registration(app, client, sandbox, admin, member):
    import re

    factories.make_event(title="正在进行的讲座", starts_at=utcnow() - timedelta(minutes=5))
    factories.make_event(title="需要报名的志愿服务", kind="志愿服务", starts_at=utcnow() - timedelta(minutes=5),
                         registration_required=True, capacity=10)
    factories.make_event(title="明天的讲座", starts_at=utcnow() + timedelta(days=1))

    text = ask_text(app, client, sandbox, "wangfang", "活动")
    blocks = {block.split("（")[0]: block for block in re.split(r"\n\d+\. ", text.split("\n", 1)[1].removeprefix("1. "))}
    assert "报名：进行中" not in text
    assert "（进行中）" in blocks["正在进行的讲座"] and "报名：无需报名，直接到场签到" in blocks["正在进行的讲座"]
    assert "（进行中）" in blocks["需要报名的志愿服务"] and "报名：报名已结束" in blocks["需要报名的志愿服务"]
    assert "（进行中）" not in blocks["明天的讲座"] and "报名：无需报名，直接到场签到" in blocks["明天的讲座"]


def test_events_with_nothing_upcoming_says_so(app, client, sandbox, member):
    assert ask_text(app, client, sandbox, "wangfang", "活动") == "近期没有安排活动。"


# ---- 心愿 ----------------------------------------------------------------------------------------


def test_member_asking_wishes_gets_open_wishes_masked_and_most_urgent_first(app, client, sandbox, admin, member):
    today = local_today()
    make_wish(title="冬天的棉被", beneficiary_name="李秀英", deadline=today + timedelta(days=20))
    make_wish(title="孩子的新书包", beneficiary_name="王小明", deadline=today + timedelta(days=5))
    taken = make_wish(title="已被认领的心愿", beneficiary_name="赵四", deadline=today + timedelta(days=1))
    wishes.claim_wish(db.session, taken.id, admin)
    make_wish(title="草稿心愿", publish=False, deadline=today + timedelta(days=1))

    text = ask_text(app, client, sandbox, "wangfang", "心愿")

    assert text.index("孩子的新书包") < text.index("冬天的棉被")
    assert "王**" in text and "李**" in text and "红旗村" in text
    assert "王小明" not in text and "李秀英" not in text and "红旗村三组" not in text and "1390000" not in text
    assert "已被认领的心愿" not in text and "草稿心愿" not in text
    assert f"（{(today + timedelta(days=5)):%m月%d日}截止）" in text


def test_wishes_with_none_open_says_so(app, client, sandbox, member):
    assert ask_text(app, client, sandbox, "wangfang", "心愿") == "目前没有待认领的微心愿。"


# ---- 我的 ----------------------------------------------------------------------------------------


def test_member_asking_me_gets_sign_ins_volunteer_hours_and_claims(app, client, sandbox, admin, member):
    today = local_today()
    service = factories.make_event(title="社区清扫志愿服务", kind="志愿服务", starts_at=utcnow() - timedelta(hours=5),
                                   checkout_required=True)
    sign_in_and_out(service, member, admin, minutes=100)  # 1.5 h credited (whole half-hours)
    lecture = factories.make_event(title="道德讲堂：诚信", starts_at=utcnow() - timedelta(hours=1))
    checkins.manual_check_in(db.session, lecture.id, member, "in", "补签", admin)
    others = factories.make_event(title="别人的活动", starts_at=utcnow() - timedelta(hours=1), checkout_required=True)
    sign_in_and_out(others, admin, admin, minutes=60)

    active = make_wish(title="一箱牛奶")
    wishes.claim_wish(db.session, active.id, member)
    done = make_wish(title="一盏台灯")
    wishes.claim_wish(db.session, done.id, member)
    photo = images.clean_image(io.BytesIO(image_bytes()), max_bytes=10_000_000, max_pixels=10_000_000)
    wishes.store_proof(db.session, done.id, member, "已送到", NOTE_PASSED, [photo])
    wishes.confirm_wish(db.session, done.id, audit.Actor.staff(admin.id))

    text = ask_text(app, client, sandbox, "wangfang", "我的")

    assert text.startswith("王芳，您的参与情况：")
    assert f"{today.year}年签到 2 次，志愿服务 1.5 小时（累计 1.5 小时）" in text
    assert "道德讲堂：诚信" in text and "社区清扫志愿服务" in text and "别人的活动" not in text
    assert "进行中的微心愿 1 个" in text and "一箱牛奶（已认领" in text
    assert "已完成的微心愿 1 个" in text


def test_newcomer_asking_me_gets_zeros(app, client, sandbox, member):
    text = ask_text(app, client, sandbox, "wangfang", "/me")
    assert "签到 0 次，志愿服务 0 小时（累计 0 小时）" in text
    assert "没有进行中的微心愿。" in text and "已完成的微心愿 0 个。" in text


# ---- 统计 ----------------------------------------------------------------------------------------


def test_admin_asking_stats_gets_participation_by_department(app, client, sandbox, admin, member):
    colleague = factories.make_staff(name="刘洋", employee_no="A0003", department="办公室")
    factories.make_staff(name="陈静", employee_no="B0001", department="财务科")
    factories.make_staff(name="周强", employee_no="B0002", department="财务科")
    service = factories.make_event(title="志愿服务", kind="志愿服务", starts_at=utcnow() - timedelta(hours=3),
                                   checkout_required=True)
    sign_in_and_out(service, member, admin, minutes=120)
    sign_in_and_out(service, colleague, admin, minutes=60)
    lecture = factories.make_event(title="讲堂", starts_at=utcnow() - timedelta(hours=1))
    checkins.manual_check_in(db.session, lecture.id, member, "in", "补签", admin)

    text = ask_text(app, client, sandbox, "zhangwei", "统计")
    assert f"{format_local(utcnow(), '%Y年%m月')}各部门参与情况" in text
    assert "· 办公室：2/3 人参与（67%），签到 3 次，志愿 3 小时" in text
    assert "· 财务科：0/2 人参与（0%），签到 0 次，志愿 0 小时" in text
    assert text.index("办公室") < text.index("财务科")
    assert "合计：2/5 人参与，签到 3 次，志愿 3 小时" in text

    assert f"{format_local(utcnow(), '%Y年')}各部门参与情况" in ask_text(app, client, sandbox, "zhangwei", "统计 本年")


def test_stats_leave_out_events_of_another_period(app, client, sandbox, admin, member):
    old = factories.make_event(title="去年的活动", starts_at=utcnow() - timedelta(days=400))
    checkins.manual_check_in(db.session, old.id, member, "in", "补签", admin)
    assert ask_text(app, client, sandbox, "zhangwei", "统计 本年").endswith("还没有签到记录。")


def test_stats_and_digest_count_only_published_events_and_agree(app, client, sandbox, admin, member):
    from app.services import digest, stats
    from app.timeutil import local_days

    held = factories.make_event(title="讲堂", starts_at=utcnow() - timedelta(hours=1))
    checkins.manual_check_in(db.session, held.id, member, "in", "补签", admin)
    called_off = factories.make_event(title="取消的活动", starts_at=utcnow() - timedelta(hours=2))
    checkins.manual_check_in(db.session, called_off.id, admin, "in", "补签", admin)
    events.cancel_event(db.session, called_off.id, audit.Actor.staff(admin.id), "天气原因")

    text = ask_text(app, client, sandbox, "zhangwei", "统计")
    assert "合计：1/2 人参与，签到 1 次，志愿 0 小时" in text

    today = local_today()
    week = digest.build_digest(db.session, today + timedelta(days=7 - today.weekday()))
    start, end = local_days(today - timedelta(days=today.weekday()), today - timedelta(days=today.weekday() - 6))
    assert week.participation == [row for row in stats.participation_by_department(db.session, start, end) if row.sign_ins]
    assert sum(row.sign_ins for row in week.participation) == 1


def test_member_asking_stats_is_refused(app, client, sandbox, member):
    assert ask_text(app, client, sandbox, "wangfang", "统计 本月") == "「统计」仅限管理员使用。"


# ---- 签到码 --------------------------------------------------------------------------------------


def uploaded(sandbox, media_id: str) -> bytes:
    response = requests.get(f"{sandbox.url}/_sandbox/media/{media_id}", timeout=5)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    return response.content


def test_admin_asking_checkin_code_gets_the_printed_code_as_an_uploaded_png(app, client, sandbox, admin):
    event = factories.make_event(title="道德讲堂：敬业", location="一楼报告厅")

    caption, image = ask(app, client, sandbox, "zhangwei", f"签到码 {event.id}")

    assert caption["msgtype"] == "text"
    assert f"活动「道德讲堂：敬业」的签到码（编号 {event.id}）" in caption["body"]["text"]["content"]
    assert "地点：一楼报告厅" in caption["body"]["text"]["content"]
    assert image["msgtype"] == "image" and set(image["body"]["image"]) == {"media_id"}
    png = uploaded(sandbox, image["body"]["image"]["media_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == printed_qr(event.id, "in")
    assert png == render_printed_code(event.id, "in")


def test_admin_asking_checkout_code_gets_the_sign_out_code(app, client, sandbox, admin):
    event = factories.make_event(title="社区志愿服务", kind="志愿服务", checkout_required=True)
    caption, image = ask(app, client, sandbox, "zhangwei", f"/code {event.id} 签退")
    assert "的签退码" in caption["body"]["text"]["content"]
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(uploaded(sandbox, image["body"]["image"]["media_id"]))))
    assert code.text == printed_qr(event.id, "out")


def test_checkout_code_for_an_event_without_sign_out_is_refused(app, client, sandbox, admin):
    event = factories.make_event(title="讲座")
    assert ask_text(app, client, sandbox, "zhangwei", f"签到码 {event.id} 签退") == "活动「讲座」不需要签退，没有签退码。"


def test_checkin_code_for_a_live_code_only_event_is_refused_and_points_to_the_screen(app, client, sandbox, admin):
    event = factories.make_event(title="道德讲堂：诚信", live_code_only=True)
    uploads = len(sandbox.state.media)
    text = ask_text(app, client, sandbox, "zhangwei", f"签到码 {event.id}")
    assert text.startswith("活动「道德讲堂：诚信」只接受现场大屏上的动态码，没有可打印的签到码。")
    assert len(sandbox.state.media) == uploads


def test_checkin_code_for_an_unknown_event_is_refused_in_chinese(app, client, sandbox, admin):
    uploads = len(sandbox.state.media)
    text = ask_text(app, client, sandbox, "zhangwei", "签到码 424242")
    assert text.startswith("没有编号为 424242 的活动。")
    assert len(sandbox.state.media) == uploads


def test_checkin_code_for_a_cancelled_event_is_refused(app, client, sandbox, admin):
    event = factories.make_event(title="取消的讲座")
    events.cancel_event(db.session, event.id, audit.Actor.system(), "改期")
    assert ask_text(app, client, sandbox, "zhangwei", f"签到码 {event.id}") == "活动「取消的讲座」已取消，不再提供签到码。"


def test_checkin_code_for_a_draft_says_it_works_once_published(app, client, sandbox, admin):
    event = factories.make_event(title="筹备中的活动", publish=False)
    caption, image = ask(app, client, sandbox, "zhangwei", f"签到码 {event.id}")
    assert "活动尚未发布，发布后此码才能使用" in caption["body"]["text"]["content"]
    assert image["msgtype"] == "image"


def test_member_asking_checkin_code_is_refused_and_nothing_is_uploaded(app, client, sandbox, member):
    event = factories.make_event()
    uploads = len(sandbox.state.media)
    assert ask_text(app, client, sandbox, "wangfang", f"签到码 {event.id}") == "「签到码」仅限管理员使用。"
    assert len(sandbox.state.media) == uploads


def test_checkin_code_with_bad_arguments_answers_usage(app, client, sandbox, admin):
    assert ask_text(app, client, sandbox, "zhangwei", "签到码 第一场").startswith("用法：签到码 <活动编号> [签到|签退]")
