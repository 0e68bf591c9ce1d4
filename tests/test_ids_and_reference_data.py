"""Ids are never used twice (the audit log names rows by id), and a fresh install has the reference data
that ships with the project (the civility tip library, festival settings) without demo data."""

from __future__ import annotations

import sqlite3

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, select

from app import create_app
from app.civility_tips import TIPS
from app.extensions import db
from app.models import AuditLog, CivilityTip, FestivalSetting, Staff
from app.services import audit
from app.services.festivals import DEFAULTS
from app.timeutil import local_today
from tests import factories
from tests.conftest import make_config


def test_an_id_freed_by_a_delete_is_never_given_to_a_new_row(app):
    first = factories.make_staff(employee_no="I1")
    freed = factories.make_staff(employee_no="I2")
    audit.record(db.session, audit.Actor.system(), "staff.test", "staff", freed.id)
    freed_id = freed.id
    db.session.execute(delete(Staff).where(Staff.id == freed_id))
    db.session.commit()
    newcomer = factories.make_staff(employee_no="I3")
    assert newcomer.id > freed_id > first.id
    # The audit row still names no one but the deleted person.
    assert db.session.scalar(select(AuditLog.entity_id).where(AuditLog.action == "staff.test")) == str(freed_id)
    assert db.session.get(Staff, freed_id) is None


def test_every_table_with_an_integer_key_never_reuses_ids_on_sqlite(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never hand out an id twice")
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all()
    definitions = dict(rows)
    # Tables that hand out their own integer ids (a key that is another table's id, such as an
    # event's record keyed by the event, reuses nothing that table did not).
    integer_keyed = [table.name for table in db.metadata.sorted_tables
                     if len(table.primary_key.columns) == 1
                     and isinstance(next(iter(table.primary_key.columns)).type, db.Integer)
                     and not next(iter(table.primary_key.columns)).foreign_keys]
    assert {"staff", "event", "checkin", "wish", "announcement", "audit_log", "push_target"} <= set(integer_keyed)
    assert [name for name in integer_keyed if "AUTOINCREMENT" not in definitions[name]] == []


def _migrate(url: str, sandbox, tmp_path, revision: str = "head") -> None:
    app = create_app(make_config(url, sandbox, tmp_path))
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def test_fresh_install_has_the_tip_library_and_festival_settings_without_demo_data(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _migrate(url, sandbox, tmp_path)
    app = create_app(make_config(url, sandbox, tmp_path))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CivilityTip)) == len(TIPS)
        assert set(db.session.scalars(select(FestivalSetting.name))) == set(DEFAULTS)
        assert db.session.scalar(select(func.count()).select_from(Staff)) == 0
        result = app.test_cli_runner().invoke(args=["tips", "today"])
        assert result.exit_code == 0 and result.output.startswith("【文明提示·"), result.output
        db.engine.dispose()


def test_sqlite_upgrade_keeps_every_row_and_its_children(sandbox, tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    _migrate(url, sandbox, tmp_path, revision="c5a84f8ddead")
    # Rows written in that revision's own columns (today's models have more), as an older release did.
    with sqlite3.connect(path) as connection:
        now = "2026-01-05 08:00:00.000000"
        connection.execute("INSERT INTO department (name, created_at) VALUES ('办公室', ?), ('空部门', ?)", (now, now))
        staff_id = connection.execute(
            "INSERT INTO staff (name, employee_no, department_id, active, updated_at, created_at) "
            "VALUES ('老数据', 'OLD1', 1, 1, ?, ?)", (now, now)).lastrowid
        connection.execute("INSERT INTO staff_role (staff_id, role) VALUES (?, 'admin')", (staff_id,))
    _migrate(url, sandbox, tmp_path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT name FROM staff WHERE id = ?", (staff_id,)).fetchone() == ("老数据",)
        assert connection.execute("SELECT role FROM staff_role WHERE staff_id = ?", (staff_id,)).fetchall() == [("admin",)]
        assert connection.execute("SELECT count(*) FROM department").fetchone() == (2,)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_operator_seeding_reference_data_adds_only_what_is_missing(runner):
    first = runner.invoke(args=["seed-reference"])
    assert first.exit_code == 0, first.output
    year = local_today().year
    assert first.output == (f"参考数据已就绪：新增节日设置 {len(DEFAULTS)} 个，新增文明提示 {len(TIPS)} 条。\n"
                            f"已按实施意见安装 {year} 年默认创建计划：6 个方面，18 项工作。\n")
    again = runner.invoke(args=["seed-reference"])
    assert again.output == "参考数据已就绪：新增节日设置 0 个，新增文明提示 0 条。\n"
    assert "未开展 18 项" in runner.invoke(args=["plan", "status", "--year", str(year)]).output
