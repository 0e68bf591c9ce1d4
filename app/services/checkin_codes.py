"""Signed sign-in codes: what goes inside a QR code, and the signed link that opens the venue screen.

A token names an event and a direction and carries an HMAC that nobody without ``SECRET_KEY`` can
produce, so a code cannot be guessed for another event or altered from sign-in to sign-out.

- printed: ``p.<event>.<i|o>.<mac>``; short enough (at most 31 characters) to be the ``scene`` of a
  mini-program code too. Accepted during the event's window for its direction.
- live: ``l.<event>.<i|o>.<step>.<mac>`` where ``step`` counts periods of ``LIVE_CODE_PERIOD_SECONDS``
  since the epoch; accepted in its own period and the next one, so a forwarded screenshot stops
  working within two periods (a minute by default).

The QR content is ``CHECKIN_URL_BASE?t=<token>``, an HTTPS address that WeChat's "scan an ordinary
link to open the mini-program" rule routes to the mini-program, which posts it to ``/api/mp/checkins``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import current_app

from app.converters import MAX_ID
from app.errors import AppError, UpstreamUnavailable
from app.models import Event
from app.models.events import DIRECTION_IN, DIRECTION_OUT, METHOD_LIVE, METHOD_PRINTED
from app.wechat import WeChatError, get_miniprogram

MAC_CHARS = 16  # 96 bits of HMAC-SHA256: far beyond online guessing, short enough for a scene
SCENE_MAX_CHARS = 32
_DIRECTION_LETTERS = {DIRECTION_IN: "i", DIRECTION_OUT: "o"}
_LETTER_DIRECTIONS = {letter: direction for direction, letter in _DIRECTION_LETTERS.items()}
_TOKEN = re.compile(r"^(?:p\.(\d{1,10})\.([io])|l\.(\d{1,10})\.([io])\.(\d{1,12}))\.([A-Za-z0-9_-]{16})$")


class InvalidCode(AppError):
    status_code = 400
    code = "invalid_code"
    message = "二维码无效或已被篡改，请扫描活动现场的签到码"


class CodeExpired(AppError):
    status_code = 410
    code = "code_expired"
    message = "二维码已过期，请扫描现场大屏上的最新签到码"


class CheckoutNotNeeded(AppError):
    status_code = 400
    code = "checkout_not_required"
    message = "该活动不需要签退"


class PrintedCodeNotAccepted(AppError):
    status_code = 409
    code = "live_code_required"
    message = "本活动只接受现场大屏上的动态签到码，不能使用印刷签到码；请用现场大屏链接"


class InvalidScreenLink(AppError):
    status_code = 403
    code = "invalid_screen_link"
    message = "大屏链接无效或已过期，请管理员重新生成"


@dataclass(frozen=True)
class ScannedCode:
    event_id: int
    direction: str
    method: str  # METHOD_PRINTED or METHOD_LIVE
    expired: bool = False  # a genuine live code past its time: refused, unless the person is already recorded


def _key(purpose: str) -> bytes:
    """A key for one purpose, derived from SECRET_KEY so a MAC made for one use is useless for another."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, f"wenming:{purpose}:v1".encode(), hashlib.sha256).digest()


def _mac(purpose: str, message: str, chars: int = MAC_CHARS) -> str:
    digest = hmac.new(_key(purpose), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:chars]


def live_period() -> int:
    return int(current_app.config["LIVE_CODE_PERIOD_SECONDS"])


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // live_period())


def printed_token(event_id: int, direction: str) -> str:
    body = f"p.{event_id}.{_DIRECTION_LETTERS[direction]}"
    return f"{body}.{_mac('checkin-code', body)}"


def live_token(event_id: int, direction: str, step: int | None = None) -> str:
    step = current_step() if step is None else step
    body = f"l.{event_id}.{_DIRECTION_LETTERS[direction]}.{step}"
    return f"{body}.{_mac('checkin-code', body)}"


def code_url(token: str) -> str:
    """The QR content: an HTTPS address under CHECKIN_URL_BASE carrying the token."""
    base = current_app.config["CHECKIN_URL_BASE"]
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'t': token})}"


