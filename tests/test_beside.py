"""beside.py: work done in a forked child process, the caller doing it itself whenever the
child gives no answer, so the outcome never depends on where it was done."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time

import pytest

from provisioner import beside
from provisioner.beside import Beside


def test_the_childs_answer_is_the_result_and_the_fallback_is_not_called():
    parent = os.getpid()
    work = Beside(lambda n: (os.getpid(), sum(range(n))), 1000)
    pid, total = work.result(lambda: pytest.fail("fallback called"))
    assert total == 499500 and pid != parent  # computed in another process


def test_an_exception_in_the_child_means_the_caller_does_the_work():
    def broken():
        raise ValueError("no")

    assert Beside(broken).result(lambda: "done here") == "done here"


def test_a_child_killed_before_it_answers_means_the_caller_does_the_work():
    work = Beside(time.sleep, 30)
    os.kill(work.pid, signal.SIGKILL)
    assert work.result(lambda: "done here") == "done here"


def test_an_answer_that_cannot_be_sent_means_the_caller_does_the_work():
    assert Beside(lambda: (lambda: None)).result(lambda: "done here") == "done here"  # a lambda: no pickle


def test_a_large_answer_comes_whole():
    text = "x" * (5 << 20)
    assert Beside(lambda: text).result(lambda: None) == text


def test_cancel_stops_a_running_child_and_reaps_it():
    work = Beside(time.sleep, 30)
    pid = work.pid
    started = time.monotonic()
    work.cancel()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left
    work.cancel()  # twice is harmless


def test_without_fork_the_work_is_done_in_the_caller(monkeypatch):
    monkeypatch.setattr(beside, "AVAILABLE", False)
    work = Beside(lambda: pytest.fail("run in a child"))
    assert work.pid is None and work.result(lambda: os.getpid()) == os.getpid()


def test_an_interrupt_while_waiting_stops_the_child_at_once():
    """Ctrl-C or SIGTERM to the caller alone, while it waits: the child is killed and
    reaped, not waited for (a stopped child would hang the caller otherwise)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    work = Beside(time.sleep, 30)
    pid = work.pid
    os.kill(pid, signal.SIGSTOP)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            work.result(lambda: pytest.fail("fallback called"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_waiting_child_works_on_what_it_is_sent_later():
    work = Beside(lambda a, b: (os.getpid(), a * b), waiting=True)
    big = "x" * (3 << 20)  # more than a pipe holds: sent while the child reads
    work.send(6, 7)
    pid, product = work.result(lambda: pytest.fail("fallback called"))
    assert product == 42 and pid != os.getpid()
    echo = Beside(len, waiting=True)
    echo.send(big)
    assert echo.result(lambda: pytest.fail("fallback called")) == len(big)


def test_a_waiting_child_never_sent_anything_is_stopped_not_waited_for():
    work = Beside(lambda: pytest.fail("ran"), waiting=True)
    pid = work.pid
    started = time.monotonic()
    assert work.result(lambda: "done here") == "done here"
    assert time.monotonic() - started < 5 and _gone(pid)


def test_a_sibling_holding_the_pipe_does_not_delay_a_waiting_child():
    """A child forked after the waiting one holds its pipe open too: the arguments are
    framed by their length, so the waiting child starts without waiting for EOF."""
    work = Beside(lambda n: n + 1, waiting=True)
    sibling = Beside(time.sleep, 30)  # inherits the pipe's write end
    try:
        started = time.monotonic()
        work.send(41)
        assert work.result(lambda: pytest.fail("fallback called")) == 42
        assert time.monotonic() - started < 10
    finally:
        sibling.cancel()


def test_cancelling_a_waiting_child_reaps_it():
    work = Beside(lambda: None, waiting=True)
    pid = work.pid
    work.cancel()
    assert _gone(pid)
    work.send(1)  # too late: nothing happens
    assert work.result(lambda: "done here") == "done here"


@pytest.mark.parametrize("failing", ["fork", "pipe"])
def test_no_process_to_be_had_means_the_caller_does_the_work(monkeypatch, failing):
    """A process limit (EAGAIN) or no file descriptors: no error, the work is done here."""
    def refuse(*_):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    opened = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(beside.os, failing, refuse)
    work = Beside(lambda: "beside")
    assert work.pid is None and work.result(lambda: "done here") == "done here"
    waiting = Beside(lambda: "beside", waiting=True)
    waiting.send(1)
    assert waiting.result(lambda: "done here") == "done here"
    monkeypatch.undo()
    assert len(os.listdir("/proc/self/fd")) == opened  # no pipe left open


def test_the_child_dies_of_sigterm_as_any_process():
    work = Beside(time.sleep, 30)
    os.kill(work.pid, signal.SIGTERM)
    started = time.monotonic()
    assert work.result(lambda: "done here") == "done here"
    assert time.monotonic() - started < 5


def test_halves_are_computed_here_and_in_a_child_and_a_failure_here_stops_the_child():
    parent = os.getpid()
    here, there = beside.halves(lambda part: (os.getpid(), sum(part)), [1, 2], [3, 4])
    assert here == (parent, 3) and there[1] == 7 and there[0] != parent
    _stops_the_child(lambda work: beside.halves(work, "here", "there"))


def _stops_the_child(share) -> None:
    """`share(work)`, with work that fails in this process and sleeps in any other, raises
    the failure and leaves no child behind."""
    from tests.plan.test_state_check import _children

    parent = os.getpid()

    def slow_there_failing_here(_):
        if os.getpid() == parent:
            raise ValueError("here")
        time.sleep(60)

    before = _children()
    with pytest.raises(ValueError):
        share(slow_there_failing_here)
    assert _children() - before == set()  # stopped and reaped, not left to sleep


def _slowly(item):
    """An item's work, slow enough that the child is running before this process is done."""
    time.sleep(0.02)
    return os.getpid(), item * item


def test_shared_items_are_taken_by_both_processes_once_each_and_come_back_in_order():
    parent = os.getpid()
    out = beside.shared(_slowly, list(range(30)))
    assert [square for _, square in out] == [i * i for i in range(30)]
    workers = {pid for pid, _ in out}
    assert parent in workers and len(workers) == 2  # each item once, by whichever was free


def test_shared_items_the_child_took_and_never_answered_for_are_done_here():
    parent = os.getpid()

    def fails_there(item):
        if os.getpid() != parent:
            raise MemoryError("the child gives up")
        return _slowly(item)

    out = beside.shared(fails_there, list(range(12)))
    assert out == [(parent, i * i) for i in range(12)]


def test_shared_work_that_fails_here_stops_the_child():
    _stops_the_child(lambda work: beside.shared(work, [1, 2, 3]))


@pytest.mark.parametrize("count", [1, beside.SHARED_MAX + 1])
def test_too_few_or_too_many_items_are_done_here(count):
    assert beside.shared(lambda item: (os.getpid(), item), list(range(count))) == \
        [(os.getpid(), i) for i in range(count)]


def test_shared_items_that_fail_raise_as_they_would_alone():
    """The first item that fails, in order, is the one that raises, whichever process took it."""
    def fails_at_3_and_6(item):
        time.sleep(0.01)
        if item in (3, 6):
            raise ValueError(f"item {item}")
        return item

    for _ in range(3):
        with pytest.raises(ValueError, match="item 3"):
            beside.shared(fails_at_3_and_6, list(range(10)))


def _counted(n: int, fail_after: int | None = None, exit_after: int | None = None):
    for i in range(n):
        if i == fail_after:
            raise ValueError("no")
        if i == exit_after:
            time.sleep(0.5)  # what was made is sent meanwhile
            os._exit(0)  # killed, in effect: no end, no answer
        yield (i, os.getpid(), "é" * i, [(i, None)])


def test_a_stream_gives_the_childs_items_in_order_as_they_are_made():
    stream = beside.Stream(_counted, 500)
    items = list(stream)
    assert [i for i, *_ in items] == list(range(500))
    assert {pid for _, pid, *_ in items} != {os.getpid()}  # made in another process
    assert items[7] == (7, items[7][1], "é" * 7, [(7, None)])  # marshal keeps tuples, lists, text and None
    assert stream.finished()


@pytest.mark.parametrize("stop", ["fail_after", "exit_after"])
def test_a_stream_whose_child_stops_ends_early_and_says_it_did_not_finish(stop):
    stream = beside.Stream(functools.partial(_counted, 500, **{stop: 123}))
    assert [i for i, *_ in stream] == list(range(123))  # every item made before, none after
    assert not stream.finished()


def test_a_large_item_comes_whole_past_the_pipes_buffer():
    def large():
        yield "x" * (5 << 20)
        yield "y"

    stream = beside.Stream(large)
    assert list(stream) == ["x" * (5 << 20), "y"] and stream.finished()


def test_a_cancelled_stream_stops_its_child_and_reaps_it():
    stream = beside.Stream(_counted, 10 ** 9)
    first = next(iter(stream))
    pid = stream._beside.pid
    stream.cancel()
    assert first[0] == 0 and _gone(pid)
    assert not stream.finished()


@pytest.mark.parametrize("failing", ["fork", "pipe", None])
def test_a_stream_without_a_child_gives_nothing_and_is_not_finished(monkeypatch, failing):
    def refuse(*_):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    opened = len(os.listdir("/proc/self/fd"))
    if failing:
        monkeypatch.setattr(beside.os, failing, refuse)
    else:
        monkeypatch.setattr(beside, "AVAILABLE", False)
    stream = beside.Stream(_counted, 5)
    assert list(stream) == [] and not stream.finished()
    monkeypatch.undo()
    assert len(os.listdir("/proc/self/fd")) == opened  # no pipe left open


def test_a_streams_child_makes_only_so_many_items_ahead_of_the_caller(tmp_path):
    """An item is made only once the caller has read all but STREAM_AHEAD (and those in
    the pipe and being written) of those before it: a slow caller never has the child
    hold the whole stream."""
    made = tmp_path / "made"

    def counting():
        for i in range(10_000):
            with open(made, "a") as log:
                log.write(".")
            yield "x" * 100_000  # more than a pipe holds: each waits to be read

    stream = beside.Stream(counting)
    try:
        first = next(iter(stream))
        time.sleep(0.5)
        assert first == "x" * 100_000 and len(made.read_text()) <= beside.STREAM_AHEAD + 4
    finally:
        stream.cancel()


# Reads one item of an endless Stream, says its child's pid, and is killed.
_KILLED_CALLER = """
import os, signal
from provisioner import beside

def endless():
    while True:
        yield "x" * 100_000

stream = beside.Stream(endless)
next(iter(stream))
print(stream._beside.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # ended, not yet reaped by its new parent
    except FileNotFoundError:
        return True


def test_a_streams_child_ends_when_its_caller_is_killed():
    """Killed, the caller never cancels: the child finds its pipe closed and ends, rather than
    wait for good holding what the caller held (an apply's database session, and so its lock)."""
    done = subprocess.run([sys.executable, "-c", _KILLED_CALLER], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _ended(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(pid)
