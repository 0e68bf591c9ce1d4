"""The console in a real browser (Debian's Chromium through Playwright): WeCom QR login through the
sandbox, an event created, its poster and venue screen, a sign-in through the API showing up on the
live attendance page without a reload, the attendance export; and the password login refusing after
repeated failures. Screenshots go to docs/screenshots/ for the README."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Event
from app.models.base import utcnow
from app.services import audit, console_auth
from app.timeutil import to_local
from tests import factories
from tests.console_helpers import person
from tests.events_helpers import nonce, printed_qr

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.slow

@pytest.fixture
def console_server(app, build_app, config_overrides):
    served = build_app(**config_overrides)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    server.daemon_threads = False
    base = f"http://127.0.0.1:{server.server_port}"
    served.config["CHECKIN_URL_BASE"] = f"{base}/qr/checkin"  # the venue screen's links point here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, base
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, violations: list[str]):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    return context, page


def sign_in_with_password(page, base: str, employee_no: str, lands_on: str = "/console/") -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=employee_no]", employee_no)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}{lands_on}")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_admin_runs_an_event_from_wecom_login_to_attendance_export(console_server, browser, sandbox):
    app, base = console_server
    admin = person("admin", name="张伟", employee_no="E0001", wecom_userid="zhangwei")
    person("liaison", name="杨帆", employee_no="E0006", department="政策法规科", wecom_userid="yangfan")
    attendee = person(None, name="李娜", employee_no="E0003")
    requests.put(
        f"{sandbox.url}/_sandbox/wecom/users",
        json={"users": [{"userid": "zhangwei", "name": "张伟", "department": "办公室"}, {"userid": "yangfan", "name": "杨帆", "department": "政策法规科"}]},
        timeout=5,
    ).raise_for_status()
    violations: list[str] = []
    context, page = new_page(browser, violations)

    # WeCom QR login, played by the sandbox: the member "scans" by choosing themselves.
    page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/login")
    shot(page, "console-login")
    page.click("[data-testid=wecom-login]")
    page.wait_for_url(f"{sandbox.url}/wwlogin/sso/login*")
    shot(page, "console-wecom-qr-login-sandbox")
    page.click("button:has-text('张伟')")
    page.wait_for_url(f"{base}/console/")
    assert "张伟（管理员）" in page.text_content("[data-testid=whoami]")

    # Create an event that starts in ten minutes (its sign-in window is open).
    starts = to_local(utcnow() + timedelta(minutes=10))
    page.click("a.nav-link:has-text('活动')")
    page.click("[data-testid=new-event]")
    page.select_option("select[name=kind]", "道德讲堂")
    page.select_option("select[name=code_policy]", "printed")  # the API sign-in below uses the printed code
    page.fill("input[name=title]", "道德讲堂：诚信做人")
    page.fill("input[name=starts_at]", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=location]", "三楼会议室")
    shot(page, "console-event-form")
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_selector("[data-testid=event-title]")
    assert page.text_content("[data-testid=event-title]") == "道德讲堂：诚信做人"
    shot(page, "console-event-detail")
    event_id = db.session.scalars(select(Event.id).where(Event.title == "道德讲堂：诚信做人")).one()

    # The poster downloads as a PNG.
    with page.expect_download() as download:
        page.click("[data-testid=poster-link]")
    assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")

    # The venue screen opens from its signed link and shows the event.
    with context.expect_page() as screen_info:
        page.click("[data-testid=screen-link]")
    screen = screen_info.value
    screen.wait_for_load_state()
    # The page names no event until its script has sent the link's signature (kept out of the URL).
    screen.wait_for_function("() => document.querySelector('h1').textContent.includes('诚信做人')", timeout=10_000)
    assert "道德讲堂：诚信做人" in screen.text_content("h1")
    assert "#sig=" not in screen.url and "sig=" not in screen.url
    screen.close()

    # The live attendance page: a sign-in through the API shows up without a reload.
    page.click("[data-testid=attendance-link]")
    page.wait_for_selector("[data-testid=signed-in-count]")
    assert page.text_content("[data-testid=signed-in-count]").strip() == "0"
    page.evaluate("window.__notReloaded = true")
    headers = factories.make_bound_account(attendee)
    answer = requests.post(f"{base}/api/mp/checkins", json={"qr": printed_qr(event_id), "nonce": nonce()}, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text
    expect(page.locator("[data-testid=signed-in-count]")).to_have_text("1", timeout=15_000)  # htmx polling
    assert page.evaluate("window.__notReloaded") is True
    assert "李娜" in page.text_content("#live")
    shot(page, "console-live-attendance")

    # The attendance sheet downloads with the person on it.
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert "李娜" in {row[1] for row in sheet.iter_rows(values_only=True)}

    page.goto(f"{base}/console/")
    assert "道德讲堂：诚信做人" in page.text_content("main")
    shot(page, "console-dashboard")
    page.goto(f"{base}/console/people")
    shot(page, "console-people")
    page.goto(f"{base}/console/audit")
    shot(page, "console-audit")
    page.set_viewport_size({"width": 375, "height": 760})  # a phone inside WeCom
    page.goto(f"{base}/console/events/{event_id}/attendance")
    shot(page, "console-live-attendance-phone")
    assert violations == []
    context.close()
    assert admin.id


@pytest.mark.parametrize("config_overrides", [{"CONSOLE_LOGIN_FAILURES_PER_ACCOUNT": "3/15 minutes"}])
def test_password_login_refuses_after_repeated_failures(console_server, browser):
    _app, base = console_server
    staff = person("admin", name="王芳", employee_no="E0002")
    console_auth.set_password(db.session, staff, PASSWORD, audit.Actor.system())
    violations: list[str] = []
    context, page = new_page(browser, violations)
    page.goto(f"{base}/console/login")
    for _ in range(3):
        page.fill("input[name=employee_no]", "E0002")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]:has-text('登录')")
        page.wait_for_selector(".alert-danger")
        assert "工号或密码不正确" in page.text_content(".alert-danger")
    page.fill("input[name=employee_no]", "E0002")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_selector(".alert-danger")
    assert "登录失败次数过多" in page.text_content(".alert-danger")
    assert page.url.startswith(f"{base}/console/login")
    shot(page, "console-login-locked")
    assert violations == []
    context.close()


def test_admin_imports_a_roster_and_reviews_a_wish_proof(console_server, browser, tmp_path):
    from app.models import Staff
    from app.services import scheduling, wishes
    from tests.console_helpers import sign_in  # noqa: F401 (the browser signs in by password below)
    from tests.wish_helpers import image_bytes, make_wish

    _app, base = console_server
    scheduling.install_defaults(db.session)
    admin = person("admin", name="郭敏", employee_no="E0016")
    console_auth.set_password(db.session, admin, PASSWORD, audit.Actor.system())
    wish = make_wish(title="一个新书包", photos=[io.BytesIO(image_bytes())])
    claimer = person(None, name="认领人")
    wishes.claim_wish(db.session, wish.id, claimer)
    wishes.submit_proof(db.session, wish.id, db.session.get(Staff, claimer.id), "openid-claimer", "书包已送到王小明家", [io.BytesIO(image_bytes(colour=(20, 120, 200)))])
    violations: list[str] = []
    context, page = new_page(browser, violations)
    sign_in_with_password(page, base, "E0016")

    # A roster with errors: every row's error is listed and nothing is written; then a clean one.
    bad = tmp_path / "花名册.csv"
    bad.write_text("姓名,工号,部门,手机\n,N1,办公室,\n乙,N2,办公室,123\n丙,N2,办公室,\n", encoding="utf-8")
    page.goto(f"{base}/console/people/import")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button:has-text('上传并预览')")
    errors = page.text_content("[data-testid=import-errors]")
    assert "第 2 行" in errors and "第 3 行" in errors and "第 4 行" in errors
    shot(page, "console-roster-import-errors")
    good = tmp_path / "roster.csv"
    good.write_text("姓名,工号,部门\n甲,N1,办公室\n乙,N2,新科室\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(good))
    page.click("button:has-text('上传并预览')")
    page.click("[data-testid=confirm-import]")
    assert "导入完成：新增 2 人" in page.text_content(".alert-success")

    # The proof with its photo, confirmed (after the browser's confirmation prompt).
    page.goto(f"{base}/console/wishes/{wish.id}")
    assert "书包已送到王小明家" in page.text_content("[data-testid=proof]")
    assert page.locator("[data-testid=proof] img").evaluate("img => img.naturalWidth") > 0
    shot(page, "console-wish-proof")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('确认完成')")
    expect(page.locator("[data-testid=wish-status]")).to_have_text("已完成")

    for path, name in (("/console/wishes", "console-wishes"), ("/console/notices", "console-notices"),
                       ("/console/push", "console-push"), ("/console/schedule", "console-schedule")):
        page.goto(f"{base}{path}")
        shot(page, name)
    page.goto(f"{base}/console/schedule/festivals/中秋")
    expect(page.locator("[data-testid=preview]")).to_contain_text("中秋")
    shot(page, "console-festival-preview")
    assert violations == []
    context.close()


def test_a_code_scanned_in_a_wecom_like_browser_signs_the_person_in(console_server, browser, sandbox):
    """The printed code opened in WeCom's browser: the silent OAuth (the sandbox knows this browser as
    the WeCom client of 周敏) brings the person back signed in, with a clear result page."""
    app, base = console_server
    with app.app_context():
        factories.make_staff(name="周敏", employee_no="E0009", wecom_userid="zhoumin")
        event = factories.make_event(title="志愿服务：社区清扫", kind="志愿服务")
        qr = printed_qr(event.id)
    requests.put(f"{sandbox.url}/_sandbox/wecom/users", json={"users": [{"userid": "zhoumin", "name": "周敏", "department": "办公室"}]},
                 timeout=5).raise_for_status()
    violations: list[str] = []
    context = browser.new_context(viewport={"width": 390, "height": 780}, locale="zh-CN",
                                  user_agent="Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.30 MicroMessenger/7.0.1")
    page = context.new_page()
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(f"{sandbox.url}/_sandbox/wecom/client?userid=zhoumin")  # this browser is WeCom, signed in as 周敏
    page.goto(qr)
    expect(page.get_by_test_id("scan-headline")).to_have_text("签到成功")
    assert "周敏" in page.text_content("body") and "签到时间" in page.text_content("body")
    assert page.text_content("[data-testid=scan-event]") == "志愿服务：社区清扫"  # the kind is not repeated
    shot(page, "wecom-scan-signed-in")
    page.goto(qr)
    expect(page.get_by_test_id("scan-headline")).to_have_text("已签到")
    context.close()
    assert violations == []


def test_publishing_a_notice_asks_first_and_a_dismissed_question_sends_nothing(console_server, browser):
    """console.js asks before a destructive form is sent, whether data-confirm is on the form (as the
    templates put it) or on the button that submits it; dismissing the question sends nothing."""
    from app.models import Announcement

    _app, base = console_server
    admin = person("admin", name="李静", employee_no="E0021")
    console_auth.set_password(db.session, admin, PASSWORD, audit.Actor.system())
    violations: list[str] = []
    context, page = new_page(browser, violations)
    sign_in_with_password(page, base, "E0021")
    page.goto(f"{base}/console/notices")
    page.fill("textarea[name=content]", "周五下午大扫除")
    page.select_option("select[name=audience]", "miniprogram")
    questions: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))
    page.click("button[type=submit]:has-text('发布')")
    assert questions == ["公告发布后会按所选范围发出，无法撤回。确定发布吗？"]
    # the same question, asked by the button instead of the form
    page.evaluate("""() => {
        const form = document.querySelector("form[action='/console/notices']");
        form.querySelector("button[type=submit]").setAttribute("data-confirm", form.getAttribute("data-confirm"));
        form.removeAttribute("data-confirm");
    }""")
    page.once("dialog", answer(False))
    page.click("button[type=submit]:has-text('发布')")
    assert len(questions) == 2 and page.url == f"{base}/console/notices"
    db.session.expire_all()
    assert db.session.scalars(select(Announcement)).first() is None
    page.once("dialog", answer(True))
    page.click("button[type=submit]:has-text('发布')")
    expect(page.locator(".alert-success")).to_contain_text("公告已发布")
    db.session.expire_all()
    assert db.session.scalars(select(Announcement)).one().content == "周五下午大扫除"
    assert violations == []
    context.close()


def test_inspector_scores_beside_the_evidence_and_checks_a_department_on_a_phone(console_server, browser, tmp_path):
    from app.models.org import ROLE_INSPECTOR
    from tests.inspection_helpers import make_round
    from tests.ledger_helpers import held_event
    from tests.wish_helpers import image_bytes

    _app, base = console_server
    inspector = person(ROLE_INSPECTOR, name="陈静", employee_no="E0031", department="创建办")
    console_auth.set_password(db.session, inspector, PASSWORD, audit.Actor.system())
    found = make_round()
    held_event("道德讲堂", date(found.starts_on.year, 9, 10), title="道德讲堂：孝老爱亲")  # in the round's half-year
    office = factories.make_department("办公室")
    violations: list[str] = []
    context, page = new_page(browser, violations)
    sign_in_with_password(page, base, "E0031", lands_on="/console/inspections")  # an inspector's console is 检查
    assert "陈静（检查组）" in page.text_content("[data-testid=whoami]")

    # Item 6 (道德讲堂): the 台账 evidence sits beside the score field; score it with a finding.
    page.click(f"a:has-text('{found.title}')")
    item = page.locator("[data-testid=item-6]")
    evidence = item.locator("[data-testid=evidence]")
    expect(evidence).to_contain_text("道德讲堂：孝老爱亲")
    score_box, evidence_box = item.locator("input[name=score]").bounding_box(), evidence.bounding_box()
    assert evidence_box["x"] > score_box["x"] + score_box["width"] and abs(evidence_box["y"] - score_box["y"]) < 200  # beside it
    item.locator("input[name=score]").fill("9")
    item.locator("button:has-text('保存草稿')").click()
    expect(page.locator("[data-testid=item-6] .invalid-feedback")).to_contain_text("得分不能超过满分 6 分")
    page.locator("[data-testid=item-6] input[name=score]").fill("5.5")
    page.locator("[data-testid=item-6] textarea[name=findings]").fill("下半年讲堂缺少照片")
    page.locator("[data-testid=item-6] button:has-text('保存草稿')").click()
    expect(page.locator("[data-testid=item-6] [data-testid=item-score]")).to_have_text("5.5")
    page.locator("[data-testid=item-6]").scroll_into_view_if_needed()
    shot(page, "console-inspection-sheet")

    # The office checked on a phone inside WeCom: 禁烟 fails with a note and a camera photo.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/console/inspections/{found.id}/checks")
    page.select_option("select[name=department]", str(office.id))
    page.click("[data-testid=pick-department] button")
    point = page.locator("[data-testid='point-禁烟']")
    photo = tmp_path / "smoking.jpg"
    photo.write_bytes(image_bytes(size=(800, 600)))
    point.locator("label:has-text('不通过')").click()
    point.locator("input[name=note]").fill("楼梯间有烟头")
    point.locator("input[name=photos]").set_input_files(str(photo))
    point.locator("button:has-text('保存')").click()
    point = page.locator("[data-testid='point-禁烟']")
    expect(point.locator("[data-testid=point-result]")).to_have_text("不通过")
    assert point.locator("img").evaluate("img => img.naturalWidth") > 0
    page.locator("[data-testid='point-整洁'] label:has-text('通过')").first.click()
    page.locator("[data-testid='point-整洁'] button:has-text('保存')").click()
    expect(page.locator("[data-testid=ranking]")).to_contain_text("禁烟：楼梯间有烟头")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.locator("[data-testid='point-禁烟']").scroll_into_view_if_needed()
    shot(page, "console-inspection-check-phone")
    assert violations == []
    context.close()


def test_admin_reads_the_ledger_uploads_a_document_and_downloads_the_pack(console_server, browser, tmp_path):
    """台账: the plan, an item's page, a document uploaded, the pack built in the background (htmx
    progress) and downloaded."""
    import zipfile

    from app.services.ledger import builds
    from app.timeutil import local_today
    from tests.ledger_helpers import init_plan, pdf_bytes, sign_in_people

    _app, base = console_server
    year = local_today().year
    init_plan(year)
    admin = person("admin", name="刘洋", employee_no="E0021")
    console_auth.set_password(db.session, admin, PASSWORD, audit.Actor.system())
    people = [person(None, name=f"职工{n}", department=("办公室", "机关党委")[n % 2]) for n in range(4)]
    event = factories.make_event(title="道德讲堂：敬业奉献", starts_at=utcnow() - timedelta(minutes=30))
    sign_in_people(event, people[:3])
    document = tmp_path / "道德讲堂活动方案.pdf"
    document.write_bytes(pdf_bytes("方案"))
    violations: list[str] = []
    context, page = new_page(browser, violations)
    sign_in_with_password(page, base, "E0021")
    assert "创建台账" in page.text_content("[data-testid=ledger-panel]")

    page.click("a.nav-link:has-text('台账')")
    expect(page.locator("[data-testid=plan-table]")).to_contain_text("认真开展道德讲堂活动")
    shot(page, "console-ledger-plan")

    page.click("[data-testid=plan-table] a:has-text('认真开展道德讲堂活动')")
    expect(page.get_by_test_id("item-title")).to_have_text("6. 认真开展道德讲堂活动")
    assert "道德讲堂：敬业奉献" in page.text_content("[data-testid=item-events]")
    assert page.locator("[data-testid=item-chart] svg").count() == 1
    form = page.locator("[data-testid=document-form]")
    form.locator("select[name=kind]").select_option("方案")
    form.locator("input[name=title]").fill("道德讲堂活动方案")
    form.locator("input[name=file]").set_input_files(str(document))
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已上传")
    expect(page.locator("[data-testid=item-documents]")).to_contain_text("道德讲堂活动方案")
    page.goto(page.url.split("#")[0])  # from the top (the upload came back to #documents)
    shot(page, "console-ledger-item")

    # The event's page carries its 台账 panel: work items and the 道德讲堂 record with the five 环节.
    page.click("[data-testid=item-events] a:has-text('道德讲堂：敬业奉献')")
    expect(page.get_by_test_id("event-ledger")).to_contain_text("第 6 项")
    assert page.locator("[data-testid=record-form] input[value=唱歌曲]").count() == 1
    page.locator("[data-testid=record-form] input[name=host]").fill("王芳")
    page.click("[data-testid=record-form] button:has-text('保存记录')")
    expect(page.locator(".alert-success")).to_contain_text("活动记录已保存")

    page.goto(f"{base}/console/ledger?year={year}")
    page.click("[data-testid=export-start]")
    expect(page.get_by_test_id("export-download")).to_be_visible(timeout=90_000)  # htmx polling until ready
    with page.expect_download() as download:
        page.click("[data-testid=export-download]")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
    assert "目录.xlsx" in names and "创建工作报告.pdf" in names
    assert any(name.endswith("道德讲堂活动方案.pdf") for name in names)
    builds.wait_for_builds()
    assert violations == []
    context.close()


def test_admin_creates_a_selection_reviews_an_entry_and_sees_results(console_server, browser):
    from app.models import Selection, Staff
    from app.services import pledges, selections
    from tests.selection_helpers import move_to

    _app, base = console_server
    admin = person("admin", name="韦华", employee_no="E0021")
    console_auth.set_password(db.session, admin, PASSWORD, audit.Actor.system())
    liaison = person("liaison", name="覃丽", employee_no="E0022", department="财务科")
    nominee = person(None, name="黄海", employee_no="E0023", department="财务科")
    person(None, name="蒙佳", employee_no="E0024", department="办公室")
    violations: list[str] = []
    context, page = new_page(browser, violations)
    sign_in_with_password(page, base, "E0021")

    # A selection whose 报名/推荐 is open now, with a judge.
    now = to_local(utcnow())
    page.click("a.nav-link:has-text('评选')")
    page.click("a:has-text('新建评选')")
    page.fill("input[name=title]", "2026年度节俭文明人评选")
    page.fill("input[name=nominate_from]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=nominate_until]", (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=vote_from]", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=vote_until]", (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=work_item]", "8")
    page.fill("textarea[name=judges]", "E0024")
    page.click("button[type=submit]:has-text('保存')")
    expect(page.locator("[data-testid=phase]")).to_have_text("草稿")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('发布')")
    expect(page.locator("[data-testid=phase]")).to_have_text("报名/推荐")
    selection_id = db.session.scalars(select(Selection.id).where(Selection.title == "2026年度节俭文明人评选")).one()

    # The admin nominates someone; the liaison's nomination waits for review, approved here.
    page.select_option("select[name=subject]", "person")
    page.fill("input[name=employee_no]", "E0024")
    page.fill("textarea[name=reasons]", "带头光盘行动，节约用纸。")
    page.click("button:has-text('推荐')")
    assert "已推荐“蒙佳”" in page.text_content(".alert-success")
    entry = selections.nominate(
        db.session, selection_id,
        selections.Nomination(subject="person", reasons="节约一滴水、一度电。", staff_id=nominee.id),
        audit.Actor.staff(liaison.id), db.session.get(Staff, liaison.id), departments=frozenset({nominee.department_id}),
    )
    page.reload()
    shot(page, "console-selections")
    page.click(f"a:has-text('黄海')")
    expect(page.locator("[data-testid=entry-status]")).to_have_text("待审核")
    page.click("button:has-text('通过')")
    expect(page.locator("[data-testid=entry-status]")).to_have_text("已通过")

    # Live results for the admin: both approved entries, tied at 0 votes and reported as such.
    move_to(selection_id, "counting")
    page.goto(f"{base}/console/selections/{selection_id}/results")
    expect(page.locator("[data-testid=results] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=ties]")).to_contain_text("并列")
    shot(page, "console-selection-results")

    # 承诺: a published pledge with a signature; the rates chart and who has not signed.
    pledge = pledges.create_pledge(db.session, title="诚信承诺书", body="本人承诺诚实守信。", opens_at=utcnow() - timedelta(hours=1),
                                   closes_at=utcnow() + timedelta(days=7), work_item=18, actor=audit.Actor.system())
    pledges.publish_pledge(db.session, pledge.id, audit.Actor.system())
    pledges.sign_pledge(db.session, pledge.id, db.session.get(Staff, nominee.id))
    page.click("a.nav-link:has-text('承诺')")
    page.click("a:has-text('诚信承诺书')")
    expect(page.locator("[data-testid=rates] svg")).to_be_visible()
    expect(page.locator("[data-testid=unsigned]")).to_contain_text("韦华")
    shot(page, "console-pledges")
    assert violations == []
    context.close()
