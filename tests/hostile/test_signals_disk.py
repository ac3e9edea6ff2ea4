"""Unlucky applies (issue 7, items 1 and 9): a full or read-only disk under the state or a
saved plan, SIGINT/SIGTERM during apply, and a reader that closes the pipe early.

Disk full and read-only are real: a tiny tmpfs is mounted (tests run as root) and filled
or remounted read-only. Signals are real where the apply can be caught waiting (for the
lock); the instants just before and just after the commit are reached in-process."""

from __future__ import annotations

import datetime as dt

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli import main
from provisioner.state.sqlite import SQLiteBackend

from .corpus import MINIMAL, TRACEBACK, Case, check

TODAY = "2026-11-23"
EXTRA = "".join(f"---\nkind: InsurancePlan\nid: plan-{i}\nname: {'Plan number %d ' % i * 8}\n" for i in range(40))


def cli(tmp: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    return subprocess.run([sys.executable, "-m", "provisioner", *args], cwd=tmp, env={**env, "NO_COLOR": "1"},
                          capture_output=True, text=True, **kw)


def mount_tmpfs(path: Path, size: str, *options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs", str(path)],
                   check=True)


def fill(path: Path) -> None:
    """Write into `path` (a folder on a tmpfs) until the file system is full."""
    with open(path / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


@pytest.fixture
def mounts():
    made: list[Path] = []
    yield made
    for path in reversed(made):
        subprocess.run(["umount", "-l", str(path)], check=False)


def applied_state(tmp: Path, org: Path, fs: Path, mounts: list, size="1m") -> str:
    """A state on its own tmpfs with the minimal org applied, and an org with changes to apply."""
    mount_tmpfs(fs, size)
    mounts.append(fs)
    url = f"sqlite:///{fs.name}/s.db"
    done = cli(tmp, "apply", "org", "--auto-approve", "--state", url, "--today", TODAY)
    assert done.returncode == 0, done.stderr
    (org / "extra.yaml").write_text(EXTRA)
    return url


def test_disk_full_during_apply(tmp_path, mounts):
    fs = tmp_path / "state-fs"

    def setup(tmp, org):
        applied_state(tmp, org, fs, mounts)
        fill(fs)

    case = Case("disk-full-apply", r"(disk is full|no space).*nothing was applied",
                args=("apply", "{org}", "--auto-approve", "--state", "sqlite:///state-fs/s.db", "--today", TODAY),
                setup=setup)
    got = check(case, tmp_path)
    assert "cannot rollback" not in got.output
    assert not list(fs.glob("*-journal")) and not list(tmp_path.rglob("*.tmp"))


def test_read_only_state_on_apply(tmp_path, mounts):
    fs = tmp_path / "state-fs"

    def setup(tmp, org):
        applied_state(tmp, org, fs, mounts)
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)

    case = Case("read-only-apply", r"read-only.*nothing was applied",
                args=("apply", "{org}", "--auto-approve", "--state", "sqlite:///state-fs/s.db", "--today", TODAY),
                setup=setup)
    check(case, tmp_path)


def test_read_only_state_can_still_be_planned(tmp_path, mounts):
    fs = tmp_path / "state-fs"

    def setup(tmp, org):
        applied_state(tmp, org, fs, mounts)
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)

    check(Case("read-only-plan", r"plan-39", args=("plan", "{org}", "--state", "sqlite:///state-fs/s.db",
                                                   "--today", TODAY), setup=setup, exit=0), tmp_path)


@pytest.mark.parametrize("ro", [False, True], ids=["disk-full", "read-only"])
def test_plan_out_cannot_be_written(tmp_path, mounts, ro):
    fs = tmp_path / "out-fs"

    def setup(tmp, org):
        mount_tmpfs(fs, "8k", *(["ro"] if ro else []))
        mounts.append(fs)
        (org / "extra.yaml").write_text(EXTRA)
        if not ro:
            fill(fs)

    cause = r"read-only file system" if ro else r"no space left"
    case = Case(f"plan-out-{ro}", r"cannot write the plan to out-fs/p\.json.*" + cause,
                args=("plan", "{org}", "--out", "out-fs/p.json", "--today", TODAY), setup=setup)
    check(case, tmp_path)
    assert not [p for p in fs.iterdir() if p.name != "filler"], "a partial plan or *.tmp was left"


