"""Work done beside the caller, in a forked child process: the second core of a CI runner
checks one thing while the first computes another.

`Beside(fn, *args)` forks; the child runs `fn(*args)` on the parent's memory as it stood
(copy-on-write: a 240 MB plan file, or the model of a large org, is not copied), sends the pickled result through a pipe
and exits without running any of the parent's exit handlers. `result(fallback)` waits for
it. Whatever goes wrong in the child (an exception, a kill, a lost answer) only means the
parent calls `fallback()` and does the work itself, so the outcome, refusals and their
messages included, is always the one the caller would get alone. Without `os.fork` (not
POSIX) the work is always done in the caller.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from typing import Callable

AVAILABLE = hasattr(os, "fork")


class Beside:
    def __init__(self, fn: Callable, *args) -> None:
        self.pid = None
        if not AVAILABLE:
            return
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(read)
                gc.freeze()  # collections in the child never walk (and so copy) the parent's objects
                try:
                    payload = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:  # the parent does the work itself, and says what is wrong
                    payload = pickle.dumps((False, None))
                view = memoryview(payload)
                while view:
                    view = view[os.write(write, view):]
            finally:
                os._exit(0)
        os.close(write)
        self.pid, self._read = pid, read

    def result(self, fallback: Callable):
        """The child's result, or `fallback()` when there is none."""
        if self.pid is None:
            return fallback()
        chunks = []
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
        except BaseException:  # Ctrl-C, SIGTERM: the child is stopped, not waited for
            self.cancel()
            raise
        self._reap()
        try:
            ok, value = pickle.loads(b"".join(chunks))  # our own child's answer
        except Exception:  # killed before it answered
            return fallback()
        return value if ok else fallback()

    def cancel(self) -> None:
        """Stop the child if it still runs (the caller gave up: an error, Ctrl-C)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    def _reap(self) -> None:
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        os.close(self._read)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
