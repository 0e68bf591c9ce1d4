"""Building WeCom callbacks the way WeCom does (wechatpy's crypto), scaled-down limits, and dispatch helpers."""

from __future__ import annotations

import threading
from collections import Counter
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from wechatpy.work.crypto import WeChatCrypto

from app.extensions import db
from app.models import OutboxMessage
from app.models.messaging import STATUS_PENDING
from app.services.dispatcher import Dispatcher
from tests.conftest import WECOM_CORP_ID

WECOM_TOKEN = "callback-token-for-tests"
WECOM_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
AGENT_ID = 1000002

# Settings that make the dispatcher fast in tests: short polls, tiny back-off.
FAST_OUTBOX = dict(
    WECOM_TOKEN=WECOM_TOKEN,
    WECOM_ENCODING_AES_KEY=WECOM_AES_KEY,
    OUTBOX_POLL_SECONDS=0.05,
    OUTBOX_RETRY_BASE_SECONDS=0.05,
    OUTBOX_RETRY_MAX_SECONDS=0.4,
    OUTBOX_WINDOW_MARGIN_SECONDS=0.02,
    WECHAT_TIMEOUT=2.0,
    OUTBOX_LEASE_SECONDS=10.0,
)


def text_message_xml(from_user: str, content: str, msg_id: str, corp_id: str = WECOM_CORP_ID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
    )


def encrypt(plain: str, *, corp_id: str = WECOM_CORP_ID, timestamp: int | None = None, nonce: str = "nonce123") -> dict[str, str]:
    """What WeCom sends: the ciphertext and the query parameters that sign it."""
    crypto = WeChatCrypto(WECOM_TOKEN, WECOM_AES_KEY, corp_id)
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    envelope = ET.fromstring(crypto.encrypt_message(plain, nonce, stamp))
    return {
        "encrypt": envelope.findtext("Encrypt"),
        "msg_signature": envelope.findtext("MsgSignature"),
        "timestamp": stamp,
        "nonce": nonce,
    }


def post_message(client, plain: str, *, tamper: dict[str, str] | None = None, **encrypt_options: Any):
    signed = encrypt(plain, **encrypt_options)
    signed.update(tamper or {})
    body = (
        f"<xml><ToUserName><![CDATA[{WECOM_CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
        f"<Encrypt><![CDATA[{signed['encrypt']}]]></Encrypt></xml>"
    )
    query = {k: signed[k] for k in ("msg_signature", "timestamp", "nonce")}
    return client.post("/wecom/callback", query_string=query, data=body.encode(), content_type="text/xml")


def send_text(client, from_user: str, content: str, msg_id: str = "1001", **options: Any):
    return post_message(client, text_message_xml(from_user, content, msg_id), **options)


def drain(app) -> Counter[str]:
    """Run one dispatcher until nothing is due (``flask outbox dispatch --once``)."""
    return Dispatcher(app).run(once=True)


def settle(app, timeout: float = 10.0) -> Counter[str]:
    """Run a looping dispatcher until no message is pending (retries included), or fail after ``timeout``."""
    stop = threading.Event()
    dispatcher = Dispatcher(app)
    worker = threading.Thread(target=dispatcher.run, kwargs={"stop": stop})
    worker.start()
    deadline = time.monotonic() + timeout
    try:
        while pending_count(app):
            assert time.monotonic() < deadline, "messages still pending after the timeout"
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
    return dispatcher.totals


def pending_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == STATUS_PENDING)
        )


@contextmanager
def sandbox_limits(sandbox, **settings: float):
    """Scale the sandbox's rate limits for one test and put them back afterwards."""
    state = sandbox.state
    before = {name: getattr(state.settings, name) for name in settings}
    with state.lock:
        for name, value in settings.items():
            setattr(state.settings, name, value)
    try:
        yield
    finally:
        with state.lock:
            for name, value in before.items():
                setattr(state.settings, name, value)
