"""The command line's outer edge: what a user sees when the run itself goes wrong.

A closed pipe (`provisioner state list | head`) is quiet: the rest of the output is dropped
and the command goes on to its end, so `apply … | head` still applies, delivers and anchors,
and exits as it would have; Ctrl-C and
SIGTERM say "interrupted" (exit 130 / 143), never "Aborted!" and never a traceback; an
unexpected exception is one `error:` line (PROVISIONER_DEBUG=1 shows the traceback); a
damaged state found where it is read is one `error:` line that says so.
"""

from __future__ import annotations

import gc
import os
import signal
import sqlite3
import sys
import threading

import click

from ..state import StateError


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, like Ctrl-C's KeyboardInterrupt."""


def exit_code(interrupt: BaseException) -> int:
    return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


def _on_sigterm(signum, frame):
    raise Terminated()


def _silence_stdout(stream=None) -> None:
    """Point stdout (or `stream`) at /dev/null so that the final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, (stream or sys.stdout).fileno())
    except (OSError, ValueError, AttributeError):
        pass


# A run builds hundreds of thousands of small objects that live until it ends: with the
# default threshold (700) the cycle collector walks them all again and again, a third of a
# 10,000-person plan's time. Collections stay on, a hundred times rarer.
GC_THRESHOLDS = (100_000, 20, 10)


class _QuietPipe:
    """stdout or stderr that, once its reader has gone, drops what is written instead of
    raising: the command is not cut short between its writes (an apply between its commit
    and its anchor, `apply … 2>&1 | head` included)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            _silence_stdout(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            _silence_stdout(self._stream)
            try:
                self._stream.flush()  # what was buffered goes to /dev/null now
            except OSError:
                pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Edges(click.Group):
    """A click group whose commands end the way the module docstring says."""

    def invoke(self, ctx: click.Context):
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        code = None
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _QuietPipe(stdout), _QuietPipe(stderr)
        try:
            try:
                return super().invoke(ctx)
            except SystemExit as exc:
                code = exc.code
                raise
            finally:
                sys.stdout.flush()
        except BrokenPipeError:  # the reader has gone (`| head`): nothing more to say
            _silence_stdout()
            ctx.exit(code if isinstance(code, int) else 0)
        except KeyboardInterrupt as exc:
            click.echo("\nerror: interrupted; nothing was changed", err=True)
            ctx.exit(exit_code(exc))
        except click.exceptions.Abort:
            click.echo("error: cancelled; nothing was changed", err=True)
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except sqlite3.DatabaseError as exc:  # a damaged SQLite file, met past the command's own checks
            if os.environ.get("PROVISIONER_DEBUG"):
                raise
            damaged = "malformed" in str(exc) or "not a database" in str(exc)
            click.echo(f"error: the state database could not be read ({exc})"
                       + ("; it is damaged: restore it from a backup (then `provisioner state verify`)" if damaged
                          else ""), err=True)
            ctx.exit(1)
        except StateError as exc:  # found where the state is read, past the command's own checks
            if os.environ.get("PROVISIONER_DEBUG"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except Exception as exc:  # a bug: one line, not a traceback (unless asked for)
            if os.environ.get("PROVISIONER_DEBUG"):
                raise
            text = str(exc)
            text = text if len(text) <= 300 else text[:300] + "…"
            click.echo(f"error: internal error ({type(exc).__name__}: {text}); please report it with the "
                       "command line (PROVISIONER_DEBUG=1 shows the details)", err=True)
            ctx.exit(1)
        finally:
            sys.stdout, sys.stderr = stdout, stderr
            gc.set_threshold(*thresholds)  # as it was, for a program that runs commands in-process
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
