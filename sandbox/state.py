"""What the sandbox remembers, and WeChat's documented limits it plays.

One ``SandboxState`` per sandbox app, guarded by one lock since the server is threaded. ``reset()``
forgets everything a test can observe (messages, rate windows, counters, media, faults, spent phone
codes); issued access tokens stay valid until they expire, as WeChat's do.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

# The documented limits.
ROBOT_LIMIT_PER_WINDOW = 20
ROBOT_WINDOW_SECONDS = 60.0
APP_MESSAGE_LIMIT_PER_USER = 30
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
SCENE_MAX_CHARS = 32
TOKEN_TTL_SECONDS = 7200
# media/upload: temporary media live three days; an image is a JPG or PNG of at most 2 MB.
MEDIA_TYPES = ("image", "voice", "video", "file")
MEDIA_TTL_SECONDS = 3 * 24 * 3600
MEDIA_MIN_BYTES = 5
IMAGE_MAX_BYTES = 2 * 1024 * 1024
SIZE_ERRCODES = {"image": 40009, "voice": 40010, "video": 40011, "file": 40006}
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass
class SandboxSettings:
    wechat_appid: str = ""
    wechat_secret: str = ""
    wecom_corp_id: str = ""
    wecom_secret: str = ""
    robot_limit: int = ROBOT_LIMIT_PER_WINDOW
    robot_window: float = ROBOT_WINDOW_SECONDS
    app_message_limit: int = APP_MESSAGE_LIMIT_PER_USER
    app_message_window: float = 60.0
    risky_words: list[str] = field(default_factory=lambda: ["赌博", "诈骗", "毒品"])
    review_words: list[str] = field(default_factory=lambda: ["敏感", "待审"])


@dataclass
class Fault:
    kind: str
    path: str = ""
    count: int | None = None
    errcode: int = -1
    errmsg: str = "system error"
    delay: float = 10.0
    then: str = "drop"
    body: str = ""
    status: int = 200

    def matches(self, path: str) -> bool:
        return path.startswith(self.path) and (self.count is None or self.count > 0)


@dataclass(frozen=True)
class Media:
    media_type: str
    filename: str
    content_type: str
    content: bytes
    expires_at: float


class SandboxState:
    """Everything the sandbox remembers; guarded by one lock since the server is threaded."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (owner, expires_at)
        self.messages: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.robot_sends: dict[str, deque[float]] = defaultdict(deque)
        self.user_sends: dict[str, deque[float]] = defaultdict(deque)
        self.requests: dict[str, int] = defaultdict(int)
        self.rejections: dict[int, int] = defaultdict(int)
        self.media: dict[str, Media] = {}
        self.spent_codes: set[str] = set()  # single-use codes (getuserphonenumber)
        self.sequence = 0

    def reset(self) -> None:
        """Forget messages, rate windows, counters, media, faults and spent codes (tokens stay valid)."""
        with self.lock:
            self.messages.clear()
            self.faults.clear()
            self.robot_sends.clear()
            self.user_sends.clear()
            self.requests.clear()
            self.rejections.clear()
            self.media.clear()
            self.spent_codes.clear()

    def count_request(self, path: str) -> None:
        with self.lock:
            self.requests[path] += 1

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(path):
                    if fault.count is not None:
                        fault.count -= 1
                    return fault
        return None

    def issue_token(self, owner: str) -> str:
        token = secrets.token_hex(24)
        with self.lock:
            self.tokens[token] = (owner, time.monotonic() + TOKEN_TTL_SECONDS)
        return token

    def token_owner(self, token: str | None) -> str | None:
        with self.lock:
            entry = self.tokens.get(token or "")
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def spend_code(self, code: str) -> bool:
        """True the first time ``code`` is spent, False ever after."""
        with self.lock:
            if code in self.spent_codes:
                return False
            self.spent_codes.add(code)
            return True

    def within_limit(self, sends: dict[str, deque[float]], key: str, limit: int, window: float) -> bool:
        """Sliding window: at most ``limit`` accepted sends in any ``window`` seconds."""
        now = time.monotonic()
        with self.lock:
            stamps = sends[key]
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= limit:
                return False
            stamps.append(now)
            return True

    def record(self, channel: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.sequence += 1
            message = {
                "id": self.sequence,
                "channel": channel,
                "target": target,
                "msgtype": body.get("msgtype"),
                "body": body,
                "received_at": time.time(),
            }
            self.messages.append(message)
        return message

    def select_messages(self, channel: str | None, target: str | None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (channel is None or m["channel"] == channel) and (target is None or m["target"] == target)
            ]

    def reject(self, errcode: int) -> None:
        with self.lock:
            self.rejections[errcode] += 1

    def store_media(self, media: Media) -> str:
        media_id = f"sandbox-media-{secrets.token_hex(12)}"
        with self.lock:
            self.media[media_id] = media
        return media_id

    def stored_media(self, media_id: str) -> Media | None:
        with self.lock:
            return self.media.get(media_id)

    def live_media(self, media_id: object) -> Media | None:
        media = self.stored_media(media_id) if isinstance(media_id, str) else None
        return media if media is not None and media.expires_at > time.monotonic() else None


def current_state() -> SandboxState:
    """The state of the sandbox app handling this request."""
    return current_app.extensions["sandbox_state"]
