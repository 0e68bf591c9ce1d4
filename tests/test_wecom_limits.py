"""Text and markdown fitted to WeCom's byte limits without breaking a UTF-8 character."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import outbox
from app.wechat.limits import (
    MARKDOWN_MAX_BYTES,
    MAX_PARTS,
    TEXT_MAX_BYTES,
    TRUNCATED_NOTE,
    fit_content,
    fit_payload,
    shorten_utf8,
    split_utf8,
)


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_split_never_breaks_a_character_and_loses_nothing():
    content = "a" + "文明😀" * 700  # 1-, 3- and 4-byte characters, so cuts land mid-character
    pieces = split_utf8(content, 100)
    assert all(size(p) <= 100 for p in pieces)
    assert "".join(pieces) == content


def test_split_prefers_line_breaks():
    content = "\n".join(f"第{i}行：" + "字" * 20 for i in range(40))
    pieces = split_utf8(content, 500)
    assert all(piece.endswith("\n") for piece in pieces[:-1])


def test_content_within_the_limit_is_untouched():
    assert fit_content("字" * 682, TEXT_MAX_BYTES) == ["字" * 682]  # 2046 bytes


def test_long_text_becomes_numbered_parts_within_the_limit():
    parts = fit_content("字" * 1500, TEXT_MAX_BYTES)
    assert len(parts) == 3 and all(size(p) <= TEXT_MAX_BYTES for p in parts)
    assert [p.rsplit("\n", 1)[1] for p in parts] == ["（1/3）", "（2/3）", "（3/3）"]


def test_very_long_markdown_is_shortened_with_a_note():
    parts = fit_content("段落\n" * 20000, MARKDOWN_MAX_BYTES)
    assert len(parts) == MAX_PARTS and all(size(p) <= MARKDOWN_MAX_BYTES for p in parts)
    assert TRUNCATED_NOTE in parts[-1]


def test_shorten_cuts_at_a_character_boundary():
    shortened = shorten_utf8("😀" * 100, 50)
    assert size(shortened) <= 50 and shortened.endswith(TRUNCATED_NOTE)


def test_other_message_types_pass_through():
    payload = {"msgtype": "image", "image": {"media_id": "m"}}
    assert fit_payload(payload) == [payload]


def test_enqueueing_long_text_queues_ordered_parts_once(app):
    assert outbox.enqueue(db.session, dedup_key="long", channel="app", address="touser:a",
                          payload=outbox.text("字" * 1500))
    assert not outbox.enqueue(db.session, dedup_key="long", channel="app", address="touser:a",
                              payload=outbox.text("字" * 1500))
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.dedup_key for r in rows] == ["long", "long#2", "long#3"]
    assert all(size(r.payload["text"]["content"]) <= TEXT_MAX_BYTES for r in rows)
