"""The state store both backends share: transactions, the apply lock, the hash-chained
audit log, commit records, migrations and verification, written once in portable SQL
with `?` placeholders over a DB-API connection (the outbox is mixed in from outbox.py).

A backend (sqlite.py, postgres.py) supplies only its dialect: how a write transaction
begins (serialized against every other writer), how a lock holder is known to be gone,
and where the state is, for messages (`self.path`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
import uuid
from contextlib import contextmanager, nullcontext
from itertools import islice
from typing import Callable, Iterable, Iterator

from . import audit as chain
from . import integrity, outboxcheck
from .backend import (AuditRow, LockInfo, LockTimeout, Progress, Snapshot, StaleState, StateError,
                      StoredResource, Write)
from .migrations import LATEST, VERSION_TABLE, pending
from .outbox import OutboxStore

_POLL = 0.05


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# Rows an apply sends at once: a large apply's rows are never all in memory together (each
# part in the one transaction; a later write to an address replaces an earlier one in order).
FLUSH_EVERY = 10_000
# Writes from which an apply stages its rows in a child while it sends them (two cores), and
# the rows of each part the child sends (small: the first is sent soon, the last waits little).
STAGE_BESIDE_FROM = 20_000
STREAMED_PART = 2_500

class SQLStore(OutboxStore):
    """Needs `self._conn` (autocommit, `execute(sql, params)` returning a cursor whose rows
    allow `row["column"]`, `row[0]` and `dict(row)`), `self.path`, `self.org_id`, `self.key`."""

    # -- the dialect: a backend overrides these --------------------------------------------
    def _begin(self) -> None:
        """Begin a write transaction that no other writer of this state runs beside."""
        self._conn.execute("BEGIN")

    def _begin_read(self) -> None:
        """Begin a transaction that reads one consistent snapshot."""
        self._conn.execute("BEGIN")

    def _rollback(self) -> None:
        self._conn.execute("ROLLBACK")

    def _stream(self, sql: str) -> Iterable:
        """The rows of a query, read as they are iterated rather than all at once (inside a
        transaction: `_reading` or `_transaction`)."""
        return self._conn.execute(sql)

    def _batched(self):
        """A context in which writes may be sent without waiting for each result."""
        return nullcontext()

    def _lost(self) -> bool:
        """Whether the connection is gone (and with it everything the session held)."""
        return False

    def _claim(self) -> bool:
        """Take whatever lock the backend holds beside the lock row (True when taken)."""
        return True

    def _unclaim(self) -> None:
        """Release what `_claim` took."""

    def _marked(self, token: str) -> str:
        """The token as the lock row keeps it (while `_claim`'s lock is held)."""
        return token

    def _foreign_objects(self) -> list[str]:
        """Triggers, views, rules or policies in the state's schema: the provisioner creates
        none, and one could rewrite what is sent after verification has passed."""
        return []

    def _holder_running(self, info: LockInfo) -> bool:
        """Whether the holder of a lock row is known to be still applying (its lock is not stale)."""
        raise NotImplementedError

    def _holder_gone(self, info: LockInfo) -> bool:
        """Whether the holder of a lock row is known to be gone (after `_claim`): its row is taken over."""
        raise NotImplementedError

    # -- transactions ---------------------------------------------------------------------
    _open = False  # inside a transaction: reads join it

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._begin()
        self._open = True
        try:
            yield
        except BaseException:
            self._open = False
            self._rollback()
            raise
        self._open = False
        self._conn.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[None]:
        if self._open:
            yield
            return
        self._begin_read()
        try:
            yield
        finally:
            self._rollback()

    # -- schema -------------------------------------------------------------------------
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0

    def _prepare_schema(self) -> None:
        """Inside the migration's transaction, before any table: a backend's own setup."""

    def rollback_open(self) -> None:
        """End a transaction an interruption left open (nothing of it is kept)."""
        if self._open:
            self._open = False
            self._rollback()

    def _duplicate_row(self, exc: BaseException) -> bool:
        """Whether `exc` is a row inserted where its key is taken (the dialect decides; one
        that reports it as a StateError of its own says False)."""
        return False

    def _release_failed_ok(self, exc: BaseException) -> bool:
        """Whether releasing the lock row may fail quietly with `exc` (the dialect decides)."""
        return False

    def has(self, address: str) -> bool:
        return self._conn.execute("SELECT 1 FROM resources WHERE address = ?", (address,)).fetchone() is not None

    def migrate(self) -> None:
        try:
            current = self.schema_version()
        except Exception:  # noqa: BLE001 - a new, empty database has no schema_version table yet
            self.rollback_open()
            current = 0
        if current > LATEST:
            raise StateError(f"the state at {self.path} was written by a newer provisioner (schema version "
                             f"{current}; this one knows up to {LATEST}): upgrade provisioner")
        if current and not pending(current):  # nothing to write: a read-only state can still be read
            return
        with self._transaction():
            self._prepare_schema()
            self._conn.execute(VERSION_TABLE)
            if self.schema_version() > LATEST:
                raise StateError(f"the state at {self.path} was written by a newer provisioner (schema version "
                                 f"{self.schema_version()}; this one knows up to {LATEST}): upgrade provisioner")
            for version, description, statements in pending(self.schema_version()):
                for sql in statements:
                    self._conn.execute(sql)
                self._conn.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                                   (version, description, now()))
                if version == 4:
                    self._adopt_uncommitted()
                if version == 5:
                    self._seal_outbox(now(), "migration 5")

    # -- reading ------------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._conn.execute("SELECT key, value FROM meta")}

    def read(self) -> Snapshot:
        """The state as it stands; each resource's attributes stay the JSON text stored
        (StoredResource), decoded only where they are read."""
        with self._reading():
            meta = self._meta()
            rows = self._conn.execute("SELECT address, kind, attributes, status FROM resources "
                                      "ORDER BY address").fetchall()
        words: dict[str, str] = {}  # a kind or status is one of a few words: one string each
        where = str(self.path)
        resources = {}
        for address, kind, attributes, status in rows:
            kind, status = words.setdefault(kind, kind), words.setdefault(status, status)
            resources[address] = StoredResource(address, kind, attributes, status, where)
        del rows
        serial = meta.get("serial", "0")
        if not serial.isdigit():
            raise StateError(f"the state serial in {self.path} is {serial!r}, not a number (the meta table was "
                             "edited): run `provisioner state verify`")
        return Snapshot(meta.get("lineage"), int(serial), resources)

    # -- locking ------------------------------------------------------------------------
    def lock_info(self) -> LockInfo | None:
        r = self._conn.execute("SELECT holder, pid, host, since, token FROM state_lock WHERE id = 1").fetchone()
        return LockInfo(r["holder"], r["pid"], r["host"], r["since"], r["token"]) if r else None

    def _try_lock(self, token: str, holder: str) -> tuple[bool, LockInfo | None]:
        if not self._claim():
            return False, self.lock_info()
        try:
            with self._transaction():
                info = self.lock_info()
                if info and self._holder_gone(info):
                    self._conn.execute("DELETE FROM state_lock WHERE id = 1")  # its holder died
                    info = None
                if info is None:
                    self._conn.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) "
                                       "VALUES (1, ?, ?, ?, ?, ?)",
                                       (self._marked(token), holder, os.getpid(), socket.gethostname(), now()))
        except BaseException:
            self._unclaim()
            raise
        if info is not None:
            self._unclaim()
        return info is None, info

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
                self.rollback_open()
                self._conn.execute("DELETE FROM state_lock WHERE id = 1 AND token = ?", (self._marked(token),))
            except StateError:
                if not self._lost():  # a lost session released its lock on the server
                    raise
            except Exception as exc:  # noqa: BLE001 - the dialect says which failures are harmless
                if not self._release_failed_ok(exc):
                    raise
            finally:
                self._unclaim()

    # -- writing ------------------------------------------------------------------------
    _staged: dict | None = None  # during apply: address -> resource row (None: removed)
    _staged_audit: list | None = None
    _deleting: set | None = None  # the staged addresses that may hold a row: deleted before the insert
    _touched: set | None = None  # during apply: the addresses written so far

    def _write_resource(self, write: Write, serial: int) -> None:
        """Stage one resource row for the apply's bulk write; tests patch this to fail half-way.
        An address's row is deleted before its insert where the state held one (its first
        write in this apply has a `before`, or removes it: the state is the one the writes
        were planned against, checked in this transaction), or an earlier part of this apply
        wrote it. So a resource created where the state had none is inserted without a DELETE
        (a row put there outside the provisioner is found), in whatever parts the writes are
        sent. (A plan never creates an address and then removes it: only the state's own
        addresses are removed or moved away.)"""
        r, address = write.resource, write.address
        if address not in self._touched:
            self._touched.add(address)
            if write.before is not None or r is None:
                self._deleting.add(address)
        elif address not in self._staged:  # sent with an earlier part: its row is there now
            self._deleting.add(address)
        self._staged[address] = None if r is None else (r.address, r.kind, chain.canonical(r.attributes), r.status,
                                                        serial)

    def _flush_staged(self) -> None:
        """The staged rows as three bulk statements (the same effect as one DELETE and INSERT per write)."""
        self._send_part(*self._staged_part())

    def _staged_part(self) -> tuple[list, list, list]:
        """The staged rows: (addresses deleted first, resource rows inserted, audit rows)."""
        return ([(a,) for a in self._staged if a in self._deleting],
                [row for row in self._staged.values() if row is not None], self._staged_audit)

    def _send_part(self, deleted: list, inserted: list, audited: list) -> None:
        c = self._conn
        c.executemany("DELETE FROM resources WHERE address = ?", deleted)
        c.executemany("INSERT INTO resources (address, kind, attributes, status, serial) VALUES (?, ?, ?, ?, ?)",
                      inserted)
        c.executemany("INSERT INTO audit (seq, at, actor, plan_digest, address, action, before_json, after_json, "
                      "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", audited)

    def _after_json(self, write: Write) -> str:
        """canonical(write.after); when it is the written resource itself (its attributes the
        same object), built from the attributes' text just staged instead of encoding them again."""
        after, r = write.after, write.resource
        staged = self._staged.get(write.address) if self._staged is not None and r is not None else None
        if (staged is not None and type(after) is dict and len(after) == 3 and after.get("attributes") is r.attributes
                and after.get("kind") == r.kind and after.get("status") == r.status):
            return integrity.after_text(r.kind, r.status, staged[2])
        return chain.canonical(after)

    def _audit_texts(self, write: Write) -> tuple[str, str]:
        """The audit row's `before` and `after` JSON texts of a write (a creation has no before)."""
        return "null" if write.before is None else chain.canonical(write.before), self._after_json(write)

    def _append_audit(self, meta: dict, at: str, actor: str, plan_digest: str, write: Write) -> None:
        seq = int(meta.get("audit_seq", 0)) + 1
        prev = meta.get("audit_hash", chain.GENESIS)
        before, after = self._audit_texts(write)
        digest = chain.row_digest(prev, seq, at, actor, plan_digest, write.address, write.action, before, after)
        row = (seq, at, actor, plan_digest, write.address, write.action, before, after, prev, digest)
        if self._staged_audit is not None:
            self._staged_audit.append(row)
        else:
            self._conn.execute(
                "INSERT INTO audit (seq, at, actor, plan_digest, address, action, before_json, after_json, "
                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        meta["audit_seq"], meta["audit_hash"] = str(seq), digest

    def _put_meta(self, meta: dict[str, str]) -> None:
        for key, value in meta.items():
            self._conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            self._conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))

    def apply(self, writes: Iterable[Write], *, expect: tuple[str | None, int], actor: str,
              plan_digest: str, at: dt.datetime, progress: Progress | None = None,
              operations: Iterable = (), read_back: bool = True,
              before_commit: Callable[[], None] | None = None) -> Snapshot:
        """Write every change or none, and record the operations the targets are owed in the
        same transaction (the outbox): checks lineage/serial first (StaleState). Returns the
        new state; without `read_back`, its lineage and serial only (resources left empty:
        reading 100,000 people's back costs as much as writing them). `before_commit` is
        called last in the transaction: whatever it raises rolls it all back."""
        stamp = at.isoformat(timespec="seconds")
        with self._transaction():
            meta = self._meta()
            found = (meta.get("lineage"), int(meta.get("serial", 0)))
            if found != tuple(expect):
                raise StaleState(tuple(expect), found)
            if meta.get("lineage") is None:
                meta["lineage"] = str(uuid.uuid4())
            serial = found[1] + 1
            meta["serial"] = str(serial)
            self._staged, self._staged_audit, self._deleting, self._touched = {}, [], set(), set()
            head = int(meta.get("audit_seq", 0))
            chained = chain.Appender(head, meta.get("audit_hash", chain.GENESIS), stamp, actor, plan_digest)
            try:
                self._write_all(writes, serial, chained, progress, operations)
            except Exception as exc:
                if not self._duplicate_row(exc):
                    raise
                raise StateError(f"the state at {self.path} already holds a resource this apply creates where the "
                                 f"plan found none ({exc}): the database was changed outside the provisioner. Nothing "
                                 "was applied; run `provisioner state verify`") from None
            finally:
                self._staged = self._staged_audit = self._deleting = self._touched = None
            if chained.seq != head:
                meta["audit_seq"], meta["audit_hash"] = str(chained.seq), chained.prev
            self._append_commit(meta, "apply", stamp, actor)
            self._put_meta(meta)
            if before_commit is not None:
                before_commit()
        return self.read() if read_back else Snapshot(meta["lineage"], serial, {})

    def _write_all(self, writes: Iterable[Write], serial: int, chained: chain.Appender, progress: Progress | None,
                   operations: Iterable) -> None:
        """Stage and write every resource row and audit row, FLUSH_EVERY at a time in bulk
        statements (the same transaction, in parts), and the operations owed last. Many
        writes are staged in a child meanwhile (`_sent_from_beside`); whatever it did not
        stage is staged here."""
        done = self._sent_from_beside(writes, serial, chained, progress) \
            if type(writes) is list and len(writes) >= STAGE_BESIDE_FROM else 0
        if 0 < done < len(writes):  # what the writes staged here find written before in this apply
            self._touched = {write.address for write in islice(writes, done)}
        for i, write in enumerate(islice(writes, done, None), done + 1):
            self._stage(write, serial, chained)
            if progress:
                progress(i)
            if len(self._staged_audit) >= FLUSH_EVERY:
                with self._batched():
                    self._flush_staged()
                self._staged, self._staged_audit, self._deleting = {}, [], set()
        with self._batched():
            owed = self._insert_operations(operations)
            if owed is not None:  # its row in the audit log, in the same transaction (outboxcheck.py)
                self._staged_audit.append(chained.row(outboxcheck.ADDRESS, outboxcheck.OWED, "null",
                                                      chain.canonical(owed)))
            self._flush_staged()

    def _stage(self, write: Write, serial: int, chained: chain.Appender) -> None:
        """Stage one write's resource row and its audit row, the next in `chained`."""
        self._write_resource(write, serial)
        self._staged_audit.append(chained.row(write.address, write.action, *self._audit_texts(write)))

    def _sent_from_beside(self, writes: list[Write], serial: int, chained: chain.Appender,
                          progress: Progress | None) -> int:
        """Stage the writes in a child (beside.Stream) and send each part it stages while it
        stages the next: the canonical texts and the audit chain cost as much as the
        statements, and so take the other core. Returns how many writes were sent; the
        chain (`chained`) stands after the last of them. The child's parts are exactly what
        staging here makes, so where it stops (a failure, a kill), staging here goes on from
        there and the outcome is the same."""
        from ..beside import Stream

        done, stream = 0, None
        try:
            stream = Stream(self._staged_parts, writes, serial, chained)
            for upto, deleted, inserted, audited, seq, prev in stream:
                with self._batched():
                    self._send_part(deleted, inserted, audited)
                if progress:
                    for i in range(done + 1, upto + 1):
                        progress(i)
                done, chained.seq, chained.prev = upto, seq, prev
        except BaseException:
            if stream is not None:
                stream.cancel()
            raise
        stream.finished()  # the rest, if any, is staged here
        return done

    def _staged_parts(self, writes: list[Write], serial: int, chained: chain.Appender) -> Iterator[tuple]:
        """In `_sent_from_beside`'s child: the parts the writes are sent in, each as (how many
        writes are sent with it, addresses deleted first, resource rows, audit rows, and the
        chain's seq and hash after it)."""
        self._staged, self._staged_audit, self._deleting, self._touched = {}, [], set(), set()
        last = len(writes)
        for i, write in enumerate(writes, 1):
            self._stage(write, serial, chained)
            if len(self._staged_audit) >= STREAMED_PART or i == last:
                yield (i, *self._staged_part(), chained.seq, chained.prev)
                self._staged, self._staged_audit, self._deleting = {}, [], set()

    # -- audit --------------------------------------------------------------------------
    def _audit_dicts(self) -> list[dict]:
        return [dict(r) for r in self._conn.execute("SELECT * FROM audit ORDER BY seq")]

    def audit(self) -> list[AuditRow]:
        return [AuditRow(r["seq"], r["at"], r["actor"], r["plan_digest"], r["address"], r["action"],
                         json.loads(r["before_json"]), json.loads(r["after_json"]), r["prev_hash"], r["hash"])
                for r in self._audit_dicts()]

    def verify(self) -> list[str]:
        """Every error `integrity` finds (without an anchor), as messages."""
        return [p.message for p in self.integrity() if p.error]

    def audit_count(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]

    # -- commits, integrity and the lock's deliberate release (see integrity.py) ---------------
    def commits(self) -> list[dict]:
        return [dict(r) for r in self._conn.execute("SELECT * FROM commits ORDER BY seq")]

    def stored_org(self) -> str | None:
        """The org this state belongs to (recorded by its first apply), None before."""
        return self._meta().get("org") or None

    def _append_commit(self, meta: dict, event: str, stamp: str, actor: str) -> None:
        """Seal the state as it stands inside the open transaction: one chained commit record."""
        stored = meta.get("org")
        if self.org_id and stored and stored != self.org_id:
            raise StateError(f"the state at {self.path} belongs to org {stored}, not {self.org_id}")
        if self.org_id:
            meta["org"] = self.org_id
        last = self._conn.execute("SELECT seq, mac, mac_alg FROM commits ORDER BY seq DESC LIMIT 1").fetchone()
        if last is not None and last["mac_alg"] == integrity.KEYED and not self.key:
            raise StateError(f"this state's commits are signed with {integrity.KEY_ENV}; set it to write to the "
                             "state (an unsigned commit would break the chain)")
        if event in integrity.RESOURCELESS_EVENTS and last is not None:  # no resource row changed
            prior = self._conn.execute("SELECT resources, resources_digest FROM commits WHERE seq = ?",
                                       (last["seq"],)).fetchone()
            count, digest = prior["resources"], prior["resources_digest"]
        else:
            count, digest = integrity.resources_digest(self._stream(
                "SELECT address, kind, status, attributes, serial FROM resources ORDER BY address"))
        record = {"seq": (last["seq"] if last else 0) + 1, "serial": int(meta.get("serial", 0)),
                  "lineage": meta.get("lineage") or "", "org": meta.get("org") or "", "event": event,
                  "audit_seq": int(meta.get("audit_seq", 0)), "audit_hash": meta.get("audit_hash", chain.GENESIS),
                  "resources": count, "resources_digest": digest, "at": stamp, "actor": actor}
        prev = last["mac"] if last else chain.GENESIS
        record["mac_alg"], record["mac"] = integrity.commit_mac(prev, integrity.commit_content(record), self.key)
        record["prev_mac"] = prev
        names = ", ".join(record)
        self._conn.execute(f"INSERT INTO commits ({names}) VALUES ({', '.join('?' for _ in record)})",
                           tuple(record.values()))

    def _adopt_uncommitted(self) -> None:
        """A state applied before commit records existed gets one `adopt` commit as it stands."""
        meta = self._meta()
        if meta.get("lineage"):
            self._append_commit(meta, "adopt", now(), "migration 4")
            self._put_meta(meta)

    def head(self) -> dict | None:
        """The last commit, as the anchor keeps it."""
        commits = self.commits()
        return integrity.anchor_entry(commits[-1]) if commits else None

    def integrity(self, anchor: dict | None = None, where: str = "") -> list[integrity.Problem]:
        """Everything `state verify` checks, one linear pass per table (integrity.py), on one
        snapshot. The audit log and the resources are streamed through the checks, never held
        whole: only the replay (one after text per address) is kept between the two passes."""
        with self._reading():
            meta = self._meta()
            commits, malformed = integrity.typed_commits(self.commits())
            wanted = {c["audit_seq"] for c in commits}
            chain_check, audit_hashes = chain.ChainCheck(), {}
            outbox_check = outboxcheck.OutboxCheck()

            def audit_rows():
                add = chain_check.add_values
                for row in self._stream(f"SELECT {', '.join(chain.COLUMNS)} FROM audit ORDER BY seq"):
                    add(*row)
                    seq, _, _, _, address, action, _, after_json, _, row_hash = row
                    if seq in wanted:
                        audit_hashes[seq] = row_hash
                    if action.startswith(integrity.DELIVERY_PREFIX):
                        outbox_check.event(seq, address, action, after_json)
                    yield seq, address, action, after_json

            expected = integrity.replay(audit_rows(), commits)
            first = commits[0]["serial"] if commits and commits[0]["event"] == "adopt" else None
            resource_problems = integrity.verify_resources(
                self._stream("SELECT address, kind, status, attributes, serial FROM resources ORDER BY address"),
                expected, first, commits[-1] if commits else None)
            del expected
            outbox_problems = [integrity.Problem(p) for p in self._check_outbox(outbox_check)]
        head = None
        if "audit_seq" in meta or "audit_hash" in meta:
            seq = meta.get("audit_seq", "")
            head = (int(seq) if seq.isdigit() else -1, meta.get("audit_hash", ""))
        problems = [integrity.Problem(p) for p in chain_check.finish(head)] + malformed
        problems += integrity.verify_commits(commits, audit_hashes, self.key)
        problems += integrity.verify_meta(meta, commits, chain_check.count)
        problems += resource_problems + outbox_problems
        problems += [integrity.Problem(f"the state database holds {what}, which the provisioner never creates: it "
                                       "could change rows after verification (remove it and verify again)")
                     for what in self._foreign_objects()]
        if self.org_id and meta.get("org") and meta["org"] != self.org_id:
            problems.insert(0, integrity.Problem(f"this state belongs to org {meta['org']}, not {self.org_id}"))
        lineage = meta.get("lineage") or (commits[-1]["lineage"] if commits else None)
        problems += integrity.check_anchor(anchor, where, self.org_id or meta.get("org"), lineage, commits)
        return problems

    def break_lock(self, holder: str, actor: str, at: dt.datetime) -> LockInfo:
        """Remove a stale lock held by `holder` (named on purpose), recording it in the audit log."""
        with self._transaction():
            info = self.lock_info()
            if info is None:
                raise StateError(f"the state at {self.path} is not locked; nothing to unlock")
            if info.holder != holder:
                raise StateError(f"the lock is held by {info.holder} (pid {info.pid} on {info.host}, since "
                                 f"{info.since}), not {holder}; name the holder you mean to break")
            if self._holder_running(info):
                raise StateError(f"the lock's holder {info.holder} (pid {info.pid} on {info.host}) is still "
                                 "running: it is not stale; wait for it to finish")
            self._conn.execute("DELETE FROM state_lock WHERE id = 1")
            meta = self._meta()
            stamp = at.isoformat(timespec="seconds")
            lock = {"holder": info.holder, "pid": info.pid, "host": info.host, "since": info.since}
            self._append_audit(meta, stamp, actor, "", Write("state.lock", None, "unlock", lock, None))
            self._append_commit(meta, "unlock", stamp, actor)
            self._put_meta(meta)
        return info

    def size_hint(self) -> int:
        """About how many rows verification reads: the audit log's last sequence number."""
        return int(self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit").fetchone()[0])

    def close(self) -> None:
        self._conn.close()
