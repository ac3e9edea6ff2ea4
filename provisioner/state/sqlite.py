"""The embedded state backend: one SQLite database per organization (stdlib sqlite3).

Everything but the dialect lives in sqlstore.py. Writes run in `BEGIN IMMEDIATE`
transactions (one writer at a time). The lock row is held together with an exclusive
`flock` on a file beside the database (`<db>-lock`, links resolved once), which the kernel
releases when its holder ends, however it ends. The row names that file's device and inode:
it is stale when we hold the flock of that very file, whichever pid namespace (container)
its holder ran in, even under the same host name. A row naming another lock file (reached
through a hard link or a bind-mounted database, or the file replaced) is never taken over
by itself; one without a lock file (an old build's, or a read-only file system's) is stale
when its holder is a dead process on this host. A lock file that cannot be opened or is
not a plain file of its own is an error, never a silent fall back to the pid. Forked
children close their copy of it. `state unlock` refuses to break a live holder.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import socket
import sqlite3
import stat
import weakref
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


def _open_lock_file(where: Path, db: Path) -> int | None:
    """The lock file, opened (created owner-only, owned like the database when made by root).
    A lock file that cannot be opened, or is not a plain file of its own, is an error: falling
    back to the pid would let a holder in another pid namespace be taken over."""
    try:
        # before opening: closing a descriptor of the database itself (a hard link put here)
        # would release every POSIX lock SQLite holds on it
        if not _plain_lock_file(os.lstat(where), db):
            raise _not_plain(where)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StateError(f"cannot open the state's lock file {where} ({exc.strerror})") from None
    try:
        fd = os.open(where, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            return None  # nothing can be written there: SQLite says so in its own words
        raise StateError(f"cannot open the state's lock file {where} ({exc.strerror}): fix its owner or "
                         "permissions, or remove it while nothing applies") from None
    try:
        st, dbst = os.fstat(fd), os.stat(db)
        if not _plain_lock_file(st, db):
            raise _not_plain(where)
        if os.geteuid() == 0 and st.st_uid != dbst.st_uid:  # as SQLite does for its journal
            os.fchown(fd, dbst.st_uid, dbst.st_gid)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _not_plain(where: Path) -> StateError:
    return StateError(f"the state's lock file {where} is not a plain file of its own (a link?): remove it "
                      "while nothing applies")


def _plain_lock_file(info: os.stat_result, db: Path) -> bool:
    """A regular file with one name, not the database under another."""
    try:
        same = os.path.samestat(info, os.stat(db))
    except OSError:
        same = False
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and not same


def _take_file_lock(fd: int, where: Path) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without flock
        raise StateError(f"cannot lock {where} ({exc.strerror})") from None
    return True


def _identity(fd: int) -> str:
    """The lock file's device and inode: a row names the very file its holder locked."""
    st = os.fstat(fd)
    return f"{st.st_dev:x}:{st.st_ino:x}"


_HOLDING: "weakref.WeakSet[SQLiteBackend]" = weakref.WeakSet()  # backends holding their lock file


def _let_go_in_child() -> None:
    """A forked child closes its copy of every held lock file: the parent's flock stays
    while the parent runs, and ends with it (a child that outlived a crashed parent would
    otherwise keep its lock)."""
    for backend in list(_HOLDING):
        fd, backend._file_lock = backend._file_lock, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
    _HOLDING.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_let_go_in_child)


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
        self._real = Path(os.path.realpath(self.path))  # before any chdir
        self._lock_path = lock_file(self._real)
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
        fd = _open_lock_file(self._lock_path, self._real)
        if fd is None:
            return True
        try:
            taken = _take_file_lock(fd, self._lock_path)
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            return False
        self._file_lock = fd
        _HOLDING.add(self)
        return True

    def _unclaim(self) -> None:
        fd, self._file_lock = self._file_lock, None
        _HOLDING.discard(self)
        if fd is not None:
            os.close(fd)  # the flock goes with it (forked children closed their copies)

    def _marked(self, token: str) -> str:
        """flock:<device>:<inode>:<token>: which lock file its holder holds."""
        return f"{FILE_LOCKED}{_identity(self._file_lock)}:{token}" if self._file_lock is not None else token

    @staticmethod
    def _recorded(info: LockInfo) -> str | None:
        parts = info.token.split(":")
        return f"{parts[1]}:{parts[2]}" if len(parts) == 4 and info.token.startswith(FILE_LOCKED) else None

    def _holder_running(self, info: LockInfo) -> bool:
        if info.host != socket.gethostname():
            return False
        if info.token.startswith(FILE_LOCKED):
            fd = _open_lock_file(self._lock_path, self._real)
            try:
                if fd is None:
                    return _holder_alive(info.pid, info.since)
                if not _take_file_lock(fd, self._lock_path):
                    return True
                if self._recorded(info) == _identity(fd):
                    return False  # the very file its holder locked is free: it has ended
            finally:
                if fd is not None:
                    os.close(fd)
        return _holder_alive(info.pid, info.since)  # another lock file (a link, replaced): the pid's word

    def _holder_gone(self, info: LockInfo) -> bool:
        if info.host != socket.gethostname():
            return False  # a network file system's flock is not to be trusted: `state unlock` breaks it
        if self._file_lock is not None and self._recorded(info) == _identity(self._file_lock):
            return True  # its holder would still hold the very file lock we were given
        if info.token.startswith(FILE_LOCKED):
            return False  # locked through another lock file (a hard link, a bind-mounted file, the file
            # replaced): not known to be gone; `state unlock` judges it
        return not _holder_alive(info.pid, info.since)
