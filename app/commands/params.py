"""Click parameter types whose refusals an operator reads in Chinese.

Click's own types answer in English ("Invalid value for '--kind': 'x' is not one of …"). These
subclasses keep click's parsing and exit status (2, a usage error) and only say it in Chinese; use
them instead of ``click.Choice``, ``click.IntRange``, ``click.FloatRange`` and ``click.DateTime``,
and raise ``InvalidParameter``, ``CommandError`` and ``UsageProblem`` instead of ``click.BadParameter``,
``click.ClickException`` and ``click.UsageError``.

Command groups are ``Group`` (instead of ``flask.cli.AppGroup``) and stand-alone commands use
``cls=Command``: both turn a service's ``AppError`` into ``错误：<its message>`` (exit status 1) after
rolling the session back, so a command calls services without converting their errors itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any, NoReturn

import click
from flask.cli import AppGroup

from app.errors import AppError
from app.extensions import db


class InvalidParameter(click.BadParameter):
    """A bad option or argument value, framed in Chinese."""

    def format_message(self) -> str:
        hint = self.param_hint
        if hint is None and self.param is not None:
            hint = self.param.get_error_hint(self.ctx)
        if hint is None:
            return f"取值无效：{self.message}"
        if not isinstance(hint, str):
            hint = " / ".join(hint)
        return f"{hint} 的取值无效：{self.message}"

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", file=file, err=file is None)
        if self.ctx is not None:
            click.echo(f"运行“{self.ctx.command_path} --help”查看用法。", file=file, err=file is None)


class CommandError(click.ClickException):
    """A command's refusal, framed in Chinese (click's own says "Error: …"); exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", file=file, err=file is None)


class UsageProblem(click.UsageError):
    """Options that do not go together, framed in Chinese; exit status 2 like click's usage errors."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", file=file, err=file is None)
        if self.ctx is not None:
            click.echo(f"运行“{self.ctx.command_path} --help”查看用法。", file=file, err=file is None)


@contextmanager
def refusing_app_errors() -> Iterator[None]:
    """Run a command so that a service's ``AppError`` leaves as a ``CommandError`` with its Chinese message."""
    try:
        yield
    except AppError as exc:
        db.session.rollback()
        raise CommandError(exc.message) from exc


class Command(click.Command):
    """A stand-alone command (``@click.command(..., cls=params.Command)``) that refuses ``AppError`` in Chinese."""

    def invoke(self, ctx: click.Context) -> Any:
        with refusing_app_errors():
            return super().invoke(ctx)


class Group(AppGroup):
    """A command group whose every command (in app context) refuses ``AppError`` in Chinese."""

    def invoke(self, ctx: click.Context) -> Any:
        with refusing_app_errors():
            return super().invoke(ctx)


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"应在 {low} 到 {high} 之间"
    return f"不能小于 {low}" if low is not None else f"不能大于 {high}"


def _number(
    value: Any, number_class: type, kind: str, low: Any, high: Any, param: click.Parameter | None, ctx: click.Context | None
) -> Any:
    try:
        number = number_class(value)
    except (TypeError, ValueError):
        raise InvalidParameter(f"“{value}”不是{kind}", ctx=ctx, param=param) from None
    if (low is not None and not number >= low) or (high is not None and not number <= high):  # NaN fails both
        raise InvalidParameter(f"{number} {_range_text(low, high)}", ctx=ctx, param=param)
    return number


class Choice(click.Choice):
    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        return f"“{value}”不是可选值，应为以下之一：{'、'.join(map(str, self.choices))}"

    def fail(self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None) -> NoReturn:
        raise InvalidParameter(message, ctx=ctx, param=param)


class IntRange(click.IntRange):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        return _number(value, int, "整数", self.min, self.max, param, ctx)


def database_id() -> IntRange:
    """A database id on the command line: the same 1..2³¹−1 as ``<id:…>`` in URLs, refused in Chinese."""
    from app.converters import MAX_ID

    return IntRange(1, MAX_ID)


class FloatRange(click.FloatRange):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        return _number(value, float, "数字", self.min, self.max, param, ctx)


class DateTime(click.DateTime):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        for form in self.formats:
            try:
                return datetime.strptime(value, form)
            except ValueError:
                continue
        shapes = "、".join(form.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for form in self.formats)
        raise InvalidParameter(f"“{value}”应为 {shapes} 格式的日期", ctx=ctx, param=param)


class Text(click.ParamType):
    """Free text an operator types (a reason, a note): stripped, and ``low`` to ``high`` characters."""

    name = "text"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not self.low <= len(text) <= self.high:
            raise InvalidParameter(f"应为 {self.low} 到 {self.high} 个字符，现在是 {len(text)} 个", ctx=ctx, param=param)
        return text
