"""The outbox and the shadows against the audit log: what `state verify` checks of the
operations owed to targets and of the target ids the state holds.

What a target is sent comes from the `operations` table, and which account it goes to from
the `shadows` table; so both are in the hash-chained audit log, not beside it:
- each batch of operations owed (an apply's, an adopt's or a refresh's) is one
  `deliver:owed` row at the address `outbox`, written in the same transaction: the ids it
  owes (as ranges) and the sha256 digest of what each one sends (target, key, action,
  payload, takes_over, dependencies, serial and time owed);
- every change of an operation's status is a `deliver:<status>` row (delivered, failed, a
  re-queue to pending, ...), and every shadow a result moves is named in that row;
- the change file a change-file operation was written to is a `deliver:written` row (one
  with none is written again), and the settings a target was reached with (url, token_env,
  what it supports) a `deliver:reached` row whenever they change;
- a state whose outbox was written before it was recorded this way gets one
  `deliver:sealed` row (migration 5): its operations, their statuses and change files,
  shadows and target settings as they then stood. Only ever one: a seal after rows of the
  outbox's own is named.

Verification replays those rows: an operation row that no `deliver:owed` row owes (written
by hand), one whose content differs from its digest, one whose status is not the one the log
leaves it in (a delivered operation put back to pending), a shadow no row put there or one
pointing at another account, a change file cleared or changed and target settings edited are
each named. Superseding is replayed too: an operation owed while another for the same key is
pending supersedes it (state/outbox.py). Pure functions.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from typing import Iterable, Sequence

from ..canonical import canonical, canonical_bytes

ADDRESS = "outbox"
OWED = "deliver:owed"
SEALED = "deliver:sealed"
WRITTEN = "deliver:written"  # change-file operations written to a file (an operation with none is written again)
REACHED = "deliver:reached"  # what a target said of itself and the settings it was reached with, when that changes
PENDING, SUPERSEDED = "pending", "superseded"
# The columns of an operation that never change once it is owed: what its digest covers.
CONTENT = ("id", "target", "serial", "seq", "op_key", "object", "action", "payload", "takes_over", "depends_on",
           "created_at")


def _line(row: Sequence) -> bytes:
    return canonical_bytes(list(row)) + b"\n"


def ranges(ids: Iterable[tuple[int, int]]) -> list[list[int]]:
    """(serial, seq) pairs in order as [serial, first seq, last seq] runs."""
    out: list[list[int]] = []
    for serial, seq in ids:
        if out and out[-1][0] == serial and out[-1][2] + 1 == seq:
            out[-1][2] = seq
        else:
            out.append([serial, seq, seq])
    return out


def _runs(runs) -> list[tuple[int, int, int]] | None:
    """`runs` as (serial, first, last) tuples; None when they are not runs (an edited row)."""
    out = []
    try:
        for serial, first, last in runs:
            if not all(type(n) is int for n in (serial, first, last)) or last < first:
                return None
            out.append((serial, first, last))
    except (TypeError, ValueError):
        return None
    return out


def owed_record(rows: Sequence[Sequence]) -> dict:
    """The `after` of a `deliver:owed` row for operations just owed (their CONTENT columns as
    stored, in (serial, seq) order)."""
    digest = hashlib.sha256()
    targets: dict[str, int] = {}
    for row in rows:
        digest.update(_line(row))
        targets[row[1]] = targets.get(row[1], 0) + 1
    return {"operations": len(rows), "ids": ranges((r[2], r[3]) for r in rows), "targets": dict(sorted(targets.items())),
            "digest": "sha256:" + digest.hexdigest()}


def sealed_record(rows: Sequence[Sequence], shadows: Sequence[Sequence], reached: dict[str, str]) -> dict:
    """The `after` of the `deliver:sealed` row: `rows` are every operation's CONTENT columns,
    its status and its change file, in (serial, seq) order; `shadows` every (target, key,
    remote id, external id, user name); `reached` each target's info text as stored."""
    record = owed_record([r[:-2] for r in rows])
    by_status: dict[str, list] = {}
    by_file: dict[str, list] = {}
    for r in rows:
        by_status.setdefault(r[-2], []).append((r[2], r[3]))
        if r[-1] is not None:
            by_file.setdefault(str(r[-1]), []).append((r[2], r[3]))
    record["statuses"] = {s: ranges(ids) for s, ids in sorted(by_status.items())}
    record["files"] = {f: ranges(ids) for f, ids in sorted(by_file.items())}
    record["shadows"] = sorted([list(s) for s in shadows])
    record["reached"] = dict(sorted(reached.items()))
    return record


