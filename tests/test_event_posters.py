"""Posters: a long title is set smaller, then cut with a visible ellipsis, never silently; PDF posters
carry real Chinese text; ``-o`` names a format the command really writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from app.extensions import db
from app.services import events, posters
from app.services.audit import Actor
from tests import factories

LONG_TITLE = "道德讲堂：弘扬中华优秀传统文化，争做新时代文明职工——暨2026年度全市机关企事业单位职业道德、社会公德与家庭美德专题报告会（第四期上）"
LONGEST_TITLE = (LONG_TITLE + "——学习贯彻新时代公民道德建设实施纲要暨文明单位创建工作推进会议")[:100]


def pdf_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is installed by scripts/install-system-deps.sh"
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=60)
    return result.stdout


def squeeze(text: str) -> str:
    return "".join(text.split())


def measure_at(font_info):
    return lambda size: posters._font(font_info, size).getlength


@pytest.mark.parametrize("title", [LONG_TITLE, LONGEST_TITLE], ids=["68-chars", "100-chars"])
def test_poster_sets_a_long_title_smaller_and_keeps_every_word(app, title):
    font_info = posters.find_cjk_font(title)
    width = posters.A4_300DPI[0] - 2 * posters._MARGIN
    layout = posters.fit_title(title, measure_at(font_info), width)
    assert "".join(layout.lines) == title and not layout.shortened
    assert layout.size < posters.TITLE_SIZES[0]
    assert len(layout.lines) * layout.line_height <= posters.TITLE_HEIGHT
    for line in layout.lines:
        assert posters._font(font_info, layout.size).getlength(line) <= width


def test_poster_title_too_long_for_the_smallest_type_ends_with_a_visible_ellipsis(app):
    title = LONGEST_TITLE * 3
    font_info = posters.find_cjk_font(title)
    width = posters.A4_300DPI[0] - 2 * posters._MARGIN
    layout = posters.fit_title(title, measure_at(font_info), width)
    assert layout.shortened and layout.size == posters.TITLE_SIZES[-1]
    assert layout.lines[-1].endswith(posters.ELLIPSIS)
    assert "".join(layout.lines)[:-1] == title[: len("".join(layout.lines)) - 1]


def test_wrapping_keeps_numbers_whole_and_never_starts_a_line_with_closing_punctuation():
    def measure(text: str) -> float:
        return float(len(text))

    assert posters.wrap_text("暨2026年度", measure, 4) == ["暨", "2026", "年度"]
    assert posters.wrap_text("文明单位，创建", measure, 4) == ["文明单", "位，创建"]


def test_short_title_keeps_the_largest_type(app):
    font_info = posters.find_cjk_font("道德讲堂：孝老爱亲")
    layout = posters.fit_title("道德讲堂：孝老爱亲", measure_at(font_info), 2080)
    assert layout.size == posters.TITLE_SIZES[0] and layout.lines == ("道德讲堂：孝老爱亲",)


def test_png_poster_draws_every_title_line(runner, tmp_path):
    event = factories.make_event(title=LONG_TITLE, location="机关办公大楼三楼多功能报告厅")
    output = tmp_path / "poster.png"
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    image = Image.open(output).convert("L")
    assert image.size == posters.A4_300DPI
    layout = posters._layout(event, "in")
    assert len(layout.title.lines) > 3  # the old poster drew three lines and dropped the rest
    for number in range(len(layout.title.lines)):  # each title line has dark text in its band
        top = posters._TITLE_TOP + number * layout.title.line_height
        band = image.crop((posters._MARGIN, top, posters.A4_300DPI[0] - posters._MARGIN, top + layout.title.size))
        assert band.getextrema()[0] < 50, f"title line {number + 1} is blank"


@pytest.mark.slow
def test_pdf_poster_is_a4_with_the_whole_title_as_real_chinese_text(runner, tmp_path):
    event = factories.make_event(title=LONG_TITLE, location="机关办公大楼三楼多功能报告厅")
    output = tmp_path / "海报.pdf"
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF-")
    text = squeeze(pdf_text(output))
    for expected in (LONG_TITLE, "道德讲堂", "地点：机关办公大楼三楼多功能报告厅", "微信扫一扫·活动签到"):
        assert squeeze(expected) in text, expected
    info = subprocess.run(["pdfinfo", str(output)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "595.28 x 841.89 pts (A4)" in info or "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(output)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "CJK" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded


@pytest.mark.parametrize(
    "name, message",
    [("poster.jpg", "海报只能保存为 .png 或 .pdf 文件"), ("poster", "没有扩展名"), ("poster.PNG.txt", ".txt")],
)
def test_poster_refuses_an_extension_it_does_not_write(runner, tmp_path, name, message):
    event = factories.make_event()
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(tmp_path / name)])
    assert result.exit_code == 1 and result.output.startswith("错误：") and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_poster_refuses_a_missing_folder_instead_of_creating_it(runner, tmp_path):
    event = factories.make_event()
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(tmp_path / "nope" / "poster.png")])
    assert result.exit_code == 1 and "错误：文件夹" in result.output and "不存在" in result.output
    assert not (tmp_path / "nope").exists()
    directory = runner.invoke(args=["events", "poster", str(event.id), "-o", str(tmp_path)])
    assert directory.exit_code == 1 and directory.output.startswith("错误：")


def test_poster_of_a_cancelled_or_draft_event_warns(runner, tmp_path):
    cancelled = factories.make_event()
    events.cancel_event(db.session, cancelled.id, Actor.system(), "暂停")
    result = runner.invoke(args=["events", "poster", str(cancelled.id), "-o", str(tmp_path / "a.png")])
    assert result.exit_code == 0 and "警告：活动" in result.output and "已取消" in result.output
    draft = factories.make_event(publish=False)
    result = runner.invoke(args=["events", "poster", str(draft.id), "-o", str(tmp_path / "b.png")])
    assert result.exit_code == 0 and "还是草稿" in result.output
    published = factories.make_event()
    result = runner.invoke(args=["events", "poster", str(published.id), "-o", str(tmp_path / "c.png")])
    assert result.exit_code == 0 and "警告" not in result.output


def decoded_codes(png: bytes) -> list[str]:
    import io

    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L").reduce(4))]


def test_poster_prints_the_sign_in_code(app):
    event = factories.make_event()
    codes = decoded_codes(posters.render_poster(event, "in").data)
    assert len(codes) == 1 and "?t=p." in codes[0]


@pytest.mark.slow
def test_poster_of_a_live_code_only_event_prints_no_code_and_says_so(app, tmp_path):
    event = factories.make_event()
    event.live_code_only = True  # the sign-in rules' per-event setting
    png = posters.render_poster(event, "in").data
    assert decoded_codes(png) == []  # a photo of the poster signs nobody in: there is nothing to photograph
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(posters.render_poster(event, "in", "pdf").data)
    text = squeeze(pdf_text(pdf))
    assert "现场大屏上的动态签到码" in text and "请扫描现场大屏上的签到码" in text
