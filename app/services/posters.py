"""Print-ready sign-in posters (A4): title, time and place in Chinese, and the code; as a 300 dpi PNG
(Pillow) or a PDF with real text (WeasyPrint), both from one layout.

A long title is set smaller, down to ``TITLE_SIZES[-1]``; only a title that does not fit even then is
cut, with a visible "…" (and the command warns). Nothing is dropped silently.

Pillow draws a box for every character its font lacks, so the poster is drawn only with a font
whose character map holds every character on it; otherwise ``FontUnavailable`` says what to install.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from flask import current_app, render_template
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFont
from qrcode.image.svg import SvgPathImage

from app.calendar_cn import WEEKDAYS
from app.models import Event
from app.models.events import DIRECTION_OUT
from app.services import checkin_codes
from app.timeutil import to_local

# Where Debian's fonts-noto-cjk (installed by scripts/install-system-deps.sh) and other common CJK
# fonts live. The first one that has every character of the poster is used.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
# Inside a .ttc collection, prefer the Simplified Chinese face.
_PREFERRED_FACE_NAMES = ("SC", "GB", "Hei", "Zen")

A4_300DPI = (2480, 3508)


class FontUnavailable(Exception):
    """No font with the needed glyphs; the message (Chinese) tells the operator what to do."""


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # face index inside a .ttc collection


@lru_cache(maxsize=16)
def _character_map(path: str) -> tuple[tuple[int, str, frozenset[int]], ...]:
    """(face index, family name, code points) for every face in a font file."""
    with open(path, "rb") as file:
        faces = TTCollection(file).fonts if path.lower().endswith((".ttc", ".otc")) else [TTFont(file)]
        result = []
        for index, face in enumerate(faces):
            name = face["name"].getDebugName(1) or ""
            result.append((index, name, frozenset(face.getBestCmap() or {})))
    return tuple(result)


def missing_glyphs(font: CjkFont, text: str) -> list[str]:
    faces = _character_map(font.path)
    codepoints = next(cmap for index, _name, cmap in faces if index == font.index)
    return sorted({char for char in text if not char.isspace() and ord(char) not in codepoints})


def find_cjk_font(text: str) -> CjkFont:
    """The configured font (``CJK_FONT_PATH``) or the first system CJK font that has every character."""
    configured = current_app.config.get("CJK_FONT_PATH") or ""
    candidates = [configured] if configured else list(FONT_CANDIDATES)
    problems = []
    for path in candidates:
        if not Path(path).is_file():
            if configured:
                problems.append(f"字体文件 {path} 不存在")
            continue
        try:
            faces = _character_map(path)
        except Exception as exc:  # fontTools raises several types for a file that is not a font
            problems.append(f"{path} 不是可用的字体文件（{exc.__class__.__name__}）")
            continue
        ranked = sorted(faces, key=lambda face: not any(tag in face[1] for tag in _PREFERRED_FACE_NAMES))
        for index, _name, _cmap in ranked:
            font = CjkFont(path, index)
            missing = missing_glyphs(font, text)
            if not missing:
                return font
            problems.append(f"{path} 缺少这些字的字形：{''.join(missing[:20])}")
    hint = "请安装中文字体（Debian/Ubuntu：apt-get install fonts-noto-cjk，或运行 scripts/install-system-deps.sh），或用 CJK_FONT_PATH 指定含中文字形的字体文件。"
    detail = "；".join(problems) if problems else "系统中没有找到中文字体"
    raise FontUnavailable(f"无法生成海报：{detail}。{hint}")


def _time_line(event: Event) -> str:
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    day = f"{start:%Y年%m月%d日}（周{WEEKDAYS[start.weekday()]}）"
    if start.date() == end.date():
        return f"{day} {start:%H:%M}–{end:%H:%M}"
    return f"{day} {start:%H:%M} 至 {end:%m月%d日 %H:%M}"


# A run of Latin letters or digits stays on one line ("2026", "B1"); these never start a line.
_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_/:%]*|\s+|.", re.S)
_NO_LINE_START = frozenset("，。、；：！？）》」』】”’…—·,.;:!?)]}%")
ELLIPSIS = "…"

Measure = Callable[[str], float]


def _split_long(token: str, measure: Measure, width: float) -> list[str]:
    """A token wider than the line (a very long number or word), cut between characters."""
    pieces, piece = [], ""
    for char in token:
        if piece and measure(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap_text(text: str, measure: Measure, width: float) -> list[str]:
    """Lines no wider than ``width``: Chinese breaks between characters, Latin words and numbers stay
    whole, and closing punctuation never starts a line (it takes the last character with it)."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if measure(line + token) <= width:
            line += token
            continue
        if token.isspace():
            lines.append(line)
            line = ""
            continue
        if token in _NO_LINE_START and len(line) > 1:
            lines.append(line[:-1])
            line = line[-1] + token
            continue
        if line:
            lines.append(line.rstrip())
        pieces = _split_long(token, measure, width) if measure(token) > width else [token]
        lines.extend(pieces[:-1])
        line = pieces[-1]
    if line.strip():
        lines.append(line.strip())
    return lines


