"""Print-ready sign-in posters (A4 at 300 dpi): title, time and place in Chinese, and the code.

Pillow draws a box for every character its font lacks, so the poster is drawn only with a font
whose character map holds every character on it; otherwise ``FontUnavailable`` says what to install.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from flask import current_app
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFont

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


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font) > width and line:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def poster_lines(event: Event, direction: str) -> dict[str, str]:
    action = "签退" if direction == DIRECTION_OUT else "签到"
    return {
        "kind": event.kind,
        "title": event.title,
        "time": f"时间：{_time_line(event)}",
        "place": f"地点：{event.location or '另行通知'}",
        "action": f"微信扫一扫 · 活动{action}",
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


def render_poster(event: Event, direction: str) -> bytes:
    """The poster as PNG bytes. Raises ``FontUnavailable`` rather than drawing boxes."""
    lines = poster_lines(event, direction)
    font_info = find_cjk_font("".join(lines.values()))

    def font(size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(font_info.path, size, index=font_info.index)

    width, height = A4_300DPI
    margin = 200
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    red = (178, 34, 34)
    draw.rectangle([0, 0, width, 360], fill=red)
    draw.text((width // 2, 180), lines["kind"], font=font(150), fill="white", anchor="mm")

    y = 520
    title_font = font(130)
    for line in _wrap(draw, lines["title"], title_font, width - 2 * margin)[:3]:
        draw.text((width // 2, y), line, font=title_font, fill="black", anchor="mt")
        y += 170
    y += 60
    body_font = font(72)
    for key in ("time", "place"):
        for line in _wrap(draw, lines[key], body_font, width - 2 * margin)[:2]:
            draw.text((margin, y), line, font=body_font, fill=(40, 40, 40))
            y += 100

    code = _printed_code(event.id, direction, border=2).resize((1500, 1500), Image.Resampling.NEAREST)
    top = max(y + 80, 1500)
    image.paste(code, ((width - 1500) // 2, top))
    y = top + 1500 + 80
    draw.text((width // 2, y), lines["action"], font=font(96), fill=red, anchor="mt")
    draw.text((width // 2, y + 150), lines["note"], font=font(60), fill=(90, 90, 90), anchor="mt")

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()
