"""Operator commands: create, checkin-url, screen-url, poster (real CJK glyphs) and the sign-in sheet."""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from openpyxl import load_workbook
from PIL import Image, ImageChops, ImageDraw, ImageFont
from sqlalchemy import select

from app.extensions import db
from app.models import Event
from app.services import events, posters
from tests import factories
from tests.events_helpers import scan


def latin_only_font(path: Path) -> Path:
    """A real TrueType font with glyphs for A only: the kind of font that would print boxes."""
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0)), pen.lineTo((500, 700)), pen.lineTo((900, 0)), pen.closePath()
    glyph = pen.glyph()
    builder.setupGlyf({".notdef": glyph, "A": glyph})
    builder.setupHorizontalMetrics({".notdef": (1000, 100), "A": (1000, 100)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "LatinOnly", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return path


def test_create_prints_the_id_of_a_published_event(runner):
    result = runner.invoke(args=[
        "events", "create", "--kind", "志愿服务", "--title", "学雷锋志愿服务", "--start", "2026-03-05T09:00",
        "--end", "2026-03-05T11:00", "--location", "幸福社区", "--capacity", "20", "--checkout",
    ])
    assert result.exit_code == 0, result.output
    event = db.session.get(Event, int(result.output.splitlines()[0]))  # the id, then a one-line summary
    assert event.status == "published" and event.checkout_required and event.registration_required
    assert event.capacity == 20 and event.location == "幸福社区"


def test_create_with_draft_and_bad_times(runner):
    result = runner.invoke(args=["events", "create", "--kind", "道德讲堂", "--title", "讲堂", "--start", "2026-03-05T09:00", "--end", "2026-03-05T10:00", "--draft"])
    assert result.exit_code == 0 and db.session.scalar(select(Event.status)) == "draft"
    backwards = runner.invoke(args=["events", "create", "--kind", "道德讲堂", "--title", "讲堂", "--start", "2026-03-05T09:00", "--end", "2026-03-05T08:00"])
    assert backwards.exit_code != 0 and "结束时间应晚于开始时间" in backwards.output
    garbled = runner.invoke(args=["events", "create", "--kind", "道德讲堂", "--title", "讲堂", "--start", "明天", "--end", "2026-03-05T08:00"])
    assert garbled.exit_code != 0 and "ISO 8601" in garbled.output
    unknown = runner.invoke(args=["events", "create", "--kind", "篮球赛", "--title", "讲堂", "--start", "2026-03-05T09:00", "--end", "2026-03-05T10:00"])
    assert unknown.exit_code != 0


def test_checkin_url_prints_the_code_that_signs_people_in(runner, client, app):
    event = factories.make_event()
    result = runner.invoke(args=["events", "checkin-url", str(event.id)])
    url = result.output.strip()
    assert url.startswith(app.config["CHECKIN_URL_BASE"] + "?t=p.")
    headers = factories.make_bound_account(factories.make_staff())
    assert scan(client, headers, url).status_code == 201
    refused = runner.invoke(args=["events", "checkin-url", str(event.id), "--direction", "out"])
    assert refused.exit_code != 0 and "不需要签退" in refused.output
    assert "不存在" in runner.invoke(args=["events", "checkin-url", "99999"]).output


def test_screen_url_is_signed_and_opens_the_page(runner, client):
    event = factories.make_event()
    url = runner.invoke(args=["events", "screen-url", str(event.id)]).output.strip()
    assert "/screens/events/" in url and "sig=" in url
    assert client.get(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])).status_code == 200


def test_poster_is_a4_and_its_title_is_drawn_with_real_chinese_glyphs(runner, tmp_path):
    event = factories.make_event(title="道德讲堂：弘扬孝老爱亲美德", location="机关三楼多功能厅")
    output = tmp_path / "poster.png"
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    poster = Image.open(output)
    assert poster.size == posters.A4_300DPI

    font_info = posters.find_cjk_font(event.title)
    font = ImageFont.truetype(font_info.path, 120, index=font_info.index)

    def bitmap(char: str) -> Image.Image:
        image = Image.new("L", (160, 160), 0)
        ImageDraw.Draw(image).text((20, 10), char, font=font, fill=255)
        return image

    tofu = bitmap("\U0010fffd")  # certainly not in the font: Pillow draws its "missing" box
    for char in "道德讲堂弘扬孝老爱亲美德":
        assert ImageChops.difference(bitmap(char), tofu).getbbox() is not None, f"{char} drawn as a box"
        assert bitmap(char).getbbox() is not None
    title_band = poster.crop((200, 500, 2280, 700)).convert("L")
    assert title_band.getextrema()[0] < 50  # dark title text is there


def test_poster_refuses_a_font_without_chinese_glyphs(app, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CJK_FONT_PATH", str(latin_only_font(tmp_path / "latin.ttf")))
    event = factories.make_event()
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(tmp_path / "p.png")])
    assert result.exit_code != 0
    assert "缺少这些字的字形" in result.output and "fonts-noto-cjk" in result.output
    assert not (tmp_path / "p.png").exists()


def test_poster_names_a_missing_font_file(app, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CJK_FONT_PATH", str(tmp_path / "nope.ttc"))
    event = factories.make_event()
    result = runner.invoke(args=["events", "poster", str(event.id), "-o", str(tmp_path / "p.png")])
    assert result.exit_code != 0 and "字体文件" in result.output and "不存在" in result.output


def test_attendance_sheet_has_departments_times_hours_and_absentees(runner, client, tmp_path):
    from datetime import timedelta

    from app.models.base import utcnow
    from tests.events_helpers import printed_qr, sign_in

    start = utcnow() - timedelta(hours=3)
    event = factories.make_event(kind="志愿服务", title="社区清扫", starts_at=start, ends_at=start + timedelta(hours=3), checkout_required=True, registration_required=True)
    present = factories.make_staff(name="到场者", employee_no="X0001", department="办公室")
    absent = factories.make_staff(name="缺席者", employee_no="X0002", department="机关党委")
    events.register(db.session, event.id, present, now=start - timedelta(hours=1))
    events.register(db.session, event.id, absent, now=start - timedelta(hours=1))
    present_headers = factories.make_bound_account(present)
    sign_in(present_headers, printed_qr(event.id), at=start)
    sign_in(present_headers, printed_qr(event.id, "out"), at=start + timedelta(hours=2, minutes=10))

    output = tmp_path / "签到表.xlsx"
    result = runner.invoke(args=["events", "attendance", str(event.id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "签到 1 人，报名未到 1 人" in result.output
    rows = list(load_workbook(output).active.iter_rows(values_only=True))
    assert rows[3][:4] == ("序号", "姓名", "工号", "部门")
    assert rows[4][1:5] == ("到场者", "X0001", "办公室", "是")
    assert rows[4][8] == 130 and rows[4][9] == 2.0
    assert rows[5][1] == "缺席者" and rows[5][5] == "未签到"
