"""Work done beside the caller, in a forked child process: the second core of a CI runner
checks one thing while the first computes another.

`Beside(fn, *args)` forks; the child runs `fn(*args)` on the parent's memory as it stood
(copy-on-write: a 240 MB plan file is not copied, though pages the child writes to are),
sends the pickled result through a pipe and exits without running any of the parent's
exit handlers. `Beside(fn, waiting=True)` forks at once, while the caller is small, and
runs `fn` on the arguments `send()` pickles to it later. `result(fallback)` waits for
it. `Stream(fn, *args)` has the child send each item `fn(*args)` yields as soon as it is
made, so the caller works through one while the child makes the next. Whatever goes wrong
in the child (an exception, a kill, a lost answer) only means the parent calls
`fallback()` and does the work itself, so the outcome, refusals and their messages
included, is always the one the caller would get alone. Without `os.fork` (not
POSIX) the work is always done in the caller.
"""

from __future__ import annotations

import gc
import marshal
import os
import pickle
import signal
import sys
from typing import Callable

AVAILABLE = hasattr(os, "fork")


class Beside:
    """`Beside(fn, *args)` runs `fn(*args)` in a child forked now. `Beside(fn, waiting=True)`
    forks now and waits for `send(*args)`: a child forked while the caller is still small
    (before it reads a large org) has none of the caller's later memory to copy when it works."""

    def __init__(self, fn: Callable, *args, waiting: bool = False) -> None:
        self.pid = self._send = None
        if not AVAILABLE:
            return
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        opened: list[int] = []
        blocked = _block_signals()  # until the child is in its own hands, and the parent knows its pid
        try:
            read, write = os.pipe()
            opened += [read, write]
            given, send = os.pipe() if waiting else (None, None)
            opened += [given, send] if waiting else []
            pid = os.fork()
        except OSError:  # no pipe or no process to be had (a process limit): the caller does the work
            _restore_signals(blocked)
            for fd in opened:
                os.close(fd)
            return
        if pid == 0:  # the child: never returns
            try:
                for number in (signal.SIGINT, signal.SIGTERM):  # stopped by them, as any process
                    signal.signal(number, signal.SIG_DFL)
                _restore_signals(blocked)
                os.close(read)
                if waiting:
                    os.close(send)
                    args = _received(given)
                    if args is None:  # cancelled: nothing to do
                        return
                gc.freeze()  # collections in the child never walk (and so copy) the parent's objects
                try:
                    payload = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:  # the parent does the work itself, and says what is wrong
                    payload = pickle.dumps((False, None))
                _write_all(write, payload)
            finally:
                os._exit(0)
        os.close(write)
        if waiting:
            os.close(given)
        self.pid, self._read, self._send = pid, read, send
        try:
            _restore_signals(blocked)  # a signal held meanwhile is raised here: the child goes too
        except BaseException:
            self.cancel()
            raise

    def send(self, *args) -> None:
        """The arguments a waiting child starts work with."""
        send, self._send = self._send, None
        if send is None:
            return
        payload = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        try:  # its length first: another child forked meanwhile may hold this pipe open too
            _write_all(send, len(payload).to_bytes(8, "big") + payload)
        except OSError:  # the child is gone: result() falls back
            pass
        finally:
            os.close(send)

    def result(self, fallback: Callable):
        """The child's result, or `fallback()` when there is none (a waiting child never
        sent anything has none)."""
        if self._send is not None:  # never sent its arguments: nothing to wait for
            self.cancel()
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
        if self._send is not None:
            os.close(self._send)
            self._send = None
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        os.close(self._read)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


class Stream:
    """`Stream(fn, *args)` runs the generator `fn(*args)` in a child forked now, which sends
    each item as it is yielded (marshal: tuples, lists, strings, numbers and None only);
    iterating the Stream gives them in order. Iteration simply ends early when the child
    stops without finishing (an exception, a kill): `finished()` then says False, and the
    caller does the rest itself from the items it got, so the outcome is the one it would
    get alone. `cancel()` stops the child. No process should be forked while a Stream is
    iterated: it would hold the caller's end of the items' pipe open, and a Stream's child
    whose caller was killed would then wait on it instead of ending. Without `os.fork`,
    nothing is yielded and `finished()` is False."""

    def __init__(self, fn: Callable, *args) -> None:
        self._read = self._beside = None
        if not AVAILABLE:
            return
        try:
            read, write = os.pipe()
        except OSError:  # no file descriptors to be had: the caller does the work
            return
        try:
            try:
                self._beside = Beside(_send_each, read, write, fn, args)
            finally:
                os.close(write)  # the child's copy is the only one left: its end is the pipe's end
            if self._beside.pid is not None:
                self._read, read = read, None
        except BaseException:  # an interrupt: the child is stopped, not left to write
            if self._beside is not None:
                self._beside.cancel()
            raise
        finally:
            if read is not None:  # not kept: no child could be had, or an interrupt
                os.close(read)

    def __iter__(self):
        while self._read is not None:
            head = _read_exactly(self._read, 8)
            payload = _read_exactly(self._read, int.from_bytes(head, "big")) if head is not None else None
            if payload is None:  # the child is gone (the pipe ended) before this item
                return
            yield marshal.loads(payload)  # made by our own child, in this interpreter

    def finished(self) -> bool:
        """Whether the child yielded every item (waits for it to end)."""
        if self._beside is None:
            return False
        self._close()
        return self._beside.result(lambda: False) is True

    def cancel(self) -> None:
        self._close()
        if self._beside is not None:
            self._beside.cancel()

    def _close(self) -> None:
        if self._read is not None:
            read, self._read = self._read, None
            os.close(read)


