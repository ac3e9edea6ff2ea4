"""How the program ends: at once, once its output is out.

A command on a large org leaves millions of objects behind (a model of 100,000 people, a
plan of 470,000 changes); the interpreter frees them one by one on its way out, 1.1 s after
a cold 100,000-person plan has printed everything. The `provisioner` program therefore keeps
what the command left (the frames its SystemExit came through) and ends the process
without freeing it: exit handlers run and the output is flushed first, so only the freeing
is skipped. With a thread still running, or under a debugger or profiler (`python -m
cProfile -m provisioner …`), the interpreter's own exit is taken instead. Commands run
in-process (tests, the bench) return as before.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def run_command(program, args: list[str] | None = None) -> tuple[object, BaseException | None]:
    """Run the click `program` as the command line does: (its exit code, the SystemExit it
    ended with, which keeps what the command built referenced)."""
    try:
        program(args=args, prog_name="provisioner")
    except SystemExit as exc:
        return exc.code, exc
    return 0, None


def end_now(code: object) -> NoReturn:
    """End the process with `code` as `sys.exit(code)` would, without freeing its objects."""
    if threading.active_count() > 1 or sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a thread to wait for, or a debugger or profiler to hand back to
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message, as sys.exit prints it
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (`| head`), a stream closed: nothing more to say
            pass
    os._exit(status & 0xFF)