def shorten_lines(lines: list[str], max_lines: int, measure: Measure, width: float) -> tuple[list[str], bool]:
    """At most ``max_lines`` lines; when text is dropped the last line ends with a visible ellipsis."""
    if len(lines) <= max_lines:
        return lines, False
    last = lines[max_lines - 1]
    while last and measure(last + ELLIPSIS) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last + ELLIPSIS], True


@dataclass(frozen=True)
class TitleLayout:
    size: int  # pixels at 300 dpi
    line_height: int
    lines: tuple[str, ...]
    shortened: bool  # the end of the title was replaced by an ellipsis


# The title gets the height of three lines at the largest size; a longer title is set smaller (down to
# about a third of that size, still readable across a corridor) before anything is cut.
TITLE_SIZES = (130, 118, 106, 96, 88, 80, 72, 64)
TITLE_LINE_SPACING = 1.3
TITLE_HEIGHT = 3 * round(TITLE_SIZES[0] * TITLE_LINE_SPACING)


def fit_title(title: str, measure_at: Callable[[int], Measure], width: float) -> TitleLayout:
    """The largest size at which the whole title fits its box; at the smallest, an ellipsis."""
    for size in TITLE_SIZES:
        line_height = round(size * TITLE_LINE_SPACING)
        lines = wrap_text(title, measure_at(size), width)
        if len(lines) * line_height <= TITLE_HEIGHT:
            return TitleLayout(size, line_height, tuple(lines), False)
    shortened, cut = shorten_lines(lines, TITLE_HEIGHT // line_height, measure_at(size), width)
    return TitleLayout(size, line_height, tuple(shortened), cut)


# What a live-code-only poster shows where the code would be.
LIVE_ONLY_LINES = ("本活动只接受", "现场大屏上的动态{action}码", "海报不印{action}码，请到场后扫码")


def poster_lines(event: Event, direction: str) -> dict[str, str]:
    action = "签退" if direction == DIRECTION_OUT else "签到"
    live_only = event.live_code_only
    return {
        "kind": event.kind,
        "title": event.title,
        "time": f"时间：{_time_line(event)}",
        "place": f"地点：{event.location or '另行通知'}",
        "action": f"请扫描现场大屏上的{action}码" if live_only else f"微信扫一扫 · 活动{action}",
        **({"live_only": "\n".join(line.format(action=action) for line in LIVE_ONLY_LINES)} if live_only else {}),
        "note": f"{action}时间：{to_local(event.window(direction)[0]):%m月%d日 %H:%M} 至 {to_local(event.window(direction)[1]):%m月%d日 %H:%M}",
    }


def _printed_code(event_id: int, direction: str, border: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=border)
    qr.add_data(checkin_codes.code_url(checkin_codes.printed_token(event_id, direction)))
    return qr.make_image().get_image().convert("RGB")


def render_printed_code(event_id: int, direction: str) -> bytes:
    """The poster's code alone as a PNG (no text, so no font is needed): what the bot's 签到码 sends."""
    buffer = io.BytesIO()
    _printed_code(event_id, direction, border=4).save(buffer, format="PNG")
    return buffer.getvalue()


POSTER_FORMATS = ("png", "pdf")
_MARGIN = 200
_TITLE_TOP = 520
_BODY_SIZE = 72
_BODY_LINE_HEIGHT = 100
_CODE_SIZE = 1500
_RED = (178, 34, 34)


@dataclass(frozen=True)
class Poster:
    data: bytes
    title_shortened: bool  # the title did not fit even in the smallest type and ends with "…"


@dataclass(frozen=True)
class _Layout:
    font: CjkFont
    texts: dict[str, str]
    title: TitleLayout
    body: tuple[str, ...]  # time and place, wrapped (two lines each at most)


@lru_cache(maxsize=64)
def _font(font: CjkFont, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font.path, size, index=font.index)


def _layout(event: Event, direction: str) -> _Layout:
    texts = poster_lines(event, direction)
    font = find_cjk_font("".join(texts.values()) + ELLIPSIS)
    width = A4_300DPI[0] - 2 * _MARGIN

    def measure_at(size: int) -> Measure:
        return _font(font, size).getlength

    title = fit_title(texts["title"], measure_at, width)
    body: list[str] = []
    for key in ("time", "place"):
        lines, _cut = shorten_lines(wrap_text(texts[key], measure_at(_BODY_SIZE), width), 2, measure_at(_BODY_SIZE), width)
        body.extend(lines)
    return _Layout(font, texts, title, tuple(body))


def _code_top(layout: _Layout) -> int:
    bottom = _TITLE_TOP + len(layout.title.lines) * layout.title.line_height + 60 + len(layout.body) * _BODY_LINE_HEIGHT
    return max(bottom + 80, 1500)


def _render_png(event: Event, direction: str, layout: _Layout) -> bytes:
    width, height = A4_300DPI
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 360], fill=_RED)
    draw.text((width // 2, 180), layout.texts["kind"], font=_font(layout.font, 150), fill="white", anchor="mm")

    y = _TITLE_TOP
    for line in layout.title.lines:
        draw.text((width // 2, y), line, font=_font(layout.font, layout.title.size), fill="black", anchor="mt")
        y += layout.title.line_height
    y += 60
    for line in layout.body:
        draw.text((_MARGIN, y), line, font=_font(layout.font, _BODY_SIZE), fill=(40, 40, 40))
        y += _BODY_LINE_HEIGHT

    top = _code_top(layout)
    left = (width - _CODE_SIZE) // 2
    if "live_only" in layout.texts:
        draw.rounded_rectangle([left, top, left + _CODE_SIZE, top + _CODE_SIZE], radius=60, outline=_RED, width=12)
        lines = layout.texts["live_only"].split("\n")
        line_y = top + _CODE_SIZE // 2 - (len(lines) * 170) // 2
        for number, line in enumerate(lines):
            size = 84 if number == len(lines) - 1 else 120
            draw.text((width // 2, line_y + 85), line, font=_font(layout.font, size), fill=_RED if size > 84 else (90, 90, 90), anchor="mm")
            line_y += 170
    else:
        code = _printed_code(event.id, direction, border=2).resize((_CODE_SIZE, _CODE_SIZE), Image.Resampling.NEAREST)
        image.paste(code, (left, top))
    y = top + _CODE_SIZE + 80
    draw.text((width // 2, y), layout.texts["action"], font=_font(layout.font, 96), fill=_RED, anchor="mt")
    draw.text((width // 2, y + 150), layout.texts["note"], font=_font(layout.font, 60), fill=(90, 90, 90), anchor="mt")

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def _render_pdf(event: Event, direction: str, layout: _Layout) -> bytes:
    """The same poster as an A4 PDF with real (selectable, searchable) text in the embedded CJK font."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment and only this needs it

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per step otherwise

    svg = None
    if "live_only" not in layout.texts:
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, image_factory=SvgPathImage)
        qr.add_data(checkin_codes.code_url(checkin_codes.printed_token(event.id, direction)))
        svg = base64.b64encode(qr.make_image().to_string()).decode("ascii")
    html = render_template(
        "posters/poster.html",
        texts=layout.texts,
        title=layout.title,
        body=layout.body,
        code_top=_code_top(layout),
        code_size=_CODE_SIZE,
        margin=_MARGIN,
        title_top=_TITLE_TOP,
        body_size=_BODY_SIZE,
        body_line_height=_BODY_LINE_HEIGHT,
        qr_svg=svg,
        live_only_lines=layout.texts["live_only"].split("\n") if "live_only" in layout.texts else [],
        font_family=_family_name(layout.font),
        font_url=None if layout.font.path.lower().endswith((".ttc", ".otc")) else Path(layout.font.path).as_uri(),
        scale=96 / 300,  # poster pixels (300 dpi) to CSS pixels (96 per inch)
    )
    return HTML(string=html).write_pdf()


def _family_name(font: CjkFont) -> str:
    return next(name for index, name, _cmap in _character_map(font.path) if index == font.index)


def render_poster(event: Event, direction: str, fmt: str = "png") -> Poster:
    """The poster as PNG or PDF. Raises ``FontUnavailable`` rather than drawing boxes."""
    layout = _layout(event, direction)
    render = _render_pdf if fmt == "pdf" else _render_png
    return Poster(render(event, direction, layout), layout.title.shortened)
