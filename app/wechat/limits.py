"""WeCom's size limits, and the one place that fits text and markdown to them.

WeCom counts content in UTF-8 bytes: text at most 2048, markdown at most 4096. Longer content is split
into numbered parts at line breaks where possible, never inside a UTF-8 character; beyond
``MAX_PARTS`` parts the last one is shortened with a note saying so.
"""

from __future__ import annotations

from typing import Any

TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
MAX_PARTS = 5
TRUNCATED_NOTE = "……（内容过长，已截断）"

_LIMITS = {"text": TEXT_MAX_BYTES, "markdown": MARKDOWN_MAX_BYTES}
# Room kept in every part for its "（2/3）" marker.
_MARKER_RESERVE = 24


def _cut(data: bytes, limit: int) -> int:
    """Where to end a chunk of at most ``limit`` bytes: never inside a character, preferably after a line."""
    if len(data) <= limit:
        return len(data)
    cut = limit
    while cut > 0 and (data[cut] & 0xC0) == 0x80:  # a continuation byte: back up to the character's start
        cut -= 1
    newline = data.rfind(b"\n", limit // 2, cut)
    return newline + 1 if newline != -1 else cut


def split_utf8(content: str, limit: int) -> list[str]:
    """Split ``content`` into pieces of at most ``limit`` UTF-8 bytes without breaking a character."""
    data = content.encode("utf-8")
    pieces: list[str] = []
    while data:
        cut = _cut(data, limit)
        pieces.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    return pieces or [""]


def shorten_utf8(content: str, limit: int, note: str = TRUNCATED_NOTE) -> str:
    """``content`` cut to fit ``limit`` bytes, ending with ``note`` when anything was cut."""
    if len(content.encode("utf-8")) <= limit:
        return content
    room = limit - len(note.encode("utf-8"))
    return split_utf8(content, room)[0].rstrip("\n") + note


def fit_content(content: str, limit: int, max_parts: int = MAX_PARTS) -> list[str]:
    """``content`` as at most ``max_parts`` numbered parts, each within ``limit`` bytes."""
    if len(content.encode("utf-8")) <= limit:
        return [content]
    pieces = split_utf8(content, limit - _MARKER_RESERVE)
    if len(pieces) > max_parts:
        kept = pieces[: max_parts - 1]
        rest = "".join(pieces[max_parts - 1 :])
        pieces = [*kept, shorten_utf8(rest, limit - _MARKER_RESERVE)]
    total = len(pieces)
    return [f"{piece.rstrip(chr(10))}\n（{index}/{total}）" for index, piece in enumerate(pieces, start=1)]


def fit_payload(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A text or markdown payload as one or more payloads within WeCom's limits; others unchanged."""
    msgtype = payload.get("msgtype")
    limit = _LIMITS.get(msgtype) if isinstance(msgtype, str) else None
    body = payload.get(msgtype) if limit else None
    if not isinstance(body, dict) or not isinstance(body.get("content"), str):
        return [payload]
    return [{**payload, msgtype: {**body, "content": part}} for part in fit_content(body["content"], limit)]
