"""The outbox and the shadows in the state database: portable SQL over a DB-API
connection, mixed into a backend that owns the connection and its transactions.

Operations are inserted by `apply` in the same transaction as the plan's writes (an
operation is never owed without the change that owes it, nor the reverse); results are
recorded in batches, each one transaction that also moves shadows and appends audit rows.
Every change a delivery depends on is a row of the audit log, so that verification can
replay it (outboxcheck.py): the batch owed, each status change and shadow moved, the change
file written, the settings a target was reached with.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Iterable, Sequence

from ..targets.operations import MAKES_AN_ACCOUNT, Operation, OpResult, OpStatus, Shadow, superseding
from . import audit as chain
from . import outboxcheck
from .backend import Write

_COLUMNS = ("id, target, serial, seq, op_key, object, action, payload, takes_over, depends_on, status, "
            "attempts, last_error, remote_id, created_at, updated_at, file")
# Each batch owed and each status change is a row of the audit log (outboxcheck.py).
_CONTENT = ", ".join(outboxcheck.CONTENT)
# Results whose outcome is final go into the audit log: evidence of when a target received it.
_AUDITED = {str(s) for s in (OpStatus.DELIVERED, OpStatus.FAILED, OpStatus.CONFLICT, OpStatus.DRIFT,
                             OpStatus.REJECTED)}


def _operation(row) -> Operation:
    return Operation(row[0], row[1], row[2], row[3], row[4], row[5], row[6], json.loads(row[7]), row[8],
                     tuple(json.loads(row[9])), row[10], row[11], row[12], row[13], row[14], row[15], row[16])



_MAKING = ", ".join(f"'{action}'" for action in MAKES_AN_ACCOUNT)  # what an update of the same key supersedes


class OutboxStore:
    """Needs `self._conn` (a DB-API connection in autocommit mode), `self._meta()`,
    `self._append_audit(meta, at, actor, digest, write)`, `self._put_meta(meta)` and
    `self._transaction()` and `self._append_commit(meta, event, at, actor)` from the backend."""

    def _insert_operations(self, operations: Iterable[Operation]) -> dict | None:
        """Insert operations owed, each superseding what is still pending for its key; the
        `after` of the `deliver:owed` audit row the caller appends for them (None for none)."""
        c = self._conn
        inserted = []
        for op in operations:
            pending = c.execute("SELECT action, takes_over FROM operations WHERE target = ? AND op_key = ? AND "
                                f"status = ? AND action IN ({_MAKING}) ORDER BY serial DESC, seq DESC",
                                (op.target, op.key, str(OpStatus.PENDING))).fetchone()
            action, takes_over = superseding(op.action, op.takes_over, pending)
            if (action, takes_over) != (op.action, op.takes_over):
                op = replace(op, action=action, takes_over=takes_over)
            c.execute("UPDATE operations SET status = ?, updated_at = ? WHERE target = ? AND op_key = ? "
                      "AND status = ?", (str(OpStatus.SUPERSEDED), op.created_at, op.target, op.key,
                                         str(OpStatus.PENDING)))
            content = (op.id, op.target, op.serial, op.seq, op.key, op.object, op.action, chain.canonical(op.payload),
                       op.takes_over, json.dumps(list(op.depends_on)), op.created_at)
            c.execute(f"INSERT INTO operations ({_COLUMNS}) VALUES ({', '.join('?' * 17)})",
                      content[:10] + (op.status, op.attempts, op.last_error, op.remote_id, op.created_at,
                                      op.updated_at, op.file))
            inserted.append(content)
        if not inserted:
            return None
        inserted.sort(key=lambda row: (row[2], row[3]))
        return outboxcheck.owed_record(inserted)

    def pending_accounts(self) -> dict[tuple[str, str], tuple[str, str | None]]:
        """(target, key) → (action, takes_over) of the newest pending operation that makes
        the account: what an operation owed for that key supersedes (`owed.as_recorded`)."""
        rows = self._conn.execute("SELECT target, op_key, action, takes_over FROM operations WHERE status = ? AND "
                                  f"action IN ({_MAKING}) ORDER BY serial, seq",
                                  (str(OpStatus.PENDING),)).fetchall()
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def operations(self, target: str | None = None, statuses: Sequence[str] | None = None,
                   ids: Sequence[str] | None = None) -> list[Operation]:
        """Operations in the order they are owed (serial, then plan order)."""
        where, args = [], []
        if target is not None:
            where.append("target = ?")
            args.append(target)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args += [str(s) for s in statuses]
        sql = f"SELECT {_COLUMNS} FROM operations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn.execute(sql + " ORDER BY serial, seq", args).fetchall()
        found = [_operation(r) for r in rows]
        if ids is not None:
            wanted = set(ids)
            found = [op for op in found if op.id in wanted]
        return found

    def shadows(self, target: str) -> dict[str, Shadow]:
        rows = self._conn.execute("SELECT target, op_key, remote_id, version, external_id, user_name "
                                  "FROM shadows WHERE target = ?", (target,)).fetchall()
        return {r[1]: Shadow(*r) for r in rows}

    def record(self, results: Iterable[OpResult], *, at: str, actor: str) -> None:
        """Record delivery results in one transaction: operation status, shadows, audit. A
        result is a row of the audit log when its outcome is final, when it changes the
        operation's status (a re-queue) or when it moves a shadow: what verification replays."""
        results = list(results)
        if not results:
            return
        c = self._conn
        with self._transaction():
            meta = self._meta()
            audited = False
            for res in results:
                row = c.execute("SELECT target, op_key, action, status FROM operations WHERE id = ?",
                                (res.op_id,)).fetchone()
                if row is None:
                    continue  # nothing owed under that id: nothing to record
                remote = res.shadow.remote_id if res.shadow else None
                c.execute("UPDATE operations SET status = ?, attempts = ?, last_error = ?, "
                          "remote_id = COALESCE(?, remote_id), updated_at = ? WHERE id = ?",
                          (res.status, res.attempts, res.error, remote, at, res.op_id))
                moved = {}
                if res.shadow is not None:
                    s = res.shadow
                    if res.drop_shadow:
                        c.execute("DELETE FROM shadows WHERE target = ? AND op_key = ?", (s.target, res.drop_shadow))
                        moved["dropped"] = res.drop_shadow
                    c.execute("DELETE FROM shadows WHERE target = ? AND op_key = ?", (s.target, s.key))
                    c.execute("INSERT INTO shadows (target, op_key, remote_id, version, external_id, user_name, "
                              "synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (s.target, s.key, s.remote_id, s.version, s.external_id, s.user_name, at))
                    moved["shadow_key"] = s.key
                    moved["shadow"] = outboxcheck.shadow_detail(s.remote_id, s.external_id, s.user_name)
                if res.status in _AUDITED or res.status != row[3] or moved:
                    after = {"operation": res.op_id, "target": row[0], "action": row[2], "status": res.status,
                             "remote_id": remote, "error": res.error, **dict(res.detail), **moved}
                    self._append_audit(meta, at, actor, f"operation:{res.op_id}",
                                       Write(row[1], None, f"deliver:{res.status}"[:20], None, after))
                    audited = True
            if audited:
                self._append_commit(meta, "deliver", at, actor)
                self._put_meta(meta)

    def owe(self, operations: Iterable[Operation], *, at: str, actor: str) -> None:
        """Record operations owed without a state write (an adopted account to bring up to
        date, a target brought back by a refresh), in one transaction with its audit row and
        commit; ids must be new."""
        operations = list(operations)
        if operations:
            with self._transaction():
                self._event(at, actor, Write(outboxcheck.ADDRESS, None, outboxcheck.OWED, None,
                                             self._insert_operations(operations)))

    def _event(self, at: str, actor: str, write: Write) -> None:
        """One audit row of an outbox event and the commit that seals it, in the open transaction."""
        meta = self._meta()
        self._append_audit(meta, at, actor, "", write)
        self._append_commit(meta, "deliver", at, actor)
        self._put_meta(meta)

    def _seal_outbox(self, at: str, actor: str) -> None:
        """A state whose outbox was written before the audit log recorded it: one
        `deliver:sealed` row records it as it stands, and a commit seals it."""
        c = self._conn
        if not self._meta().get("lineage") or c.execute("SELECT COUNT(*) FROM operations").fetchone()[0] == 0:
            return
        recorded = c.execute("SELECT COUNT(*) FROM audit WHERE action IN (?, ?, ?)",
                             (outboxcheck.OWED, outboxcheck.SEALED, outboxcheck.REACHED)).fetchone()[0]
        if recorded:  # recorded already: its schema version was set back, and nothing is sealed again
            return
        rows = [tuple(r) for r in c.execute(f"SELECT {_CONTENT}, status, file FROM operations ORDER BY serial, seq")]
        shadows = [tuple(r) for r in c.execute("SELECT target, op_key, remote_id, external_id, user_name "
                                               "FROM shadows")]
        reached = {r[0]: r[1] for r in c.execute("SELECT target, info FROM target_info")}  # as stored
        self._event(at, actor, Write(outboxcheck.ADDRESS, None, outboxcheck.SEALED, None,
                                     outboxcheck.sealed_record(rows, shadows, reached)))

    def _check_outbox(self, check: outboxcheck.OutboxCheck) -> list[str]:
        """The operation and shadow rows against what the audit log (fed to `check`) says of them."""
        for row in self._stream(f"SELECT {_CONTENT}, status, file FROM operations ORDER BY serial, seq"):
            check.operation(tuple(row))
        for row in self._stream("SELECT target, op_key, remote_id, external_id, user_name FROM shadows"):
            check.shadow(*row)
        for row in self._stream("SELECT target, info FROM target_info"):
            check.reached(*row)
        return check.finish()

    def next_seq(self, serial: int) -> int:
        """The first free operation number at `serial` (ids are `<serial>.<seq>`)."""
        row = self._conn.execute("SELECT MAX(seq) FROM operations WHERE serial = ?", (serial,)).fetchone()
        return int(row[0] or 0) + 1

    def link(self, shadows: Iterable[Shadow], *, at: str, actor: str) -> None:
        """Adopt accounts that already exist at a target: record their shadows (the provisioner
        owns them from now on) in one transaction, each an audit event `deliver:adopted`."""
        shadows = list(shadows)
        if not shadows:
            return
        c = self._conn
        with self._transaction():
            meta = self._meta()
            for s in shadows:
                c.execute("DELETE FROM shadows WHERE target = ? AND op_key = ?", (s.target, s.key))
                c.execute("INSERT INTO shadows (target, op_key, remote_id, version, external_id, user_name, "
                          "synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (s.target, s.key, s.remote_id, s.version, s.external_id, s.user_name, at))
                after = {"target": s.target, "status": "adopted", "remote_id": s.remote_id,
                         "external_id": s.external_id, "user_name": s.user_name}
                self._append_audit(meta, at, actor, f"adopt:{s.target}", Write(s.key, None, "deliver:adopted",
                                                                               None, after))
            self._append_commit(meta, "deliver", at, actor)
            self._put_meta(meta)

    def target_info(self) -> dict[str, dict]:
        """What each target said of itself at the last delivery (its SCIM capabilities)."""
        rows = self._conn.execute("SELECT target, info FROM target_info").fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def set_target_info(self, target: str, info: dict, at: str, actor: str) -> None:
        """What `target` said of itself and the settings it was reached with. A change is a row
        of the audit log (`deliver:reached`): a plan names settings changed since, so what the
        state says of them is evidence too (outboxcheck.py)."""
        text = chain.canonical(info)
        with self._transaction():
            row = self._conn.execute("SELECT info FROM target_info WHERE target = ?", (target,)).fetchone()
            self._conn.execute("DELETE FROM target_info WHERE target = ?", (target,))
            self._conn.execute("INSERT INTO target_info (target, info, seen_at) VALUES (?, ?, ?)", (target, text, at))
            if row is None or row[0] != text:
                self._event(at, actor, Write(f"target.{target}", None, outboxcheck.REACHED, None,
                                             {"target": target, "info": info}))

    def mark_written(self, op_ids: Iterable[str], file: str, at: str, actor: str) -> None:
        """Change-file operations now written to `file` (they stay pending until confirmed): a
        `deliver:written` row, since an operation with no file is written again."""
        op_ids = list(op_ids)
        if not op_ids:
            return
        with self._transaction():
            for op_id in op_ids:
                self._conn.execute("UPDATE operations SET file = ?, updated_at = ? WHERE id = ?", (file, at, op_id))
            pairs = sorted(tuple(int(n) for n in op_id.split(".")) for op_id in op_ids)
            self._event(at, actor, Write(outboxcheck.ADDRESS, None, outboxcheck.WRITTEN, None,
                                         {"file": file, "ids": outboxcheck.ranges(pairs)}))