def shadow_detail(remote_id, external_id, user_name) -> list:
    """How a `deliver:*` row names the shadow a result put in place: each id as the text the
    shadows table keeps (a service may answer an externalId as a number)."""
    return [None if v is None else _name(v) for v in (remote_id, external_id, user_name)]


def _name(value) -> str:
    """A target, key or id as text, whatever an edited row holds (a number, a list, bytes)."""
    return value if type(value) is str else repr(value)


class OutboxCheck:
    """Fed the audit log's `deliver:*` rows in order (`event`), then the operation rows in
    (serial, seq) order (`operation`), the shadow rows (`shadow`) and the target settings
    (`reached`); `finish` gives the problems.
    Ids are kept as the runs the log names them by, looked up by bisection: memory grows with
    the operations in the table, never with what a row claims."""

    def __init__(self) -> None:
        self.batches: list[dict] = []  # each owed or sealed row: seq, runs, digest, count, statuses
        self.events: list[tuple] = []  # in log order: ("owe", batch index) | ("status", op id, status)
        self.shadow_events: list[tuple] = []  # ("set" | "drop", target, key, detail, seq)
        self.problems: list[str] = []
        self._index: list[tuple[int, int, int, int]] = []  # (serial, first, last, batch index)
        self._sorted = True
        self._ops: dict[str, tuple[str, str, str]] = {}  # id -> (target, key, status in the table)
        self._members: dict[int, list] = {}  # batch index -> [ids in order, digest]
        self._shadows: dict[tuple[str, str], list] = {}  # the shadow rows: (target, key) -> detail
        self._reached_events: list[tuple[str, str]] = []  # (target, info text) in log order
        self._reached: dict[str, str] = {}  # the target_info rows
        self._written: list[tuple[list, str]] = []  # (runs, file) in log order
        self._files: dict[str, object] = {}  # op id -> its change file in the table
        self._recording = False  # a row of the outbox's own was met: it was recorded from there on

    # -- the audit log ----------------------------------------------------------------------
    def event(self, seq: int, address: str, action: str, after_json: str) -> None:
        try:
            after = json.loads(after_json)
        except (ValueError, RecursionError):
            return  # the chain check names an edited row; a row never written as JSON holds no event
        if not isinstance(after, dict):
            return
        if action == SEALED and self._recording:
            self.problems.append(f"audit row {seq} seals the outbox as it stood, but the audit log recorded it "
                                 "before: a seal is only ever written once, by the upgrade to schema version 5 "
                                 "(the version was set back to bless rows written by hand)")
        if action in (OWED, SEALED, REACHED):
            self._recording = True
        if action == WRITTEN:
            runs = _runs(after.get("ids") or [])
            if runs is not None and isinstance(after.get("file"), str):
                self._written.append((runs, after["file"]))
        if action == SEALED and isinstance(after.get("files"), dict):
            self._written = [(_runs(r) or [], f) for f, r in after["files"].items()]  # what the seal says replaces
        if action in (OWED, SEALED):
            self._batch(seq, action, after)
            reached = after.get("reached") if action == SEALED else None
            for target, text in (reached.items() if isinstance(reached, dict) else ()):
                self._reached_events.append((target, text if type(text) is str else canonical(text)))
        elif action == REACHED:
            if isinstance(after.get("target"), str):
                self._reached_events.append((after["target"], canonical(after.get("info"))))
        elif action == "deliver:adopted":
            if isinstance(after.get("target"), str):
                self.shadow_events.append(("set", after["target"], _name(address), shadow_detail(
                    after.get("remote_id"), after.get("external_id"), after.get("user_name")), seq))
        elif isinstance(after.get("operation"), str):
            status = action.split(":", 1)[1]
            self.events.append(("status", after["operation"], status))
            target = _name(after.get("target"))
            if isinstance(after.get("dropped"), str):
                self.shadow_events.append(("drop", target, after["dropped"], None, seq))
            if isinstance(after.get("shadow_key"), str) and isinstance(after.get("shadow"), list) \
                    and len(after["shadow"]) == 3:
                self.shadow_events.append(("set", target, after["shadow_key"], shadow_detail(*after["shadow"]), seq))

    def _batch(self, seq: int, action: str, after: dict) -> None:
        runs = _runs(after.get("ids") or [])
        if runs is None:
            self.problems.append(f"audit row {seq}: its list of operations owed is not one (edited)")
            return
        index = len(self.batches)
        batch = {"seq": seq, "runs": runs, "digest": after.get("digest"), "count": after.get("operations"),
                 "size": sum(last - first + 1 for _, first, last in runs), "statuses": None, "shadows": None}
        if action == SEALED:
            statuses = []
            given = after.get("statuses")
            for status, status_runs in (given.items() if isinstance(given, dict) else ()):
                statuses += [(r[0], r[1], r[2], status) for r in _runs(status_runs) or ()]
            batch["statuses"] = sorted(statuses)
            shadows = after.get("shadows")
            batch["shadows"] = shadows if isinstance(shadows, list) else []
        self.batches.append(batch)
        for serial, first, last in runs:
            if self._index and self._index[-1][:2] > (serial, first):
                self._sorted = False
            self._index.append((serial, first, last, index))
        self.events.append(("owe", index))

    # -- the tables -----------------------------------------------------------------------
    def _batch_of(self, serial: int, seq: int) -> int | None:
        if not self._sorted:
            self._index.sort()
            self._sorted = True
        i = bisect.bisect_right(self._index, (serial, seq, float("inf"), float("inf"))) - 1
        if i >= 0:
            s, first, last, index = self._index[i]
            if s == serial and first <= seq <= last:
                return index
        return None

    def operation(self, row: Sequence) -> None:
        """One operation row: its CONTENT columns, its status and its change file (in (serial,
        seq) order)."""
        if row[-1] is not None:
            self._files[str(row[0])] = row[-1]
        row = row[:-1]
        op_id, target, serial, seq, key = row[0], row[1], row[2], row[3], row[4]
        index = self._batch_of(serial, seq) if type(serial) is int and type(seq) is int else None
        if index is None or op_id != f"{serial}.{seq}":
            self.problems.append(f"operation {op_id} for {key} at target {target} is not in the audit log "
                                 "(inserted): no apply, adopt or refresh owed it")
            return
        members = self._members.get(index)
        if members is None:
            members = self._members[index] = [[], hashlib.sha256()]
        members[0].append(op_id)
        members[1].update(_line(row[:-1]))
        self._ops[op_id] = (target, key, row[-1])

    def shadow(self, target: str, key: str, remote_id, external_id, user_name) -> None:
        self._shadows[(_name(target), _name(key))] = shadow_detail(remote_id, external_id, user_name)

    def reached(self, target: str, info: str) -> None:
        self._reached[_name(target)] = info

    def finish(self) -> list[str]:
        problems = list(self.problems)
        for index, batch in enumerate(self.batches):
            ids, digest = self._members.get(index, ([], hashlib.sha256()))
            if (len(ids), "sha256:" + digest.hexdigest()) != (batch["count"], batch["digest"]) \
                    or len(ids) != batch["size"]:
                runs = batch["runs"]
                shown = f"{runs[0][0]}.{runs[0][1]}-{runs[-1][0]}.{runs[-1][2]}" if runs else "none"
                what = "are missing (deleted)" if len(ids) < batch["size"] else "differ from what was owed (edited)"
                problems.append(f"the {batch['size']} operation(s) owed at audit row {batch['seq']} ({shown}) {what}")
        problems += self._statuses()
        problems += self._shadow_problems()
        problems += self._reached_problems()
        problems += self._file_problems()
        return problems

    def _file_problems(self) -> list[str]:
        expected: dict[str, str] = {}
        for runs, file in self._written:
            for serial, first, last in runs:
                if last - first > len(self._ops):  # more than the table holds: none of them are all there
                    last = first + len(self._ops)
                for seq in range(first, last + 1):
                    if f"{serial}.{seq}" in self._ops:
                        expected[f"{serial}.{seq}"] = file
        problems = []
        for op_id in sorted(set(expected) | set(self._files)):
            want, got = expected.get(op_id), self._files.get(op_id)
            if op_id in self._ops and got != want:
                problems.append(f"operation {op_id} is recorded as {_written_to(got)}, but the audit log says "
                                f"{_written_to(want)} (edited: an operation with no file is written again)")
        return problems

    def _reached_problems(self) -> list[str]:
        expected = dict(self._reached_events)
        problems = []
        for target, info in sorted(self._reached.items()):
            want = expected.get(target)
            if want is None:
                problems.append(f"what the state says target {target} was reached with is not in the audit log "
                                "(inserted)")
            elif info != want:
                problems.append(f"what the state says target {target} was reached with (its url, token_env or "
                                "capabilities) differs from the audit log (edited)")
        for target in sorted(set(expected) - set(self._reached)):
            problems.append(f"what the state says target {target} was reached with is missing (deleted): the audit "
                            "log records it")
        return problems

    def _statuses(self) -> list[str]:
        """Replay every owed batch and status change in log order; each operation must stand
        where the log leaves it."""
        expected: dict[str, str] = {}
        pending: dict[tuple[str, str], set[str]] = {}
        ops = self._ops

        def mark(op_id: str, status: str) -> None:
            op = ops.get(op_id)
            if op is None:
                return
            where = (op[0], op[1])
            if expected.get(op_id) == PENDING:
                pending.get(where, set()).discard(op_id)
            expected[op_id] = status
            if status == PENDING:
                pending.setdefault(where, set()).add(op_id)

        for event in self.events:
            if event[0] == "status":
                mark(event[1], event[2])
                continue
            batch = self.batches[event[1]]
            sealed = batch["statuses"]
            for op_id in self._members.get(event[1], ((),))[0]:
                if sealed is not None:
                    mark(op_id, _status_in(sealed, op_id))
                    continue
                op = ops[op_id]
                for other in list(pending.get((op[0], op[1]), ())):
                    mark(other, SUPERSEDED)
                mark(op_id, PENDING)
        problems = []
        for op_id, (target, key, status) in ops.items():
            want = expected.get(op_id, PENDING)
            if status != want:
                problems.append(f"operation {op_id} for {key} at target {target} is {status!r} in the outbox, but "
                                f"the audit log leaves it {want!r} (edited)")
        return problems

    def _shadow_problems(self) -> list[str]:
        expected: dict[tuple[str, str], list] = {}
        sealed_at = {b["seq"]: b for b in self.batches if b["shadows"] is not None}
        events = sorted([(e[4], e) for e in self.shadow_events] + [(seq, None) for seq in sealed_at],
                        key=lambda pair: pair[0])
        for seq, e in events:
            if e is None:  # the seal says what every shadow was then: what came before it is replaced
                expected = {(_name(s[0]), _name(s[1])): shadow_detail(*s[2:]) for s in sealed_at[seq]["shadows"]
                            if isinstance(s, list) and len(s) == 5}
            elif e[0] == "drop":
                expected.pop((e[1], e[2]), None)
            else:
                expected[(e[1], e[2])] = e[3]
        problems = []
        for (target, key), got in sorted(self._shadows.items()):
            want = expected.get((target, key))
            if want is None:
                problems.append(f"the shadow of {key} at target {target} (remote id {got[0]}) is not in the audit "
                                "log (inserted)")
            elif list(want) != got:
                problems.append(f"the shadow of {key} at target {target} names remote id {got[0]}, but the audit "
                                f"log says {want[0]} (edited)")
        for target, key in sorted(set(expected) - set(self._shadows)):
            problems.append(f"the shadow of {key} at target {target} is missing (deleted): the audit log records it")
        return problems


def _status_in(runs: list[tuple[int, int, int, str]], op_id: str) -> str:
    """The status a sealed row gives the operation `op_id` (pending when it names none)."""
    serial, seq = (int(n) for n in op_id.split("."))
    i = bisect.bisect_right(runs, (serial, seq, float("inf"), "")) - 1
    if i >= 0 and runs[i][0] == serial and runs[i][1] <= seq <= runs[i][2]:
        return runs[i][3]
    return PENDING


def _written_to(file) -> str:
    return "not written to a change file yet" if file is None else f"written to change file {file}"
