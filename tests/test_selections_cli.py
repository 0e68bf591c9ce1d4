"""``flask selections`` and ``flask pledges``: operators create, publish, watch and export."""

from __future__ import annotations

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Pledge, Selection
from tests.selection_helpers import make_selection, move_to, nominate_people, person


def test_operator_creates_and_publishes_a_selection_in_beijing_time(runner):
    result = runner.invoke(args=[
        "selections", "create", "--title", "2026年度优质服务先进评选", "--kind", "honour", "--work-item", "16",
        "--nominate-from", "2036-12-02T09:00", "--nominate-until", "2036-12-10T17:00",
        "--vote-from", "2036-12-11T09:00", "--vote-until", "2036-12-15T17:00", "--forbid-own-department", "--publish",
    ])
    assert result.exit_code == 0, result.output
    assert "已创建评选" in result.output and "投票 2036-12-11 09:00 至 2036-12-15 17:00" in result.output
    selection = db.session.scalar(select(Selection))
    assert selection.status == "published" and selection.forbid_own_department and selection.forbid_self
    listed = runner.invoke(args=["selections", "list"])
    assert "2026年度优质服务先进评选" in listed.output and "未开始" in listed.output


def test_operator_gets_a_chinese_refusal_for_inverted_windows(runner):
    result = runner.invoke(args=[
        "selections", "create", "--title", "评选", "--kind", "works",
        "--nominate-from", "2036-12-10T09:00", "--nominate-until", "2036-12-02T17:00",
        "--vote-from", "2036-12-11T09:00", "--vote-until", "2036-12-15T17:00",
    ])
    assert result.exit_code == 1
    assert "错误：" in result.output and "报名/推荐的结束时间应晚于开始时间" in result.output
    assert db.session.scalar(select(Selection)) is None


def test_operator_nominates_a_department_and_an_unknown_one_is_refused(runner):
    selection = make_selection()
    person(department="财务科")
    ok = runner.invoke(args=["selections", "nominate", str(selection.id), "--department", "财务科", "--reasons", "节约用电"])
    assert ok.exit_code == 0 and "财务科（集体" in ok.output
    unknown = runner.invoke(args=["selections", "nominate", str(selection.id), "--department", "不存在科", "--reasons", "好"])
    assert unknown.exit_code == 1 and "错误：没有名为「不存在科」的部门" in unknown.output


def test_operator_publishes_results_and_exports_them(runner, tmp_path):
    admin, _ = person(admin=True)
    selection = make_selection()
    nominate_people(selection.id, admin, [person()[0], person()[0]])
    early = runner.invoke(args=["selections", "publish-results", str(selection.id)])
    assert early.exit_code == 1 and "错误：投票结束后才能公布结果" in early.output
    move_to(selection.id, "counting")
    assert "并列" in runner.invoke(args=["selections", "standings", str(selection.id)]).output
    published = runner.invoke(args=["selections", "publish-results", str(selection.id)])
    assert published.exit_code == 0 and "其中 2 个并列" in published.output
    wrong = runner.invoke(args=["selections", "export", str(selection.id), "-o", str(tmp_path / "结果.csv")])
    assert wrong.exit_code == 2 and "错误：输出文件应以 .xlsx 结尾" in wrong.output
    output = tmp_path / "结果.xlsx"
    assert runner.invoke(args=["selections", "export", str(selection.id), "-o", str(output)]).exit_code == 0
    assert load_workbook(output).active["A4"].value == 1


def test_operator_runs_a_pledge_from_file_to_export(runner, tmp_path):
    body = tmp_path / "承诺.txt"
    body.write_text("本人承诺：诚实守信。", encoding="utf-8")
    created = runner.invoke(args=["pledges", "create", "--title", "诚信承诺书", "--body-file", str(body),
                                  "--opens", "2026-01-01T00:00", "--closes", "2099-01-01T00:00", "--publish"])
    assert created.exit_code == 0, created.output
    pledge = db.session.scalar(select(Pledge))
    assert pledge.status == "published" and pledge.body == "本人承诺：诚实守信。"
    staff, headers = person(department="财务科", wecom=True)
    assert "财务科：0/1（0%）" in runner.invoke(args=["pledges", "rates", str(pledge.id)]).output
    assert "已安排提醒 1 人" in runner.invoke(args=["pledges", "remind", str(pledge.id)]).output
    assert "今天已提醒过" in runner.invoke(args=["pledges", "remind", str(pledge.id)]).output
    output = tmp_path / "名单.xlsx"
    assert runner.invoke(args=["pledges", "export", str(pledge.id), "-o", str(output)]).exit_code == 0


def test_pledge_body_that_is_not_utf8_is_refused(runner, tmp_path):
    body = tmp_path / "承诺.txt"
    body.write_bytes("本人承诺".encode("gbk"))
    result = runner.invoke(args=["pledges", "create", "--title", "承诺", "--body-file", str(body),
                                 "--opens", "2026-01-01T00:00", "--closes", "2099-01-01T00:00"])
    assert result.exit_code == 1 and "错误：正文文件应为 UTF-8 编码的文本" in result.output
