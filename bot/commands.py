"""The chat-command registry and its one dispatch path: match, parse, check the role, run.

A command is a function decorated with ``@registry.command``; the decorator records only metadata
(Chinese name, slash alias, required role, usage, argument parser) and the docstring's first line is
its help. ``帮助`` is generated from the registry, listing only what the sender may use.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Staff
from app.models.org import ROLES
from app.services import outbox


class UsageError(Exception):
    """Bad arguments: the sender is told the command's usage."""


@dataclass(frozen=True)
class CommandContext:
    session: Session
    staff: Staff
    msg_id: str
    now: datetime


# A handler answers one message, or several sent in order (a caption, then an image).
Reply = dict[str, Any] | list[dict[str, Any]]
Handler = Callable[[CommandContext, Any], Reply]


def no_arguments(text: str) -> None:
    if text:
        raise UsageError()


@dataclass(frozen=True)
class Command:
    name: str
    alias: str
    usage: str
    role: str | None
    handler: Handler
    parse: Callable[[str], Any]

    @property
    def summary(self) -> str:
        return (self.handler.__doc__ or "").strip().splitlines()[0] if self.handler.__doc__ else ""

    def allowed_for(self, staff: Staff) -> bool:
        return self.role is None or staff.has_role(self.role)


@dataclass
class Outcome:
    command: str | None
    replies: list[dict[str, Any]]

    @classmethod
    def of(cls, command: str | None, reply: Reply) -> Outcome:
        return cls(command, reply if isinstance(reply, list) else [reply])


_FIRST_WORD = re.compile(r"\s*(\S*)\s*(.*)", re.S)  # the rest keeps its line breaks (a multi-line 公告)


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *,
        alias: str,
        usage: str | None = None,
        role: str | None = None,
        parse: Callable[[str], Any] = no_arguments,
    ) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"command {name!r} registered twice")
            if role is not None and role not in ROLES:
                raise ValueError(f"unknown role {role!r}")
            self.commands[name] = Command(name, alias, usage or name, role, handler, parse)
            return handler

        return decorator

    def visible_to(self, staff: Staff) -> list[Command]:
        return [c for c in self.commands.values() if c.allowed_for(staff)]

    def split(self, text: str, commands: list[Command]) -> tuple[Command | None, str, str]:
        """``(command, word, arguments)``: the first word is a command's name or slash alias."""
        word, rest = _FIRST_WORD.match(text).groups()
        for command in commands:
            if word == command.name or word.lower() == command.alias:
                return command, word, rest.strip()
        # "公告：内容" also works; a bare prefix ("公告栏在哪") does not, so nothing runs by accident.
        for command in commands:
            for separator in ("：", ":"):
                if text.strip().startswith(command.name + separator):
                    return command, command.name, text.strip()[len(command.name) + 1:].strip()
        return None, word, rest.strip()

    def suggest(self, word: str, commands: list[Command]) -> str | None:
        names = {c.name: c.name for c in commands} | {c.alias: c.name for c in commands}
        match = difflib.get_close_matches(word.lower(), list(names), n=1, cutoff=0.5)
        return names[match[0]] if match else None


registry = Registry()


def dispatch(session: Session, user_id: str, text: str, *, msg_id: str, now: datetime) -> Outcome:
    """Run the command in ``text`` for WeCom user ``user_id``; returns the reply to send back."""
    staff = session.scalar(select(Staff).where(Staff.wecom_userid == user_id))
    if staff is None or not staff.active:
        return Outcome.of(None, outbox.text(
            f"您的企业微信账号（{user_id}）尚未登记在花名册中，暂时无法使用本应用。"
            "请联系管理员在花名册中填写您的企业微信账号。"
        ))
    command, word, arguments = registry.split(text, list(registry.commands.values()))
    if command is None:
        suggestion = registry.suggest(word, registry.visible_to(staff))
        hint = f"您是不是想输入「{suggestion}」？" if suggestion else ""
        return Outcome.of(None, outbox.text(f"没有「{word[:20]}」这个命令。{hint}发送「帮助」查看您可以使用的命令。"))
    if not command.allowed_for(staff):
        return Outcome.of(command.name, outbox.text(f"「{command.name}」仅限{ROLES[command.role]}使用。"))
    try:
        parsed = command.parse(arguments)
    except UsageError as exc:
        detail = f"\n{exc}" if str(exc) else ""
        return Outcome.of(command.name, outbox.text(f"用法：{command.usage}{detail}"))
    context = CommandContext(session=session, staff=staff, msg_id=msg_id, now=now)
    return Outcome.of(command.name, command.handler(context, parsed))


def help_text(staff: Staff) -> str:
    commands = registry.visible_to(staff)
    lines = [f"· {c.usage}（{c.alias}）：{c.summary}" for c in commands]
    return "您可以使用以下命令：\n" + "\n".join(lines)
