"""Pages for screens and browsers, outside the mini-program API.

- ``/screens/events/<id>/live``: the venue screen. Opened from a signed admin link (no login on the
  screen); its script (``static/screens/live.js``) fetches ``…/live/code`` (JSON) and redraws the
  rotating code before it expires, or says when sign-in opens.
- ``/qr/checkin``: where a sign-in code's HTTPS address lands when scanned outside WeChat.

Templates are in ``templates/screens/``; scripts and styles are static files (no inline script or
style, so the Content-Security-Policy can forbid them).
"""

from __future__ import annotations

import re

from apiflask import APIBlueprint
from flask import Response, render_template, request
from qrcode import QRCode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathImage

from app.errors import AppError
from app.extensions import db
from app.models.base import utcnow
from app.models.events import DIRECTION_OUT, DIRECTIONS, EVENT_CANCELLED, EVENT_DRAFT
from app.services import checkin_codes, venue_screen
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


def _verified_event(event_id: int):
    """The event a signed screen link names; raises ``InvalidScreenLink`` for anything else."""
    direction = request.args.get("direction", "")
    expires = request.args.get("expires", "")
    signature = request.args.get("sig", "")
    if direction not in DIRECTIONS or not _EXPIRES.fullmatch(expires) or not _SIGNATURE.fullmatch(signature):
        raise checkin_codes.InvalidScreenLink()
    checkin_codes.verify_screen_link(event_id, direction, int(expires), signature)
    event = get_event(db.session, event_id)
    if event.status == EVENT_DRAFT:
        raise checkin_codes.InvalidScreenLink("活动尚未发布，请发布后再打开大屏")
    if event.status == EVENT_CANCELLED:
        raise EventCancelled()
    return event, direction


def qr_svg(content: str) -> str:
    qr = QRCode(error_correction=ERROR_CORRECT_M, border=2, image_factory=SvgPathImage)
    qr.add_data(content)
    return qr.make_image().to_string(encoding="unicode")


@bp.get("/screens/events/<id:event_id>/live/code")
def live_code(event_id: int):
    """JSON for the screen's script: the current code and when to fetch the next one, or, before the
    window opens, when sign-in opens."""
    event, direction = _verified_event(event_id)
    state = venue_screen.screen_state(event, direction)
    body: dict[str, object] = {"state": "open" if state.is_open else "waiting", "refresh_in": round(state.refresh_in, 3)}
    if state.is_open:
        body.update(qr=state.qr, svg=qr_svg(state.qr))
    else:
        now = utcnow()
        body.update(
            opens_at=state.opens_at.isoformat(),
            opens_in=round((state.opens_at - now).total_seconds()),
            message=venue_screen.opening_text(state.opens_at, now),
        )
    return body, 200, NO_STORE


@bp.get("/screens/events/<id:event_id>/live")
def live_page(event_id: int):
    try:
        event, direction = _verified_event(event_id)
    except AppError as exc:
        return render_template("screens/error.html", message=exc.message), exc.status_code, NO_STORE
    html = render_template(
        "screens/live.html",
        event=event,
        action="签退" if direction == DIRECTION_OUT else "签到",
        span=format_span(event.starts_at, event.ends_at),
        period=checkin_codes.live_period(),
        code_url=request.full_path.replace("/live?", "/live/code?", 1),
    )
    return Response(html, headers=NO_STORE)


@bp.get("/qr/checkin")
def scanned_outside_wechat():
    return render_template("screens/landing.html"), 200, NO_STORE
