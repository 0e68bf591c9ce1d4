"""Console commands: ``flask console set-password 工号``, ``console sandbox-users`` and ``console seed-large``
(roles are granted with ``flask roster grant-role``)."""

from __future__ import annotations

import click
import requests
from flask import current_app
from sqlalchemy import select

from app.commands import params
from app.extensions import db
from app.models import Department, Staff
from app.services import audit, console_auth, roles
from app.services.staff import get_staff

console_cli = params.Group("console", help="管理后台：设置登录密码、沙箱通讯录、性能测试数据。")



@console_cli.command("set-password")
@click.argument("employee_no")
def set_password(employee_no: str) -> None:
    """设置某人的管理后台登录密码（输入两次，至少 12 个字符）。"""
    staff = get_staff(db.session, employee_no)
    password = click.prompt("新密码", hide_input=True)
    again = click.prompt("再次输入", hide_input=True)
    if password != again:
        raise params.CommandError("两次输入的密码不一致，未修改。")
    console_auth.set_password(db.session, staff, password, audit.Actor.cli())
    note = "" if roles.has_console_role(staff) else "（此人还没有后台角色，请用 roster grant-role 授予后才能登录）"
    click.echo(f"已为 {staff.name}（{staff.employee_no}）设置管理后台密码。{note}")


@console_cli.command("sandbox-users")
def sandbox_users() -> None:
    """把花名册中有企业微信账号的人员告诉微信沙箱（离线演示的扫码登录页从中选择）。"""
    base = current_app.config["WECHAT_API_BASE"]
    if not base:
        raise params.CommandError("未设置 WECHAT_API_BASE：只有沙箱需要这一步。")
    rows = db.session.execute(
        select(Staff.wecom_userid, Staff.name, Department.name)
        .join(Department, Department.id == Staff.department_id)
        .where(Staff.wecom_userid.is_not(None), Staff.active.is_(True))
    ).all()
    users = [{"userid": userid, "name": name, "department": department} for userid, name, department in rows]
    try:
        response = requests.put(f"{base}/_sandbox/wecom/users", json={"users": users}, timeout=5)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise params.CommandError(f"无法连接微信沙箱（{base}）：{exc}") from exc
    click.echo(f"已向微信沙箱登记 {len(users)} 名企业微信成员。")


@console_cli.command("seed-large")
@click.option("--staff", default=2000, show_default=True, type=params.IntRange(1, 100_000))
@click.option("--events", default=500, show_default=True, type=params.IntRange(1, 10_000))
@click.option("--checkins", default=50_000, show_default=True, type=params.IntRange(1, 1_000_000))
def seed_large(staff: int, events: int, checkins: int) -> None:
    """写入大量演示数据（2000 人、20 个部门、500 场活动、5 万条签到、200 个心愿），用于性能测试；只用于空的测试库。"""
    from app.demo_console import seed_large as seed

    result = seed(db.session, staff=staff, events=events, checkins=checkins)
    click.echo(f"已写入：人员 {result['staff']}，活动 {result['events']}，签到记录 {result['checkins']}，心愿 {result['wishes']}。")
