"""Operator commands: ``flask --app app <command>``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.commands import console, messaging, params, scheduling
from app.commands.events import events_cli
from app.commands.wishes import wishes_cli
from app.extensions import db
from app.models import ROLE_ADMIN, Staff
from app.services import audit, auth, roster

roster_cli = AppGroup("roster", help="花名册：导入、授权、解绑。")


def _staff_or_fail(employee_no: str) -> Staff:
    staff = db.session.scalar(select(Staff).where(Staff.employee_no == employee_no))
    if staff is None:
        raise params.CommandError(f"花名册中没有工号 {employee_no}")
    return staff


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roster_import(file: Path) -> None:
    """从 CSV 或 XLSX 导入花名册（有任何错误则整表不导入）。"""
    try:
        table = list(roster.read_table(file))
    except roster.RosterFileError as exc:
        raise params.CommandError(str(exc)) from exc
    show_progress = len(table) > 500
    try:
        with click.progressbar(length=max(len(table) - 1, 0), label="校验", hidden=not show_progress) as bar:
            parsed = roster.parse_roster(table, progress=bar.update)
    except roster.RosterFileError as exc:
        raise params.CommandError(str(exc)) from exc
    if parsed.errors:
        for error in parsed.errors:
            click.echo(error, err=True)
        raise params.CommandError(f"发现 {len(parsed.errors)} 处错误，未导入任何数据。请修正后重新导入。")
    try:
        with click.progressbar(length=len(parsed.rows), label="导入", hidden=not show_progress) as bar:
            summary = roster.import_roster(db.session, parsed.rows, audit.Actor.cli(), progress=bar.update)
    except roster.RosterImportRejected as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(error, err=True)
        raise params.CommandError(f"发现 {len(exc.errors)} 处冲突，未导入任何数据。") from exc
    click.echo(
        f"导入完成：新增 {summary.created} 人，更新 {summary.updated} 人，"
        f"未变 {summary.unchanged} 人，新建部门 {summary.departments_created} 个。"
    )


def _set_admin(employee_no: str, granted: bool) -> Staff:
    staff = _staff_or_fail(employee_no)
    if granted:
        staff.grant(ROLE_ADMIN)
    else:
        staff.revoke(ROLE_ADMIN)
    action = "staff.grant_role" if granted else "staff.revoke_role"
    audit.record(db.session, audit.Actor.cli(), action, "staff", staff.id, role=ROLE_ADMIN)
    db.session.commit()
    return staff


@roster_cli.command("grant-admin")
@click.argument("employee_no")
def roster_grant_admin(employee_no: str) -> None:
    """授予管理员角色。"""
    staff = _set_admin(employee_no, granted=True)
    click.echo(f"已授予 {staff.name}（{staff.employee_no}）管理员角色。")


@roster_cli.command("revoke-admin")
@click.argument("employee_no")
def roster_revoke_admin(employee_no: str) -> None:
    """撤销管理员角色。"""
    staff = _set_admin(employee_no, granted=False)
    click.echo(f"已撤销 {staff.name}（{staff.employee_no}）的管理员角色。")


@roster_cli.command("unbind")
@click.argument("employee_no")
def roster_unbind(employee_no: str) -> None:
    """解除某人与微信账号的绑定（换手机、换微信时使用），并使其登录失效。"""
    staff = _staff_or_fail(employee_no)
    revoked = auth.unbind_staff(db.session, staff, audit.Actor.cli())
    if revoked is None:
        raise params.CommandError(f"{staff.name}（{staff.employee_no}）没有绑定微信账号。")
    click.echo(f"已解除 {staff.name}（{staff.employee_no}）的绑定，吊销登录令牌 {revoked} 个。")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """写入演示数据（部门、20 名人员等），可重复执行。"""
    from app.demo import seed_demo

    result = seed_demo(db.session)
    click.echo(f"演示数据已就绪：新增人员 {result['staff_created']} 人，新增部门 {result['departments_created']} 个。")


@click.command("wechat-sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="只应监听回环地址。")
@click.option("--port", default=8001, show_default=True, type=params.IntRange(1, 65535))
@click.option("--robot-limit", default=20, show_default=True, type=params.IntRange(1, 10_000), help="每个群机器人每窗口可发条数。")
@click.option("--robot-window", default=60.0, show_default=True, type=params.FloatRange(0.1, 3600.0), help="群机器人限流窗口（秒）。")
@click.option("--risky-words", default="赌博,诈骗,毒品", show_default=True, help="内容安全检测判为 risky 的词。")
@click.option("--review-words", default="敏感,待审", show_default=True, help="判为 review 的词。")
def wechat_sandbox_command(
    host: str, port: int, robot_limit: int, robot_window: float, risky_words: str, review_words: str
) -> None:
    """运行微信/企业微信接口沙箱（离线演示与测试用）。"""
    from sandbox import SandboxSettings
    from sandbox.server import SandboxServer

    config = current_app.config
    settings = SandboxSettings(
        wechat_appid=config["WECHAT_APPID"],
        wechat_secret=config["WECHAT_SECRET"],
        wecom_corp_id=config["WECOM_CORP_ID"],
        wecom_secret=config["WECOM_SECRET"],
        robot_limit=robot_limit,
        robot_window=robot_window,
        risky_words=[w for w in risky_words.split(",") if w],
        review_words=[w for w in review_words.split(",") if w],
    )
    server = SandboxServer(settings, host=host, port=port, quiet=False)
    click.echo(f"微信沙箱已启动：{server.url}（Ctrl-C 停止）")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


def init_app(app: Flask) -> None:
    app.cli.add_command(events_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(wechat_sandbox_command)
    app.cli.add_command(wishes_cli)
    messaging.init_app(app)
    scheduling.init_app(app)
    console.init_app(app)  # after the roster group: adds roster grant-role/revoke-role
