"""Receiving one decrypted callback message: record it once (by MsgId), run its command, queue the reply.

Everything happens in one transaction: the de-duplication row, the command's changes (an announcement
and its group pushes) and the reply to the sender. A WeCom retry of the same MsgId finds the row
and runs nothing. Nothing here calls WeCom; the dispatcher delivers the reply after the callback
has answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import InboundMessage
from app.models.base import utcnow
from app.models.bot import INBOUND_DONE, INBOUND_FAILED, INBOUND_IGNORED
from app.models.messaging import CHANNEL_APP
from app.services import outbox
from app.services.sql import insert_ignoring_conflicts
from bot import builtin_commands, campaign_commands, selection_commands  # noqa: F401  (commands register on import)
from bot.commands import dispatch
from bot.crypto import CallbackMalformed

logger = logging.getLogger(__name__)

MAX_CONTENT = 4000


@dataclass(frozen=True)
class IncomingMessage:
    msg_id: str
    from_user: str
    msg_type: str
    content: str | None

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> IncomingMessage:
        from_user, msg_type = fields.get("FromUserName", ""), fields.get("MsgType", "")
        if not from_user or not msg_type or len(from_user) > 64:
            raise CallbackMalformed()
        # Events (entering the app, menu clicks) carry no MsgId; WeCom retries them with the same CreateTime.
        msg_id = fields.get("MsgId") or f"{msg_type}:{fields.get('Event', '')}:{from_user}:{fields.get('CreateTime', '')}"
        content = fields.get("Content") if msg_type == "text" else None
        return cls(msg_id=msg_id[:128], from_user=from_user, msg_type=msg_type[:32], content=content)


def _record(session: Session, message: IncomingMessage, outcome: str) -> int | None:
    values = dict(
        msg_id=message.msg_id,
        from_user=message.from_user,
        msg_type=message.msg_type,
        content=(message.content or "")[:MAX_CONTENT] or None,
        outcome=outcome,
        received_at=utcnow(),
    )
    return insert_ignoring_conflicts(session, InboundMessage, values, ["msg_id"])


def _reply(session: Session, message: IncomingMessage, payloads: list[dict]) -> None:
    """Queue the replies in order (the dispatcher sends a target's rows by due time, then id)."""
    for number, payload in enumerate(payloads, start=1):
        outbox.enqueue(
            session,
            dedup_key=f"bot-reply:{message.msg_id}" + (f":{number}" if number > 1 else ""),
            channel=CHANNEL_APP,
            address=f"touser:{message.from_user}",
            payload=payload,
        )


def receive_message(session: Session, message: IncomingMessage) -> bool:
    """Run ``message`` once. Returns False when this MsgId was received before (nothing runs)."""
    outcome = INBOUND_DONE if message.msg_type == "text" else INBOUND_IGNORED
    inbound_id = _record(session, message, outcome)
    if inbound_id is None:
        session.rollback()
        logger.info("wecom message %s already received; ignoring the retry", message.msg_id)
        return False
    if message.msg_type != "text" or not (message.content or "").strip():
        session.commit()
        return True
    try:
        result = dispatch(session, message.from_user, message.content or "", msg_id=message.msg_id, now=utcnow())
        session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id).values(command=result.command))
        _reply(session, message, result.replies)
        session.commit()
    except Exception:
        session.rollback()
        logger.exception("command failed for wecom message %s", message.msg_id)
        _record(session, message, INBOUND_FAILED)
        _reply(session, message, [outbox.text("抱歉，处理您的消息时出错了，请稍后再试；如多次出现请联系管理员。")])
        session.commit()
    return True
