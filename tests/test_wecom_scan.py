"""A sign-in code scanned with the WeCom app: the person is identified through WeCom's silent OAuth
(played by the sandbox) and signed in by the same service, with the same rules and exactly once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import Checkin
from tests import factories
from tests.events_helpers import printed_qr

WECOM_UA = {"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.30 MicroMessenger/7.0.1"}


@pytest.fixture
def member(app, sandbox):
    staff = factories.make_staff(name="周敏", wecom_userid="zhoumin")
    users = [{"userid": "zhoumin", "name": "周敏", "department": "办公室"}]
    assert requests.put(f"{sandbox.url}/_sandbox/wecom/users", json={"users": users}, timeout=5).status_code == 200
    return staff


def scan_in_wecom(client, sandbox, qr: str, userid: str = "zhoumin"):
    """Open the scanned address in WeCom's browser; the sandbox's OAuth answers with a code for ``userid``."""
    path = urlsplit(qr)
    started = client.get(f"{path.path}?{path.query}", headers=WECOM_UA)
    assert started.status_code == 302, started.get_data(as_text=True)
    authorize = urlsplit(started.headers["Location"])
    params = parse_qs(authorize.query)
    assert authorize.path == "/connect/oauth2/authorize" and params["scope"] == ["snsapi_base"]
    code = requests.post(f"{sandbox.url}/_sandbox/wecom/codes", json={"userid": userid}, timeout=5).json()["code"]
    callback = urlsplit(params["redirect_uri"][0])
    return client.get(f"{callback.path}?code={code}&state={params['state'][0]}", headers=WECOM_UA)


def test_member_scanning_with_wecom_is_signed_in_once(client, sandbox, member):
    event = factories.make_event(title="志愿服务：社区清扫", kind="志愿服务")
    first = scan_in_wecom(client, sandbox, printed_qr(event.id))
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "签到成功" in page and "周敏" in page and "志愿服务：社区清扫" in page and "签到时间" in page
    again = scan_in_wecom(client, sandbox, printed_qr(event.id))
    assert "已签到" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Checkin).where(Checkin.staff_id == member.id)) == 1
    assert first.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")


def test_wecom_scan_follows_the_same_rules(client, sandbox, member):
    lecture = factories.make_event(title="道德讲堂：孝", live_code_only=True)
    refused = scan_in_wecom(client, sandbox, printed_qr(lecture.id))
    assert refused.status_code == 403 and "只接受现场大屏上的动态签到码" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 0


def test_someone_not_on_the_roster_is_refused_in_chinese(client, sandbox, member):
    users = [{"userid": "stranger", "name": "陌生人", "department": "外单位"}]
    requests.put(f"{sandbox.url}/_sandbox/wecom/users", json={"users": users}, timeout=5)
    event = factories.make_event(kind="志愿服务")
    response = scan_in_wecom(client, sandbox, printed_qr(event.id), userid="stranger")
    assert response.status_code == 403 and "不在本单位花名册中" in response.get_data(as_text=True)


def test_a_callback_without_this_browsers_state_is_refused(client, sandbox, member):
    code = requests.post(f"{sandbox.url}/_sandbox/wecom/codes", json={"userid": "zhoumin"}, timeout=5).json()["code"]
    response = client.get(f"/qr/checkin/wecom?code={code}&state=forged", headers=WECOM_UA)
    assert response.status_code == 400 and "签到请求已失效" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 0


def test_outside_wecom_the_page_still_says_what_to_do(client, member):
    event = factories.make_event(kind="志愿服务")
    path = urlsplit(printed_qr(event.id))
    response = client.get(f"{path.path}?{path.query}")
    assert response.status_code == 200 and "微信“扫一扫”" in response.get_data(as_text=True)
