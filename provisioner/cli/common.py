"""Shared pieces of the command line: output options, colour detection, error edges."""

from __future__ import annotations

import datetime as dt
import os
import sys

import click


def use_colour(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class DateParam(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


DATE = DateParam()

today_option = click.option(
    "--today", type=DATE, default=None, metavar="DATE",
    help="Judge dates as if today were DATE (YYYY-MM-DD); makes runs reproducible.",
)


def format_option(*choices: str, default: str = "text"):
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` on stderr and exit; used at the edge for library errors."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)
