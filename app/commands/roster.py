"""``flask --app app roster …``: import the roster, grant and revoke admin, unbind WeChat accounts."""

from __future__ import annotations

from pathlib import Path

import click

from app.commands import params
from app.extensions import db
from app.services import audit, auth, roster
from app.services.staff import get_staff

roster_cli = params.Group("roster", help="花名册：导入、授权、解绑。")


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roster_import(file: Path) -> None:
    """从 CSV 或 XLSX 导入花名册（有任何错误则整表不导入）。"""
    table = list(roster.read_table(file))
    show_progress = len(table) > 500
    with click.progressbar(length=max(len(table) - 1, 0), label="校验", hidden=not show_progress) as bar:
        parsed = roster.parse_roster(table, progress=bar.update)
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


@roster_cli.command("grant-admin")
@click.argument("employee_no")
def roster_grant_admin(employee_no: str) -> None:
    """授予管理员角色。"""
    staff = roster.set_admin(db.session, get_staff(db.session, employee_no), True, audit.Actor.cli())
    click.echo(f"已授予 {staff.name}（{staff.employee_no}）管理员角色。")


@roster_cli.command("revoke-admin")
@click.argument("employee_no")
def roster_revoke_admin(employee_no: str) -> None:
    """撤销管理员角色。"""
    staff = roster.set_admin(db.session, get_staff(db.session, employee_no), False, audit.Actor.cli())
    click.echo(f"已撤销 {staff.name}（{staff.employee_no}）的管理员角色。")


@roster_cli.command("unbind")
@click.argument("employee_no")
def roster_unbind(employee_no: str) -> None:
    """解除某人与微信账号的绑定（换手机、换微信时使用），并使其登录失效。"""
    staff = get_staff(db.session, employee_no)
    revoked = auth.unbind_staff(db.session, staff, audit.Actor.cli())
    if revoked is None:
        raise params.CommandError(f"{staff.name}（{staff.employee_no}）没有绑定微信账号。")
    click.echo(f"已解除 {staff.name}（{staff.employee_no}）的绑定，吊销登录令牌 {revoked} 个。")
