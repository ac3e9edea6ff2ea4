"""The embedded state backend: one SQLite database per organization (stdlib sqlite3).

Everything but the dialect lives in sqlstore.py. Writes run in `BEGIN IMMEDIATE`
transactions (one writer at a time); a lock row whose holder is a dead process on this
host is taken over, and `state unlock` refuses to break a live one.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

from . import integrity
from .backend import LockInfo
from .sqlstore import SQLStore


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class SQLiteBackend(SQLStore):
    def __init__(self, path: str | Path, busy_timeout: float = 30.0, org_id: str | None = None) -> None:
        self.path = Path(path)
        self.org_id = org_id
        self.key = integrity.audit_key()
        self._conn = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self.migrate()

    def _begin(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def _holder_running(self, info: LockInfo) -> bool:
        return info.host == socket.gethostname() and _pid_alive(info.pid)

    def _holder_gone(self, info: LockInfo) -> bool:
        return info.host == socket.gethostname() and not _pid_alive(info.pid)
