"""What the venue screen shows at a moment: the rotating code while codes are accepted, or when
sign-in opens. The signed link itself is checked in ``checkin_codes``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from app.calendar_cn import WEEKDAYS
from app.models import Event
from app.services import checkin_codes
from app.timeutil import to_local

# Before the window opens the screen asks again at the opening moment, and at least this often, so a
# screen switched on early follows an edited event.
WAITING_POLL_SECONDS = 60


@dataclass(frozen=True)
class ScreenState:
    is_open: bool
    opens_at: datetime
    closes_at: datetime
    qr: str | None  # the live code's address while open
    refresh_in: float  # seconds until the screen should ask again


def opening_text(opens_at: datetime, now: datetime, action: str = "签到") -> str:
    """``签到将于 12月03日（周四）14:00 开始``; the day is written ``今天`` when it is today."""
    local, today = to_local(opens_at), to_local(now).date()
    if local.date() == today:
        return f"{action}将于今天 {local:%H:%M} 开始"
    return f"{action}将于 {local:%m月%d日}（周{WEEKDAYS[local.weekday()]}）{local:%H:%M} 开始"


def screen_state(event: Event, direction: str, now: float | None = None) -> ScreenState:
    now = time.time() if now is None else now
    opens_at, closes_at = event.window(direction)
    until_open = opens_at.timestamp() - now
    if until_open > 0:
        return ScreenState(False, opens_at, closes_at, None, min(until_open + 0.2, WAITING_POLL_SECONDS))
    url = checkin_codes.code_url(checkin_codes.live_token(event.id, direction, checkin_codes.current_step(now)))
    return ScreenState(True, opens_at, closes_at, url, checkin_codes.seconds_until_next_step(now))
