"""Scheduler commands: ``flask --app app scheduler run``, ``jobs`` and ``seed-reference``."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime

import click
from flask import current_app
from sqlalchemy import select

from app.commands import params
from app.extensions import db
from app.models import SchedulerJob
from app.services import audit
from app.timeutil import format_local, local_today

scheduler_cli = params.Group("scheduler", help="定时任务进程（全系统只运行一个）。")


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """启动定时任务进程；已有进程在运行时，本进程等待接替，不会重复执行任务。"""
    from scheduler.process import SchedulerProcess

    process = SchedulerProcess(current_app._get_current_object())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: process.stop())
    click.echo("定时任务进程启动中（Ctrl-C 停止）……")
    sys.exit(process.run())


@click.command("jobs", cls=params.Command)
def jobs_command() -> None:
    """列出定时任务及下次运行时间。"""
    from scheduler.jobs import JOBS
    from scheduler.lock import lock_holder

    stored = dict(db.session.execute(select(SchedulerJob.id, SchedulerJob.next_run_time)).tuples().all())
    holder = lock_holder(db.engine)
    click.echo(f"调度进程：{'运行中（' + holder + '）' if holder else '未运行'}")
    for spec in JOBS:
        when = spec.when(current_app.config)
        if spec.id not in stored:
            next_run = "尚未登记（调度进程启动后生成）"
        elif stored[spec.id] is None:
            next_run = "已暂停"
        else:
            next_run = format_local(datetime.fromtimestamp(stored[spec.id], UTC))
        click.echo(f"{spec.id}\t{spec.description}\t{when}\t下次运行：{next_run}")
    for job_id in sorted(set(stored) - {spec.id for spec in JOBS}):
        click.echo(f"{job_id}\t（已不在任务清单中，调度进程下次启动时删除）")


@click.command("seed-reference", cls=params.Command)
def seed_reference_command() -> None:
    """安装随项目提供的参考数据（文明提示库、各节日的通知设置、本年度默认创建计划）；可重复执行，只补缺少的。"""
    from app.services import scheduling
    from app.services.ledger import plan

    settings, added_tips = scheduling.install_defaults(db.session)
    click.echo(f"参考数据已就绪：新增节日设置 {settings} 个，新增文明提示 {added_tips} 条。")
    year = local_today().year
    if plan.find_plan(db.session, year) is None:
        created = plan.init_plan(db.session, year, audit.Actor.cli())
        click.echo(f"已按实施意见安装 {year} 年默认创建计划：{len(created.areas)} 个方面，{len(created.items)} 项工作。")
