"""``flask bind-requests``: name + 工号 binds waiting for an admin (``BIND_BY_NAME=approval``)."""

from __future__ import annotations

import click

from app import timeutil
from app.commands import params
from app.extensions import db
from app.services import audit, auth

bind_requests_cli = params.Group("bind-requests", help="绑定申请：姓名+工号绑定需审核时，列出、批准、驳回。")

STATUS_LABELS = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回"}


@bind_requests_cli.command("list")
@click.option("--status", type=params.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True, help="按状态筛选。")
def list_command(status: str) -> None:
    """列出绑定申请（最新在前，最多 100 条）。"""
    requests = auth.list_bind_requests(db.session, None if status == "all" else status)
    if not requests:
        click.echo("没有绑定申请。")
    for request in requests:
        staff = request.staff
        created = timeutil.format_local(request.created_at)
        click.echo(
            f"{request.id}\t{STATUS_LABELS[request.status]}\t{staff.employee_no} {staff.name}"
            f"（{staff.department.name}）\t微信账号 {request.account_id}\t{created}\t{request.created_ip or '-'}"
        )


def _decide(decision, request_id: int, done: str) -> None:
    request = decision(db.session, request_id, audit.Actor.cli())
    click.echo(f"{done}：{request.staff.employee_no} {request.staff.name}（申请 {request.id}）")


@bind_requests_cli.command("approve")
@click.argument("request_id", type=params.database_id())
def approve_command(request_id: int) -> None:
    """批准申请：把申请人的微信账号绑定到该人员。"""
    _decide(auth.approve_bind_request, request_id, "已批准并绑定")


@bind_requests_cli.command("reject")
@click.argument("request_id", type=params.database_id())
def reject_command(request_id: int) -> None:
    """驳回申请。"""
    _decide(auth.reject_bind_request, request_id, "已驳回")
