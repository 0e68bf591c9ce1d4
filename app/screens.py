"""Pages for screens and browsers, outside the mini-program API.

- ``/screens/events/<id>/live?direction=…&expires=…#sig=…``: the venue screen. Opened from a signed
  admin link (no login on the screen). The signature is in the fragment, which browsers never send, so
  it appears in no access log; the page's script (``static/screens/live.js``) reads it, keeps it for
  reloads in the tab's ``sessionStorage``, removes it from the address bar, and sends it in
  ``X-Screen-Signature`` to ``…/live/code`` (JSON), redrawing the rotating code before it expires, or
  saying when sign-in opens.
- ``/qr/checkin``: where a sign-in code's HTTPS address lands when scanned outside WeChat: inside the
  WeCom app it signs the person in through WeCom's silent OAuth; elsewhere it says what to do.

Templates are in ``templates/screens/``; scripts and styles are static files (no inline script or
style, so the Content-Security-Policy can forbid them).
"""

from __future__ import annotations

import hmac
import re
import secrets

from apiflask import APIBlueprint
from flask import Response, redirect, render_template, request, session, url_for
from qrcode import QRCode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathImage

from app.errors import AppError
from app.extensions import db
from app.models.base import utcnow
from app.models.events import DIRECTION_OUT, DIRECTIONS
from app.services import checkin_codes, checkins, console_auth, venue_screen
from app.services.events import EventCancelled, get_event
from app.timeutil import format_span

bp = APIBlueprint(
    "screens",
    __name__,
    enable_openapi=False,
    template_folder="templates",
    static_folder="static/screens",
    static_url_path="/screens/static",
)

_EXPIRES = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also accepts "²"
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{1,64}")
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# The screen page's own referrer policy: its address never leaves it (app.security_headers sets the rest).
SCREEN_HEADERS = {**NO_STORE, "Referrer-Policy": "no-referrer"}
# The link's signature is in its fragment (never sent, so never logged); the page's script sends it here.
SIGNATURE_HEADER = "X-Screen-Signature"
OLD_LINK_MESSAGE = "大屏链接格式已更新（签名不再出现在地址中），请管理员重新生成大屏链接后再打开"


def _link_parts() -> tuple[str, int]:
    """Direction and expiry from the link's query; raises ``InvalidScreenLink`` for anything else.

    A signature in the query is an old link (or a copy that put it back): refused, so that no screen
    keeps writing its secret into the access log on every poll."""
    if "sig" in request.args:
        raise checkin_codes.InvalidScreenLink(OLD_LINK_MESSAGE)
    direction = request.args.get("direction", "")
    expires = request.args.get("expires", "")
    if direction not in DIRECTIONS or not _EXPIRES.fullmatch(expires):
        raise checkin_codes.InvalidScreenLink()
    return direction, int(expires)


def _verified_event(event_id: int):
    """The event a signed screen link names; raises ``InvalidScreenLink`` for anything else."""
    direction, expires = _link_parts()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not _SIGNATURE.fullmatch(signature):
        raise checkin_codes.InvalidScreenLink()
    checkin_codes.verify_screen_link(event_id, direction, expires, signature)
    event = get_event(db.session, event_id)
    if event.is_draft:
        raise checkin_codes.InvalidScreenLink("活动尚未发布，请发布后再打开大屏")
    if event.is_cancelled:
        raise EventCancelled()
    return event, direction


def _action(direction: str) -> str:
    return "签退" if direction == DIRECTION_OUT else "签到"


def qr_svg(content: str) -> str:
    qr = QRCode(error_correction=ERROR_CORRECT_M, border=2, image_factory=SvgPathImage)
    qr.add_data(content)
    return qr.make_image().to_string(encoding="unicode")


