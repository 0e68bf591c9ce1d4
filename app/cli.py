"""Operator commands: ``flask --app app <command>``.

Each domain's commands live in their own module under ``app/commands/``; groups are
``params.Group`` and stand-alone commands ``cls=params.Command``, so a service's ``AppError``
reaches the operator as ``错误：…`` without any command converting it. This list registers them all.
"""

from __future__ import annotations

from flask import Flask

from app.commands import (
    announcements,
    bind_requests,
    calendar,
    console,
    demo,
    events,
    festivals,
    inspections,
    ledger,
    messaging,
    roster,
    scheduling,
    selections,
    tips,
    wishes,
)

COMMANDS = (
    roster.roster_cli,
    events.events_cli,
    wishes.wishes_cli,
    announcements.announcements_cli,
    messaging.push_targets_cli,
    messaging.outbox_cli,
    scheduling.scheduler_cli,
    scheduling.jobs_command,
    scheduling.seed_reference_command,
    festivals.festivals_command,
    festivals.festival_cli,
    tips.tips_cli,
    calendar.calendar_cli,
    demo.seed_demo_command,
    demo.wechat_sandbox_command,
    selections.selections_cli,
    selections.pledges_cli,
    bind_requests.bind_requests_cli,
    ledger.plan_cli,
    ledger.ledger_cli,
    console.console_cli,

    inspections.inspections_cli,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
