"""The embedded state backend: one SQLite database per organization (stdlib sqlite3).

Writes happen in one `BEGIN IMMEDIATE` transaction that also checks the lineage and
serial the plan expects, appends the audit rows and moves the audit head. The apply lock
is a row in `state_lock` naming its holder, so a waiting process can say who holds it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from . import audit as chain
from .backend import AuditRow, LockInfo, LockTimeout, Progress, Resource, Snapshot, StaleState, StateError, Write
from .migrations import VERSION_TABLE, pending

_POLL = 0.05


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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


class SQLiteBackend:
    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self.migrate()

    # -- schema -------------------------------------------------------------------------
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0

    def rollback_open(self) -> None:
        """End a transaction an interruption left open (nothing of it is kept)."""
        self._rollback()

    def _rollback(self) -> None:
        """Roll back if a transaction is still open: SQLite ends it by itself on some errors
        (SQLITE_FULL), and "cannot rollback" would then hide the real cause."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def migrate(self) -> None:
        c = self._conn
        try:
            current = self.schema_version()
        except sqlite3.OperationalError:  # a new, empty database
            current = 0
        if not pending(current):  # nothing to write: a read-only state can still be read
            return
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(VERSION_TABLE)
            for version, description, statements in pending(self.schema_version()):
                for sql in statements:
                    c.execute(sql)
                c.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                          (version, description, _now()))
            c.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    # -- reading ------------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._conn.execute("SELECT key, value FROM meta")}

    def read(self) -> Snapshot:
        meta = self._meta()
        resources = {
            r["address"]: Resource(r["address"], r["kind"], json.loads(r["attributes"]), r["status"])
            for r in self._conn.execute("SELECT address, kind, attributes, status FROM resources ORDER BY address")
        }
        return Snapshot(meta.get("lineage"), int(meta.get("serial", 0)), resources)

    # -- locking ------------------------------------------------------------------------
    def lock_info(self) -> LockInfo | None:
        r = self._conn.execute("SELECT holder, pid, host, since FROM state_lock WHERE id = 1").fetchone()
        return LockInfo(r["holder"], r["pid"], r["host"], r["since"]) if r else None

    def _try_lock(self, token: str, holder: str) -> tuple[bool, LockInfo | None]:
        c = self._conn
        try:
            c.execute("BEGIN IMMEDIATE")
            info = self.lock_info()
            host = socket.gethostname()
            if info and info.host == host and not _pid_alive(info.pid):
                c.execute("DELETE FROM state_lock WHERE id = 1")  # its holder died
                info = None
            if info is None:
                c.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, ?, ?, ?, ?, ?)",
                          (token, holder, os.getpid(), host, _now()))
            c.execute("COMMIT")
            return info is None, info
        except sqlite3.Error as exc:
            self._rollback()
            raise write_failed(exc, self.path) from None
        except BaseException:
            self._rollback()
            raise

    @contextmanager
    def lock(self, holder: str, timeout: float) -> Iterator[None]:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            got, info = self._try_lock(token, holder)
            if got:
                break
            if time.monotonic() >= deadline:
                raise LockTimeout(info, timeout)
            time.sleep(_POLL)
        try:
            yield
        finally:
            try:
                self._rollback()
                self._conn.execute("DELETE FROM state_lock WHERE id = 1 AND token = ?", (token,))
            except sqlite3.Error:  # a full or read-only disk: the holder's pid marks the lock stale
                pass

    # -- writing ------------------------------------------------------------------------
    def _write_resource(self, write: Write, serial: int) -> None:
        """One resource row; tests patch this to fail half-way through an apply."""
        c = self._conn
        if write.resource is None:
            c.execute("DELETE FROM resources WHERE address = ?", (write.address,))
            return
        r = write.resource
        attrs = chain.canonical(r.attributes)
        c.execute("DELETE FROM resources WHERE address = ?", (r.address,))
        c.execute("INSERT INTO resources (address, kind, attributes, status, serial) VALUES (?, ?, ?, ?, ?)",
                  (r.address, r.kind, attrs, r.status, serial))

    def _append_audit(self, meta: dict, at: str, actor: str, plan_digest: str, write: Write) -> None:
        seq = int(meta.get("audit_seq", 0)) + 1
        prev = meta.get("audit_hash", chain.GENESIS)
        before, after = chain.canonical(write.before), chain.canonical(write.after)
        content = chain.row_content(seq, at, actor, plan_digest, write.address, write.action, before, after)
        digest = chain.row_hash(prev, content)
        self._conn.execute(
            "INSERT INTO audit (seq, at, actor, plan_digest, address, action, before_json, after_json, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, plan_digest, write.address, write.action, before, after, prev, digest))
        meta["audit_seq"], meta["audit_hash"] = str(seq), digest

    def _put_meta(self, meta: dict[str, str]) -> None:
        for key, value in meta.items():
            self._conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            self._conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))

    def apply(self, writes: Iterable[Write], *, expect: tuple[str | None, int], actor: str,
              plan_digest: str, at: dt.datetime, progress: Progress | None = None) -> Snapshot:
        """Write every change or none: checks lineage/serial first (StaleState)."""
        c = self._conn
        stamp = at.isoformat(timespec="seconds")
        try:
            c.execute("BEGIN IMMEDIATE")
            meta = self._meta()
            found = (meta.get("lineage"), int(meta.get("serial", 0)))
            if found != tuple(expect):
                raise StaleState(tuple(expect), found)
            if meta.get("lineage") is None:
                meta["lineage"] = str(uuid.uuid4())
            serial = found[1] + 1
            meta["serial"] = str(serial)
            for i, write in enumerate(writes, 1):
                self._write_resource(write, serial)
                self._append_audit(meta, stamp, actor, plan_digest, write)
                if progress:
                    progress(i)
            self._put_meta(meta)
            c.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return self.read()

    # -- audit --------------------------------------------------------------------------
    def _audit_dicts(self) -> list[dict]:
        return [dict(r) for r in self._conn.execute("SELECT * FROM audit ORDER BY seq")]

    def audit(self) -> list[AuditRow]:
        return [AuditRow(r["seq"], r["at"], r["actor"], r["plan_digest"], r["address"], r["action"],
                         json.loads(r["before_json"]), json.loads(r["after_json"]), r["prev_hash"], r["hash"])
                for r in self._audit_dicts()]

    def verify(self) -> list[str]:
        meta = self._meta()
        head = (int(meta["audit_seq"]), meta["audit_hash"]) if "audit_seq" in meta else None
        return chain.verify_chain(self._audit_dicts(), head)

    def close(self) -> None:
        self._conn.close()