@bp.get("/screens/events/<id:event_id>/live/code")
def live_code(event_id: int):
    """JSON for the screen's script (signature in ``X-Screen-Signature``): the event, the current code
    and when to fetch the next one, or, before the window opens, when sign-in opens."""
    event, direction = _verified_event(event_id)
    state = venue_screen.screen_state(event, direction)
    body: dict[str, object] = {
        "state": "open" if state.is_open else "waiting",
        "refresh_in": round(state.refresh_in, 3),
        "event": {
            "kind": event.kind,
            "title": event.title,
            "span": format_span(event.starts_at, event.ends_at),
            "location": event.location or "",
        },
    }
    if state.is_open:
        body.update(qr=state.qr, svg=qr_svg(state.qr))
    else:
        now = utcnow()
        body.update(
            opens_at=state.opens_at.isoformat(),
            opens_in=round((state.opens_at - now).total_seconds()),
            message=venue_screen.opening_text(state.opens_at, now, _action(direction)),
        )
    return body, 200, NO_STORE


@bp.get("/screens/events/<id:event_id>/live")
def live_page(event_id: int):
    """The screen's page. It names no event: without the signature (in the fragment, which only the
    script reads) nothing about the event is shown; the script fetches it with the first code."""
    try:
        direction, _expires = _link_parts()
    except AppError as exc:
        return render_template("screens/error.html", message=exc.message), exc.status_code, SCREEN_HEADERS
    html = render_template(
        "screens/live.html",
        action=_action(direction),
        period=checkin_codes.live_period(),
        code_url=url_for("screens.live_code", event_id=event_id, **request.args.to_dict()),
        signature_header=SIGNATURE_HEADER,
    )
    return Response(html, headers=SCREEN_HEADERS)


SCAN_STATE_KEY = "wecom_scan_state"
SCAN_CODE_KEY = "wecom_scan_code"
HEADLINES = {
    "checked_in": "签到成功", "already_checked_in": "已签到", "checked_out": "签退成功",
    "already_checked_out": "已签退", "checkout_updated": "签退时间已更新",
}



@bp.get("/qr/checkin")
def scanned_code():
    """Scanned with WeChat, the rule opens the mini-program and this page is never seen. Scanned with
    the WeCom app, the person is identified through WeCom's silent OAuth and signed in here; anywhere
    else the page says what to do."""
    code = request.args.get("t", "")
    if not console_auth.in_wecom_client(request.headers.get("User-Agent", "")) or not code or len(code) > 512:
        return render_template("screens/landing.html"), 200, SCREEN_HEADERS
    state = secrets.token_urlsafe(24)
    session[SCAN_STATE_KEY], session[SCAN_CODE_KEY] = state, code
    callback = url_for("screens.scanned_in_wecom", _external=True)
    return redirect(console_auth.wecom_oauth_url(callback, state))


def _scan_result(title: str, message: str, status: int, ok: bool = False, answer: dict | None = None):
    html = render_template("screens/scan_result.html", title=title, message=message, ok=ok, answer=answer)
    return html, status, SCREEN_HEADERS


@bp.get("/qr/checkin/wecom")
def scanned_in_wecom():
    """WeCom's redirect back: the state must be this browser's, the code names the member."""
    expected, code = session.pop(SCAN_STATE_KEY, None), session.pop(SCAN_CODE_KEY, None)
    state = request.args.get("state", "")
    if not expected or not code or not hmac.compare_digest(expected.encode(), state.encode()):
        return _scan_result("未能签到", "签到请求已失效或不是从本页发起的，请重新扫码。", 400)
    try:
        userid = console_auth.wecom_userid(request.args.get("code", "")[:512])
        staff = console_auth.member_by_wecom(db.session, userid)
        if staff is None:
            return _scan_result("未能签到", "您的企业微信账号不在本单位花名册中，请联系创建办。", 403)
        # The state is this scan's nonce: a reload of this page records nothing twice.
        result = checkins.sign_in_member(db.session, staff, checkins.Scan(qr=code, nonce=state))
    except AppError as exc:
        db.session.rollback()
        return _scan_result("未能签到", exc.message, exc.status_code)
    answer = result.answer
    return _scan_result(HEADLINES.get(answer["status"], "已记录"), staff.name, 200, ok=True, answer=answer)
