"""The deliverer: sends what the outbox owes each target and records every result.

Runs under the state lock (two deliverers never send the same operation). Per SCIM
target: discovery, retirements, then users (bounded concurrency), then groups once their
members exist; results are recorded in batches, so a crash loses at most the record of a
batch, and the idempotent operations make re-sending it harmless. A change-file target
gets its file written; its operations stay pending until `confirm`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from ..model import Target
from . import changefile
from .operations import NEEDS_ATTENTION, Operation, OpResult, OpStatus
from .owed import REACHED_WITH
from .scim import ScimService, TargetError
from .scimjson import unheld
from .scimops import Directory, bulk_creates, deliver_group, deliver_user

LISTING_THRESHOLD = 50  # more creates than this: list the target's users once instead of a search each
BATCH = 200
BULK_SIZE = 100  # operations per SCIM Bulk request (fewer if the service says so)


@dataclass
class TargetReport:
    target: str
    type: str
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    waiting: int = 0
    retries: int = 0
    error: str | None = None
    file: str | None = None
    cannot_hold: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.counts.get(str(OpStatus.PENDING), 0)

    @property
    def complete(self) -> bool:
        return self.error is None and not self.open and not any(self.counts.get(str(s)) for s in NEEDS_ATTENTION)


Progress = Callable[[str, int, int, int], None]  # target, done, total, retries


class Recorder:
    """Buffers results and records them in batches (one transaction each)."""

    def __init__(self, backend, actor: str, report: TargetReport) -> None:
        self.backend, self.actor, self.report = backend, actor, report
        self.buffer: list[OpResult] = []
        self.last = time.monotonic()

    def add(self, res: OpResult, op: Operation) -> None:
        self.buffer.append(res)
        self.report.counts[res.status] = self.report.counts.get(res.status, 0) + 1
        if res.status != str(OpStatus.DELIVERED) and res.error:
            self.report.problems.append(f"{op.id} {op.action} {op.key}: {res.status}: {res.error}")
        if len(self.buffer) >= BATCH or time.monotonic() - self.last > 1.0:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            self.backend.record(self.buffer, at=stamp, actor=self.actor)
            self.buffer = []
        self.last = time.monotonic()


def _deps_ready(op: Operation, status_of: Mapping[str, str]) -> bool:
    return all(status_of.get(d) == str(OpStatus.DELIVERED) for d in op.depends_on)


def deliver_scim(backend, target: Target, ops: list[Operation], *, actor: str, environ=os.environ,
                 progress: Progress | None = None, sleep=time.sleep) -> TargetReport:
    report = TargetReport(target.id, target.type, total=len(ops))
    try:
        service = ScimService(target, environ, sleep=sleep)
    except TargetError as exc:
        report.error = str(exc)
        report.counts[str(OpStatus.PENDING)] = len(ops)
        return report
    try:
        caps = service.discover()
        backend.set_target_info(target.id, {"extension": caps.extension, "bulk": caps.bulk, "etag": caps.etag,
                                            **{k: target.settings.get(k) for k in REACHED_WITH}},
                                dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), actor)
        if not caps.extension:
            report.cannot_hold = sorted({a for op in ops if op.object == "user" for a in unheld(dict(op.payload))})
        shadows = dict(backend.shadows(target.id))
        users = [op for op in ops if op.object == "user"]
        groups = [op for op in ops if op.object == "group"]
        creates = sum(1 for op in users if op.key not in shadows)
        listing = service.all("Users", "id,externalId,userName,meta") if creates > LISTING_THRESHOLD else None
        directory = Directory(service, "Users", listing)
        directory.delivered = _last_delivered(backend, target.id)
        directory.unrecorded = _unrecorded(backend, target.id)
        recorder = Recorder(backend, actor, report)
        dep_ids = {d for op in ops for d in op.depends_on}
        status_of = {o.id: o.status for o in backend.operations(target.id, ids=sorted(dep_ids))} if dep_ids else {}
        done = 0

        def finished(op: Operation, res: OpResult) -> None:
            nonlocal done
            done += 1
            status_of[op.id] = res.status
            if res.shadow is not None and res.status in (str(OpStatus.DELIVERED), str(OpStatus.DRIFT)):
                shadows[op.key] = res.shadow
                if res.drop_shadow:
                    shadows.pop(res.drop_shadow, None)
            recorder.add(res, op)
            if progress:
                progress(target.id, done, len(ops), service.stats.retries)

        with ThreadPoolExecutor(max_workers=service.concurrency) as pool:
            rounds = [[op for op in users if op.action == "retire"], [op for op in users if op.action != "retire"]]
            for batch in rounds:
                while batch:
                    ready = [op for op in batch if _deps_ready(op, status_of)]
                    if not ready:  # what they wait for failed or is still owed: they wait too
                        report.waiting += len(batch)
                        break
                    for op, res in _send_users(pool, service, ready, shadows, directory):
                        finished(op, res)
                    sent = {op.id for op in ready}
                    batch = [op for op in batch if op.id not in sent]
            waiting_users = {op.key for op in users if status_of.get(op.id) != str(OpStatus.DELIVERED)}
            for op in groups:
                res = deliver_group(service, op, shadows, waiting_users)
                if res is None:
                    report.waiting += 1
                    continue
                finished(op, res)
        recorder.flush()
        report.counts[str(OpStatus.PENDING)] = report.counts.get(str(OpStatus.PENDING), 0) + report.waiting
    except TargetError as exc:
        report.error = str(exc)
        report.counts[str(OpStatus.PENDING)] = len(ops)
    finally:
        report.retries = service.stats.retries
        service.close()
    return report


def _last_delivered(backend, target: str):
    """key -> the payload last delivered for it, read once when first asked (after a 412)."""
    import threading

    cache: dict[str, dict] = {}
    lock = threading.Lock()

    def last(key: str) -> dict | None:
        with lock:
            if not cache:
                for op in backend.operations(target, statuses=[str(OpStatus.DELIVERED)]):
                    cache[op.key] = dict(op.payload)
                cache.setdefault("", {})
            return cache.get(key)

    return last


def _unrecorded(backend, target: str):
    """key -> payloads of our own operations for it that may have reached the target without
    their result being recorded (a crash between the request and the record): superseded or
    still pending operations newer than the last delivered one. Read once, when first asked."""
    import threading

    cache: dict[str, list[dict]] = {}
    lock = threading.Lock()
    loaded = False

    def ours(key: str) -> list[dict]:
        nonlocal loaded
        with lock:
            if not loaded:
                for op in backend.operations(target):  # in the order they were owed
                    if op.status == str(OpStatus.DELIVERED):
                        cache[op.key] = []
                    elif op.status in (str(OpStatus.SUPERSEDED), str(OpStatus.PENDING)):
                        cache.setdefault(op.key, []).append(dict(op.payload))
                loaded = True
            return cache.get(key, [])

    return ours


def _send_users(pool, service: ScimService, ops: list[Operation], shadows, directory: Directory):
    """(operation, result) pairs: creates the listing shows absent go in Bulk requests when the
    service offers Bulk, everything else one request each; both spread over the pool."""
    fresh = [op for op in ops if service.caps.bulk and directory.listed and op.key not in shadows
             and op.action not in ("deactivate", "retire") and not op.takes_over
             and str(op.payload.get("external_id")) not in directory.by_external
             and str(op.payload.get("user_name", "")).lower() not in directory.by_name]
    sent = {op.id for op in fresh}
    single = [op for op in ops if op.id not in sent]
    size = max(1, min(service.caps.bulk_max or BULK_SIZE, BULK_SIZE))
    chunks = [fresh[i:i + size] for i in range(0, len(fresh), size)]
    for pairs in pool.map(lambda chunk: bulk_creates(service, chunk, directory), chunks):
        yield from pairs
    yield from zip(single, pool.map(lambda o: deliver_user(service, o, shadows, directory), single))


def deliver_changefile(backend, target: Target, ops: list[Operation], *, org_dir: Path,
                       actor: str) -> TargetReport:
    report = TargetReport(target.id, target.type, total=len(ops))
    fresh = [op for op in ops if op.file is None]
    report.counts[str(OpStatus.PENDING)] = len(ops)
    if fresh:
        folder = changefile.folder_of(org_dir, target.settings, target.id)
        try:
            path = changefile.write(folder, fresh, Path(org_dir))
        except changefile.ChangeFileError as exc:
            report.error = str(exc)
            return report
        shown = os.path.relpath(path)
        backend.mark_written([op.id for op in fresh], shown,
                             dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), actor)
        report.file = shown
    return report


def deliver(backend, targets: Mapping[str, Target], *, actor: str, org_dir: str | Path,
            only: Iterable[str] | None = None, environ=os.environ, progress: Progress | None = None,
            sleep=time.sleep) -> list[TargetReport]:
    """Deliver every pending operation (of the targets in `only`, if given). The caller holds
    the state lock. Operations owed to a target no longer in the config are reported."""
    wanted = set(only) if only else None
    reports = []
    owed: dict[str, list[Operation]] = {}
    for op in backend.operations(statuses=[str(OpStatus.PENDING)]):
        owed.setdefault(op.target, []).append(op)
    for tid in sorted(set(owed) | set(targets)):
        if wanted is not None and tid not in wanted:
            continue
        ops = owed.get(tid, [])
        target = targets.get(tid)
        started = time.monotonic()
        if target is None:
            report = TargetReport(tid, "unknown", total=len(ops), counts={str(OpStatus.PENDING): len(ops)},
                                  error=f"{len(ops)} operations are owed to target {tid}, which is no longer in "
                                        "the config; restore its Target document to deliver them")
        elif not ops:
            report = TargetReport(tid, target.type)
        elif target.type == "changefile":
            report = deliver_changefile(backend, target, ops, org_dir=Path(org_dir), actor=actor)
        else:
            report = deliver_scim(backend, target, ops, actor=actor, environ=environ, progress=progress,
                                  sleep=sleep)
        report.seconds = time.monotonic() - started
        reports.append(report)
    return reports
