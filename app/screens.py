"""Pages for screens and browsers, outside the mini-program API.

- ``/screens/events/<id>/live``: the venue screen. Opened from a signed admin link (no login on the
  screen); its script fetches ``…/live/code`` (JSON) and redraws the rotating code before it expires.
- ``/qr/checkin``: where a sign-in code's HTTPS address lands when scanned outside WeChat.
"""

from __future__ import annotations

import re

from apiflask import APIBlueprint
from flask import Response, render_template_string, request
from qrcode import QRCode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathImage

from app.errors import AppError
from app.extensions import db
from app.models.events import DIRECTION_OUT, DIRECTIONS, EVENT_CANCELLED, EVENT_DRAFT
from app.services import checkin_codes
from app.services.events import EventCancelled, get_event
from app.timeutil import format_span

bp = APIBlueprint("screens", __name__, enable_openapi=False)

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
    """JSON for the screen's script: the current code and when to fetch the next one."""
    event, direction = _verified_event(event_id)
    url = checkin_codes.code_url(checkin_codes.live_token(event.id, direction))
    refresh_in = checkin_codes.seconds_until_next_step()
    return {"qr": url, "svg": qr_svg(url), "refresh_in": round(refresh_in, 3)}, 200, NO_STORE


@bp.get("/screens/events/<id:event_id>/live")
def live_page(event_id: int):
    try:
        event, direction = _verified_event(event_id)
    except AppError as exc:
        return render_template_string(ERROR_PAGE, message=exc.message), exc.status_code, NO_STORE
    action = "签退" if direction == DIRECTION_OUT else "签到"
    html = render_template_string(
        LIVE_PAGE,
        event=event,
        action=action,
        span=format_span(event.starts_at, event.ends_at),
        period=checkin_codes.live_period(),
        code_url=request.full_path.replace("/live?", "/live/code?", 1),
    )
    return Response(html, headers=NO_STORE)


@bp.get("/qr/checkin")
def scanned_outside_wechat():
    return render_template_string(LANDING_PAGE), 200, NO_STORE


ERROR_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无法显示签到码</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;text-align:center;padding:15vh 2em;color:#333}</style>
</head><body><h1>无法显示签到码</h1><p>{{ message }}</p></body></html>"""

LANDING_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>活动签到</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;text-align:center;padding:15vh 2em;color:#333}</style>
</head><body><h1>活动签到</h1><p>请使用<strong>微信“扫一扫”</strong>扫描签到码，将自动打开“文明创建助手”小程序完成签到。</p></body></html>"""

LIVE_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ action }}：{{ event.title }}</title>
<style>
 body{margin:0;font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#b22222;color:#fff;text-align:center}
 header{padding:2vh 2vw}
 h1{font-size:5vh;margin:1vh 0}
 .meta{font-size:2.6vh;opacity:.9}
 #code{background:#fff;display:inline-block;padding:2vh;border-radius:1vh;margin-top:2vh}
 #code svg{width:60vh;height:60vh;display:block}
 .hint{font-size:3vh;margin-top:2vh}
 #status{font-size:2.2vh;margin-top:1vh;opacity:.85}
 #status.error{color:#ffe08a;opacity:1}
</style></head>
<body>
<header><div class="meta">{{ event.kind }}</div><h1>{{ event.title }}</h1>
<div class="meta">{{ span }}{% if event.location %}　{{ event.location }}{% endif %}</div></header>
<div id="code" data-qr="" aria-label="签到码"></div>
<div class="hint">微信扫一扫 · {{ action }}（签到码每 {{ period }} 秒更新，截图转发无效）</div>
<div id="status">正在获取签到码……</div>
<script>
(function () {
  var codeUrl = {{ code_url|tojson }};
  var box = document.getElementById("code"), status = document.getElementById("status");
  var nextAt = 0;
  function show(text, isError) { status.textContent = text; status.className = isError ? "error" : ""; }
  function tick() {
    var left = Math.max(0, Math.ceil((nextAt - Date.now()) / 1000));
    if (nextAt && status.className !== "error") { show(left + " 秒后更新"); }
  }
  function load() {
    fetch(codeUrl, {cache: "no-store"}).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      if (!answer.ok) {
        var message = (answer.body.error && answer.body.error.message) || "无法获取签到码";
        box.innerHTML = ""; box.setAttribute("data-qr", ""); show(message, true);
        setTimeout(load, 10000);
        return;
      }
      box.innerHTML = answer.body.svg;
      box.setAttribute("data-qr", answer.body.qr);
      nextAt = Date.now() + answer.body.refresh_in * 1000;
      show("");
      tick();
      setTimeout(load, answer.body.refresh_in * 1000 + 200);
    }).catch(function () {
      show("网络异常，正在重试……", true);
      setTimeout(load, 3000);
    });
  }
  setInterval(tick, 1000);
  load();
})();
</script>
</body></html>"""