def _token_from(qr: str) -> str:
    """Accept the whole scanned address, the bare token, or a mini-program code's scene."""
    qr = qr.strip()
    if "://" not in qr:
        return qr
    try:
        values = parse_qs(urlsplit(qr).query).get("t") or [""]
    except ValueError as exc:  # e.g. "https://[abc/": an unbalanced IPv6 bracket
        raise InvalidCode() from exc
    return values[0]


def parse_code(qr: str, now: float | None = None) -> ScannedCode:
    """Verify a scanned code; raises ``InvalidCode`` for anything we did not sign. An expired live code
    comes back marked ``expired`` (the caller refuses it with ``CodeExpired``)."""
    token = _token_from(qr)
    match = _TOKEN.match(token)
    if match is None:
        raise InvalidCode()
    body, mac = token.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac("checkin-code", body)):
        raise InvalidCode()
    printed_event, printed_letter, live_event, live_letter, step = match.groups()[:5]
    event_id = int(printed_event or live_event)
    if event_id > MAX_ID:
        raise InvalidCode()  # no such event can exist; the database column would overflow
    if printed_event is not None:
        return ScannedCode(event_id, _LETTER_DIRECTIONS[printed_letter], METHOD_PRINTED)
    step_number = int(step)
    current = current_step(now)
    if step_number > current:
        raise InvalidCode()  # signed by us, yet from the future: a clock we do not trust
    expired = step_number < current - 1
    return ScannedCode(event_id, _LETTER_DIRECTIONS[live_letter], METHOD_LIVE, expired)


def seconds_until_next_step(now: float | None = None) -> float:
    now = time.time() if now is None else now
    period = live_period()
    return period - (now % period)


# ---- the signed link that opens the venue screen ---------------------------------------------------


def screen_signature(event_id: int, direction: str, expires: int) -> str:
    return _mac("screen-link", f"{event_id}.{direction}.{expires}", chars=32)


def verify_screen_link(event_id: int, direction: str, expires: int, signature: str) -> None:
    expected = screen_signature(event_id, direction, expires)
    if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("utf-8")):
        raise InvalidScreenLink()
    if expires < time.time():
        raise InvalidScreenLink("签到时间已结束，大屏链接已失效", code="screen_link_expired")


def public_origin() -> str:
    """Scheme and host of CHECKIN_URL_BASE: the public address of this service."""
    parts = urlsplit(current_app.config["CHECKIN_URL_BASE"])
    return f"{parts.scheme}://{parts.netloc}"


def screen_url(event_id: int, direction: str, expires: int) -> str:
    """The signature rides in the fragment, which browsers never send: it stays out of access logs and
    proxies; the screen's script sends it in a header (see app/screens.py)."""
    query = urlencode({"direction": direction, "expires": expires})
    fragment = urlencode({"sig": screen_signature(event_id, direction, expires)})
    return f"{public_origin()}/screens/events/{event_id}/live?{query}#{fragment}"


def screen_link_for(event: Event, direction: str) -> tuple[str, datetime]:
    """The venue screen's link, valid until codes for ``direction`` stop being accepted."""
    ensure_direction(event, direction)
    expires_at = event.window(direction)[1]
    return screen_url(event.id, direction, int(expires_at.timestamp())), expires_at


def ensure_direction(event: Event, direction: str) -> None:
    if not event.takes_direction(direction):
        raise CheckoutNotNeeded()


def ensure_printable(event: Event, direction: str) -> None:
    """A printed code (poster, address, mini-program code) for ``direction`` would be accepted."""
    ensure_direction(event, direction)
    if not event.accepts_method(METHOD_PRINTED):
        raise PrintedCodeNotAccepted()


def miniprogram_code(event: Event, direction: str) -> bytes:
    """The printed code as a mini-program code image (``wxacode.getUnlimited``; the scene is the token).

    One of the few places that calls WeChat during a request: an admin asked for this image."""
    ensure_printable(event, direction)
    token = printed_token(event.id, direction)  # at most SCENE_MAX_CHARS: ids are capped (see above)
    try:
        return get_miniprogram().get_unlimited_code(token, page=current_app.config["CHECKIN_MINIPROGRAM_PAGE"])
    except WeChatError as exc:
        current_app.logger.warning("wxacode.getUnlimited failed: %s", exc)
        raise UpstreamUnavailable() from exc