STREAM_AHEAD = 8  # items a Stream's child makes before the caller has read them, at most


def _send_each(theirs: int, fd: int, fn: Callable, args: tuple) -> bool:
    """In a Stream's child: each item of `fn(*args)` written to `fd`, its length first, by
    a thread of its own, so that making the next item does not wait for the caller to read
    this one (a pipe holds 64 KiB), up to STREAM_AHEAD items ahead. One write call per
    item: the thread needs the interpreter only between items. `theirs`, the caller's end
    of the pipe, is closed first: once the caller is gone (killed), writing fails and the
    child ends, rather than wait for good holding what the caller held (a database session)."""
    import queue
    import threading

    os.close(theirs)

    items: queue.Queue = queue.Queue(STREAM_AHEAD)
    failed: list[BaseException] = []

    def send() -> None:
        while (payload := items.get()) is not None:
            if not failed:  # after a failure, only taken off the queue: `put` never waits for good
                try:
                    _write_all(fd, payload)
                except BaseException as exc:  # the caller is gone: nothing more is made
                    failed.append(exc)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        for item in fn(*args):
            if failed:
                raise failed[0]
            payload = marshal.dumps(item)
            items.put(len(payload).to_bytes(8, "big") + payload)
    finally:
        items.put(None)
        sender.join()
    if failed:
        raise failed[0]
    return True


def halves(fn: Callable, here, there) -> tuple:
    """(fn(here), fn(there)), the second computed by a child meanwhile (by this process when
    the child gives no answer, or without `os.fork`). The child is stopped if `fn(here)` fails."""
    beside = Beside(fn, there)
    try:
        mine = fn(here)
    except BaseException:
        beside.cancel()
        raise
    return mine, beside.result(lambda: fn(there))


SHARED_MAX = 255  # items shared one at a time: each index is one byte in a pipe


def shared(fn: Callable, items: list) -> list:
    """[fn(item) for item in items], the items taken one at a time, in order, by this
    process and a child forked now, whichever is free first (so a few slow items never
    leave one core idle while the other works through them). An index is taken by reading
    its byte from a pipe both hold, which gives each to exactly one of them. The child's
    results come back by index; whatever it took and gave no answer for (it failed, or no
    child could be had) is done here, in order, so the first item that fails is the one
    that raises, as alone. Beyond SHARED_MAX items, all are done here."""
    n = len(items)
    if n < 2 or n > SHARED_MAX or not AVAILABLE:
        return [fn(item) for item in items]
    beside, read = None, None
    try:
        read, write = os.pipe()
        try:
            _write_all(write, bytes(range(n)))  # within any pipe's buffer: nothing waits
        finally:
            os.close(write)
        beside = Beside(_taken, fn, items, read)
        mine, failed = _taken(fn, items, read)
        if failed:  # done again below, in order: the child's answers are not needed
            beside.cancel()
            theirs = {}
        else:
            theirs, _ = beside.result(lambda: ({}, True))
    except BaseException:  # an interrupt: the child is stopped, not left to finish
        if beside is not None:
            beside.cancel()
        raise
    finally:
        if read is not None:
            os.close(read)
    return [mine[i] if i in mine else theirs[i] if i in theirs else fn(items[i]) for i in range(n)]


def _taken(fn: Callable, items: list, fd: int) -> tuple[dict, bool]:
    """fn of each item whose index this process takes from the pipe `fd`, by index, and
    whether one failed (taking then stops, and that item has no answer)."""
    done = {}
    while index := os.read(fd, 1):
        try:
            done[index[0]] = fn(items[index[0]])
        except Exception:  # noqa: BLE001 - done again in order by the caller, which raises it there
            return done, True
    return done, False


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _received(fd: int) -> tuple | None:
    """The arguments sent to a waiting child; None when the pipe closed without them."""
    head = _read_exactly(fd, 8)
    payload = _read_exactly(fd, int.from_bytes(head, "big")) if head is not None else None
    os.close(fd)
    try:
        return pickle.loads(payload) if payload is not None else None  # from our own parent
    except Exception:
        return None


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _block_signals():
    """Hold SIGINT and SIGTERM (delivered once restored): a signal arriving in the child
    before it is inside its own `try` would otherwise run the caller's handlers there."""
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (AttributeError, OSError, ValueError):
        return None


def _restore_signals(blocked) -> None:
    if blocked is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