# -- signals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_while_waiting_for_the_lock(tmp_path, signum, code):
    shutil.copytree(MINIMAL, tmp_path / "org")
    url = "sqlite:///state.db"
    assert cli(tmp_path, "apply", "org", "--auto-approve", "--state", url, "--today", TODAY).returncode == 0
    (tmp_path / "org" / "extra.yaml").write_text(EXTRA)
    with sqlite3.connect(tmp_path / "state.db") as db:  # another apply, alive on this host, holds the lock
        db.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, 't', 'other', ?, ?, ?)",
                   (os.getpid(), socket.gethostname(),
                    dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))  # taken after it started
    before = (tmp_path / "state.db").read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    proc = subprocess.Popen([sys.executable, "-m", "provisioner", "apply", "org", "--auto-approve", "--state", url,
                             "--today", TODAY, "--lock-timeout", "60"], cwd=tmp_path, env={**env, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    while b"Plan:" not in seen:  # the plan is shown: the apply is about to wait for the lock
        line = proc.stdout.readline()
        assert line, seen.decode()
        seen += line
    time.sleep(0.5)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=10)
    output = seen.decode() + out.decode()
    assert proc.returncode == code, output[-2000:]
    assert "interrupted" in output and "nothing was applied" in output, output[-2000:]
    assert not TRACEBACK.search(output) and "Aborted!" not in output
    assert (tmp_path / "state.db").read_bytes() == before


def _serial(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT value FROM meta WHERE key = 'serial'").fetchone()[0])


@pytest.fixture
def applied(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVISIONER_STATE", raising=False)
    shutil.copytree(MINIMAL, tmp_path / "org")
    args = ["apply", "org", "--auto-approve", "--state", "sqlite:///state.db", "--today", TODAY]
    assert CliRunner().invoke(main, args).exit_code == 0
    (tmp_path / "org" / "extra.yaml").write_text(EXTRA)
    return args


def _interrupt(*_a, **_k):
    raise KeyboardInterrupt


def _terminate(*_a, **_k):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(1)  # the handler raises here
    raise AssertionError("SIGTERM was not handled")


@pytest.mark.parametrize("raiser, code", [(_interrupt, 130), (_terminate, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_before_the_commit_applies_nothing(applied, tmp_path, monkeypatch, raiser, code):
    monkeypatch.setattr(SQLiteBackend, "_write_resource", raiser)
    result = CliRunner().invoke(main, applied)
    assert result.exit_code == code, result.output
    assert "interrupted" in result.output and "nothing was applied" in result.output
    assert "Aborted!" not in result.output and _serial(tmp_path / "state.db") == 1


def test_signal_just_after_the_commit_says_it_was_applied(applied, tmp_path, monkeypatch):
    real = SQLiteBackend.apply

    def then_interrupted(self, *a, **k):
        real(self, *a, **k)
        raise KeyboardInterrupt

    monkeypatch.setattr(SQLiteBackend, "apply", then_interrupted)
    result = CliRunner().invoke(main, applied)
    assert result.exit_code == 0, result.output
    assert "interrupted" in result.output and "the plan was applied" in result.output and "serial 2" in result.output
    assert "Aborted!" not in result.output and _serial(tmp_path / "state.db") == 2


def test_sqlite_full_is_named_not_hidden_by_the_rollback(applied, tmp_path, monkeypatch):
    """SQLite's own limit, `PRAGMA max_page_count`, makes the writes fail half-way with SQLITE_FULL."""
    real = SQLiteBackend.apply

    def capped(self, *a, **k):
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        self._conn.execute(f"PRAGMA max_page_count = {pages}")
        return real(self, *a, **k)

    monkeypatch.setattr(SQLiteBackend, "apply", capped)
    result = CliRunner().invoke(main, applied)
    assert result.exit_code == 1, result.output
    assert "disk is full" in result.output and "nothing was applied" in result.output
    assert "cannot rollback" not in result.output and _serial(tmp_path / "state.db") == 1


# -- a reader that stops early (`state list | head` under pipefail) ---------------------------
@pytest.mark.parametrize("args", [("state", "list", "--state", "sqlite:///state.db"),
                                  ("validate", "org", "--today", TODAY), ("rules",),
                                  ("plan", "org", "--state", "sqlite:///state.db", "--today", TODAY)],
                         ids=["state-list", "validate", "rules", "plan"])
def test_closed_pipe_is_a_quiet_exit(tmp_path, args):
    shutil.copytree(MINIMAL, tmp_path / "org")
    assert cli(tmp_path, "apply", "org", "--auto-approve", "--state", "sqlite:///state.db",
               "--today", TODAY).returncode == 0
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    proc = subprocess.run([sys.executable, "-m", "provisioner", *args], cwd=tmp_path, env=env, stdout=write, stderr=subprocess.PIPE, timeout=30)
    os.close(write)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert not TRACEBACK.search(err) and "Exception ignored" not in err and "BrokenPipe" not in err


def test_an_interrupt_while_loading_is_one_line(tmp_path):
    """Ctrl-C while the modules are still being imported: no importlib traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    code = ("import signal, os, provisioner.__main__ as m, builtins; real = builtins.__import__\n"
            "def slow(name, *a, **k):\n"
            "    if name == 'cli': os.kill(os.getpid(), signal.SIGINT)\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = slow\nm.run()\n")
    proc = subprocess.run([sys.executable, "-c", code, "rules"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert proc.stderr.strip() == "error: interrupted while starting; nothing was changed"


def _apply_into_a_closed_pipe(tmp_path: Path, stderr_too: bool) -> subprocess.CompletedProcess:
    """Apply the minimal org with stdout (and, `stderr_too`, stderr) a pipe whose reader has gone."""
    shutil.copytree(MINIMAL, tmp_path / "org")
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    try:
        return subprocess.run([sys.executable, "-m", "provisioner", "apply", "org", "--auto-approve", "--state",
                               "sqlite:///state.db", "--today", TODAY], cwd=tmp_path, env=env, stdout=write,
                              stderr=write if stderr_too else subprocess.PIPE, timeout=60)
    finally:
        os.close(write)


def test_apply_into_a_closed_pipe_still_applies_anchors_and_exits_as_it_would(tmp_path):
    """`apply … | head -1`: the output is dropped once the reader has gone, never the work: the
    plan is applied, the anchor written, and the exit code is apply's own."""
    proc = _apply_into_a_closed_pipe(tmp_path, stderr_too=False)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert not TRACEBACK.search(err) and "Exception ignored" not in err and "BrokenPipe" not in err
    assert _serial(tmp_path / "state.db") == 1
    assert (tmp_path / "org" / ".audit" / "state-anchor.json").is_file()
    verify = cli(tmp_path, "state", "verify", "org", "--state", "sqlite:///state.db")
    assert verify.returncode == 0 and "not in the anchor" not in verify.stdout + verify.stderr


def test_apply_with_both_streams_into_a_closed_pipe_still_applies_and_anchors(tmp_path):
    """`apply … 2>&1 | head -1`: stderr's writes (notes, warnings) are dropped too, never the work."""
    proc = _apply_into_a_closed_pipe(tmp_path, stderr_too=True)
    assert proc.returncode == 0
    assert _serial(tmp_path / "state.db") == 1 and (tmp_path / "org" / ".audit" / "state-anchor.json").is_file()
