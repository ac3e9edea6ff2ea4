"""The state backend interface: what has been applied, behind a narrow contract.

A backend reads a snapshot, writes one plan's changes in one transaction (or none of
them), holds a lock while it does, and keeps a hash-chained audit log. It knows nothing
about configuration or planning; `provisioner.plan` builds what it writes.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, NamedTuple, Protocol

from ..canonical import loads as strict_loads
from ..records import quick


@quick
@dataclass(frozen=True, slots=True)
class Resource:
    """One applied thing: its address (`person.maria`), kind, attributes and status."""

    address: str
    kind: str
    attributes: Mapping[str, object]
    status: str = "active"

    @property
    def active(self) -> bool:
        return self.status == "active"


class StoredResource:
    """A resource as read from the state, its attributes kept as the canonical JSON text the
    state holds and decoded on each read of `attributes` (never kept decoded: a 100,000-person
    state is some 470,000 resources, 110 MB of text and four times that decoded). Planning
    compares a desired resource with it by that text first (plan/compare.py), so comparing an
    unchanged resource decodes nothing. Read like a `Resource`."""

    __slots__ = ("address", "kind", "attributes_text", "status", "_where")

    def __init__(self, address: str, kind: str, attributes_text: str, status: str, where: str = "the state") -> None:
        self.address, self.kind, self.attributes_text, self.status = address, kind, attributes_text, status
        self._where = where

    @property
    def attributes(self) -> dict:
        try:
            value = strict_loads(self.attributes_text)
        except (TypeError, ValueError, RecursionError):
            value = what = "not JSON"
        else:
            what = "not a JSON object"
        if type(value) is not dict:
            raise StateError(f"resource {self.address} in {self._where} holds attributes that are {what} (the "
                             "database was edited): run `provisioner state verify`")
        return value

    @property
    def active(self) -> bool:
        return self.status == "active"

    def resource(self) -> Resource:
        return Resource(self.address, self.kind, self.attributes, self.status)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (StoredResource, Resource)):
            return (self.address, self.kind, self.status, self.attributes) == \
                (other.address, other.kind, other.status, other.attributes)
        return NotImplemented

    __hash__ = None  # like Resource's attributes: a dict

    def __repr__(self) -> str:
        return f"StoredResource({self.address!r}, {self.kind!r}, {self.attributes_text!r}, {self.status!r})"


def decoded(resources: Mapping[str, Resource | StoredResource]) -> dict[str, Resource]:
    """The resources with their attributes decoded once, for work that reads them over and
    over (a report per person over the whole state)."""
    return {a: r.resource() if type(r) is StoredResource else r for a, r in resources.items()}


@dataclass(frozen=True)
class Snapshot:
    """The state as read at one moment: lineage (None before the first apply) and serial."""

    lineage: str | None
    serial: int
    resources: Mapping[str, Resource] = field(default_factory=dict)


class Write(NamedTuple):
    """One resource write: `resource=None` removes `address`. `action`, `before` and
    `after` are what the audit log records for it. (A named tuple: an apply of 100,000
    people makes some 470,000.)"""

    address: str
    resource: Resource | None
    action: str
    before: object
    after: object


@quick
@dataclass(frozen=True, slots=True)
class AuditRow:
    seq: int
    at: str
    actor: str
    plan_digest: str
    address: str
    action: str
    before: object
    after: object
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class LockInfo:
    holder: str
    pid: int
    host: str
    since: str
    token: str = ""  # the holder's own; says how its liveness is told (state/sqlite.py)


class StateError(Exception):
    """A state problem to report without a traceback."""


class NoState(StateError):
    """There is no state where one was asked for (nothing applied yet, or a wrong URL)."""


class LockTimeout(StateError):
    def __init__(self, info: LockInfo | None, timeout: float) -> None:
        self.info = info
        who = (f"{info.holder} (pid {info.pid} on {info.host}, since {info.since})" if info
               else "another process")
        hint = ""
        if info is not None and info.host != _this_host():
            hint = (f"; if that apply is gone, break its lock with `provisioner state unlock --holder "
                    f"{info.holder}`")
        super().__init__(f"the state is locked by {who}; gave up after {timeout:g}s{hint}")


def _this_host() -> str:
    import socket

    return socket.gethostname()


class StaleState(StateError):
    def __init__(self, expected: tuple[str | None, int], found: tuple[str | None, int]) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"stale plan: it was made against {_describe(expected)}, but the state is now "
                         f"{_describe(found, now=True)}; run `provisioner plan` again")


def _describe(state: tuple[str | None, int], now: bool = False) -> str:
    lineage, serial = state
    if lineage:
        return f"at lineage {lineage} serial {serial}" if now else f"the state at lineage {lineage} serial {serial}"
    if not serial:
        return "empty (nothing applied yet)" if now else "an empty state (nothing applied yet)"
    return f"serial {serial} without a lineage (no state is ever like that: the plan was edited)"


Progress = Callable[[int], None]


class StateBackend(Protocol):
    """What planning and applying need from a state store. SQLite implements it; a
    PostgreSQL backend implements the same methods."""

    def read(self) -> Snapshot: ...

    def lock(self, holder: str, timeout: float) -> AbstractContextManager[None]: ...

    def apply(self, writes: Iterable[Write], *, expect: tuple[str | None, int], actor: str,
              plan_digest: str, at: dt.datetime, progress: Progress | None = None,
              operations: Iterable = (), read_back: bool = True,
              before_commit: Callable[[], None] | None = None) -> Snapshot: ...

    # The outbox (provisioner.state.outbox): operations owed to targets and their results.
    def operations(self, target: str | None = None, statuses=None, ids=None) -> list: ...

    def shadows(self, target: str) -> dict: ...

    def record(self, results: Iterable, *, at: str, actor: str) -> None: ...

    def link(self, shadows: Iterable, *, at: str, actor: str) -> None: ...

    def owe(self, operations: Iterable) -> None: ...

    def next_seq(self, serial: int) -> int: ...

    def mark_written(self, op_ids: Iterable[str], file: str, at: str, actor: str) -> None: ...

    def target_info(self) -> dict: ...

    def pending_accounts(self) -> dict: ...

    def set_target_info(self, target: str, info: dict, at: str, actor: str) -> None: ...

    def audit(self) -> list[AuditRow]: ...

    def verify(self) -> list[str]: ...

    def integrity(self, anchor: dict | None = None, where: str = "") -> list: ...

    def head(self) -> dict | None: ...

    def break_lock(self, holder: str, actor: str, at: dt.datetime) -> LockInfo: ...

    def close(self) -> None: ...
