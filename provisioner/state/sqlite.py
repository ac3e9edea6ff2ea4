"""The embedded state backend: one SQLite database per organization (stdlib sqlite3).

Everything but the dialect lives in sqlstore.py. Writes run in `BEGIN IMMEDIATE`
transactions (one writer at a time). The lock row is held together with an exclusive
`flock` on a file beside the database (`<db>-lock`), which the kernel releases when its
holder ends, however it ends: a row written under that lock is stale exactly when the file
lock is free, whichever pid namespace (container) its holder ran in, even under the same
host name. A row without it (written where the file could not be opened) is stale when its
holder is a dead process on this host. `state unlock` refuses to break a live one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import sqlite3
from pathlib import Path

from . import integrity
from .backend import LockInfo, NoState, StateError
from .sqlstore import SQLStore


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


REUSED_AFTER_SECONDS = 600
FILE_LOCKED = "flock:"  # the start of a lock row's token written under the file lock


def lock_file(path: Path) -> Path:
    """The file whose `flock` goes with the lock row: beside the database itself (links
    resolved, as SQLite resolves them for its journal), so every path to it shares one."""
    real = Path(os.path.realpath(path))
    return real.with_name(real.name + "-lock")


def _open_lock_file(path: Path) -> int | None:
    try:
        return os.open(lock_file(path), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:  # a read-only folder: the row alone, told stale by its pid
        return None


def _take_file_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder_alive(pid: int, since: str) -> bool:
    """The lock's holder still runs: its pid is alive and was not started after the lock was
    taken (a pid reused since, by `sleep` or by pid 1 in a container, holds no lock)."""
    if not _pid_alive(pid):
        return False
    started = _started_at(pid)
    try:
        taken = dt.datetime.fromisoformat(since).timestamp()
    except (TypeError, ValueError):
        return True
    # well after, not just after: the start time is reckoned from the boot time, which moves with
    # the wall clock (an NTP step, a resumed VM), so only a start long after the lock is a new process
    return started is None or started <= taken + REUSED_AFTER_SECONDS


def _started_at(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), from /proc; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def write_failed(exc: sqlite3.Error, path: Path) -> StateError:
    """A failed write said in words: the disk is full, the database is read-only, or SQLite's own."""
    text = str(exc)
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in text:
        cause = f"the disk holding {path} is full (SQLITE_FULL: {text})"
    elif "readonly" in text or "read-only" in text:
        cause = f"the state database {path} is read-only ({text})"
    else:
        cause = f"the state database {path} could not be written ({text})"
    return StateError(f"{cause}; nothing was applied: free space or fix permissions and apply again")


class SQLiteBackend(SQLStore):
    def __init__(self, path: str | Path, busy_timeout: float = 30.0, org_id: str | None = None,
                 create: bool = True) -> None:
        self.path = Path(path)
        self.org_id, self._busy_timeout = org_id, busy_timeout
        self.key = integrity.audit_key()
        if not create and not self.path.is_file():
            raise NoState(f"no state database at {self.path}")
        if not self.path.exists():  # owner-only from the start; SQLite's journal copies the mode
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchmod(fd, 0o600)
            os.close(fd)
        self._conn = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self.migrate()

    def _foreign_objects(self) -> list[str]:
        return [f"{kind} {name!r}" for kind, name in self._conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY name")]

    def _duplicate_row(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    def _stream(self, sql: str):
        """The rows as plain tuples (no sqlite3.Row made for each): what is streamed is only
        unpacked, and a large state's verification reads millions of rows."""
        cursor = self._conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql)

    def reopen(self) -> tuple:
        """How to open the same state on a connection of its own (another process): a
        class and its arguments."""
        return SQLiteBackend, (self.path, self._busy_timeout, self.org_id, False)  # never a new file

    def change_marker(self) -> tuple:
        """What changes whenever another connection, in any process, commits to this
        database (SQLite's data_version, asked on this connection), or the file is replaced
        or written by anything else (its device, inode, size and modification time)."""
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        try:
            info = os.stat(self.path)
        except OSError:
            return (version, None)
        return (version, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)

    def _begin(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def _rollback(self) -> None:
        """Roll back if a transaction is still open: SQLite ends it by itself on some errors
        (SQLITE_FULL), and "cannot rollback" would then hide the real cause."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def rollback_open(self) -> None:
        """End a transaction an interruption left open (nothing of it is kept)."""
        self._open = False
        self._rollback()

    def _try_lock(self, token: str, holder: str):
        try:
            return super()._try_lock(token, holder)
        except sqlite3.Error as exc:
            raise write_failed(exc, self.path) from None

    def _release_failed_ok(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error)  # a full or read-only disk: the holder's pid marks it stale

    _file_lock: int | None = None  # the open lock file, while its flock is held

    def _claim(self) -> bool:
        fd = _open_lock_file(self.path)
        if fd is None:
            return True
        if not _take_file_lock(fd):
            os.close(fd)
            return False
        self._file_lock = fd
        return True

    def _unclaim(self) -> None:
        fd, self._file_lock = self._file_lock, None
        if fd is not None:
            os.close(fd)  # the flock goes with its last descriptor (a forked child's copy too)

    def _marked(self, token: str) -> str:
        return FILE_LOCKED + token if self._file_lock is not None else token

    def _holder_running(self, info: LockInfo) -> bool:
        if info.host != socket.gethostname():
            return False
        if info.token.startswith(FILE_LOCKED):
            return self._file_lock_busy()
        return _holder_alive(info.pid, info.since)

    def _holder_gone(self, info: LockInfo) -> bool:
        if info.host != socket.gethostname():
            return False  # a network file system's flock is not to be trusted: `state unlock` breaks it
        if info.token.startswith(FILE_LOCKED) and self._file_lock is not None:
            return True  # its holder would still hold the file lock we were given
        return not _holder_alive(info.pid, info.since)

    def _file_lock_busy(self) -> bool:
        """Whether another open file holds the lock file's flock (a live holder)."""
        if self._file_lock is not None:
            return False
        fd = _open_lock_file(self.path)
        if fd is None:
            return False
        try:
            return not _take_file_lock(fd)
        finally:
            os.close(fd)
