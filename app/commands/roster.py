"""``flask --app app roster …``: import the roster, list it, people leaving and coming back, admin rights,
WeChat bindings, departments renamed and merged."""

from __future__ import annotations

from pathlib import Path

import click

from app.commands import params
from app.extensions import db
from app.models import Department
from app.services import audit, auth, roles, roster
from app.models.org import ROLE_ADMIN, ROLES
from app.services.staff import deactivate_staff, get_staff, list_staff, reactivate_staff

roster_cli = params.Group("roster", help="花名册：导入、列表、停用与恢复、授权、解绑、部门改名与合并。")


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
    staff = get_staff(db.session, employee_no)
    roles.grant_role(db.session, staff, ROLE_ADMIN, audit.Actor.cli())
    click.echo(f"已授予 {staff.name}（{staff.employee_no}）管理员角色。")


@roster_cli.command("revoke-admin")
@click.argument("employee_no")
def roster_revoke_admin(employee_no: str) -> None:
    """撤销管理员角色。"""
    staff = get_staff(db.session, employee_no)
    roles.revoke_role(db.session, staff, ROLE_ADMIN, audit.Actor.cli())
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


@roster_cli.command("deactivate")
@click.argument("employee_no")
def roster_deactivate(employee_no: str) -> None:
    """停用（人员离开）：保留其记录，吊销登录令牌，不再计入人数，不能再绑定或使用机器人。"""
    staff = get_staff(db.session, employee_no)
    revoked = deactivate_staff(db.session, staff, audit.Actor.cli())
    click.echo(f"已停用 {staff.name}（{staff.employee_no}），吊销登录令牌 {revoked} 个；其签到、认领等记录保留。")


@roster_cli.command("reactivate")
@click.argument("employee_no")
def roster_reactivate(employee_no: str) -> None:
    """恢复一名已停用的人员。"""
    staff = get_staff(db.session, employee_no)
    reactivate_staff(db.session, staff, audit.Actor.cli())
    click.echo(f"已恢复 {staff.name}（{staff.employee_no}）。")


STATES = {"active": True, "inactive": False, "all": None}


@roster_cli.command("list")
@click.option("--department", help="只看某个部门。")
@click.option("--state", type=params.Choice(list(STATES)), default="active", show_default=True,
              help="active 在册 / inactive 已停用 / all 全部。")
@click.option("--admins", is_flag=True, help="只看管理员。")
@click.option("--bound/--unbound", "bound", default=None, help="只看已绑定 / 未绑定微信的人员。")
def roster_list(department: str | None, state: str, admins: bool, bound: bool | None) -> None:
    """列出花名册：工号、姓名、部门、状态、角色、是否绑定微信（手机号打码）。"""
    entries = list_staff(db.session, department=department, active=STATES[state], admins_only=admins, bound=bound)
    if not entries:
        click.echo("没有符合条件的人员。")
        return
    for entry in entries:
        person = entry.staff
        roles = "、".join(ROLES[role] for role in person.sorted_roles if role in ROLES) or "-"
        phone = f"{person.phone[:3]}****{person.phone[-4:]}" if person.phone and len(person.phone) >= 7 else "-"
        click.echo(
            f"{person.employee_no}\t{person.name}\t{person.department.name}\t{'在册' if person.active else '已停用'}"
            f"\t{roles}\t{'已绑定' if entry.bound else '未绑定'}\t{phone}"
        )
    click.echo(f"共 {len(entries)} 人。")


@roster_cli.command("rename-department")
@click.argument("old")
@click.argument("new")
def roster_rename_department(old: str, new: str) -> None:
    """部门改名（人员随之改到新名称下）。"""
    department = roster.rename_department(db.session, old, new, audit.Actor.cli())
    click.echo(f"已将部门“{old.strip()}”改名为“{department.name}”。")


@roster_cli.command("merge-departments")
@click.argument("source")
@click.argument("target")
def roster_merge_departments(source: str, target: str) -> None:
    """把部门 SOURCE 并入 TARGET：人员（含已停用的）转入 TARGET，删除 SOURCE。"""
    moved = roster.merge_departments(db.session, source, target, audit.Actor.cli())
    click.echo(f"已将“{source.strip()}”并入“{target.strip()}”，转入 {moved} 人。")


ROLE_LABELS = list(ROLES.values())


@roster_cli.command("grant-role")
@click.argument("employee_no")
@click.argument("role", type=params.Choice(ROLE_LABELS + list(ROLES)))
@click.option("--department", default=None, help="部门联络员负责的部门（默认为本人所在部门）。")
def grant_role(employee_no: str, role: str, department: str | None) -> None:
    """授予角色：管理员、部门联络员（可指定 --department）或领导。"""
    staff = get_staff(db.session, employee_no)
    granted = roles.grant_role(db.session, staff, roles.parse_role(role), audit.Actor.cli(), department_name=department)
    scope = ""
    if granted.department_id is not None:
        scope = f"，负责部门：{db.session.get(Department, granted.department_id).name}"
    click.echo(f"已授予 {staff.name}（{staff.employee_no}）{ROLES[granted.role]}角色{scope}。")


@roster_cli.command("revoke-role")
@click.argument("employee_no")
@click.argument("role", type=params.Choice(ROLE_LABELS + list(ROLES)))
def revoke_role(employee_no: str, role: str) -> None:
    """撤销角色（下一次请求起生效）。"""
    staff = get_staff(db.session, employee_no)
    code = roles.parse_role(role)
    if not roles.revoke_role(db.session, staff, code, audit.Actor.cli()):
        raise params.CommandError(f"{staff.name}（{staff.employee_no}）没有{ROLES[code]}角色。")
    click.echo(f"已撤销 {staff.name}（{staff.employee_no}）的{ROLES[code]}角色。")
