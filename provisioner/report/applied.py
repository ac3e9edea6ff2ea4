"""When a right was applied: the audit log's rows per address, and for one right the row
from which the applied resource has carried it without a break (the start of its last run).
Pure: audit rows in, rows out; delivery results (`deliver:*`) are kept apart.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from ..state.backend import AuditRow
from .rights import Right

DELIVER = "deliver:"


class History:
    """Audit rows by address, in log order: state writes and delivery results apart."""

    def __init__(self, rows: Iterable[AuditRow]) -> None:
        self.writes: dict[str, list[AuditRow]] = defaultdict(list)
        self.deliveries: dict[str, list[AuditRow]] = defaultdict(list)
        for row in rows:
            (self.deliveries if row.action.startswith(DELIVER) else self.writes)[row.address].append(row)

    def rows_of(self, address: str) -> list[AuditRow]:
        return self.writes.get(address, [])


def holds(right: Right, after: object, expects: tuple | None = None) -> bool:
    """Whether an applied resource (`{"status", "attributes"}`) carries `right` (or, given
    `expects`, meets those conditions)."""
    if not isinstance(after, dict) or after.get("status") != "active":
        return False
    attrs = after.get("attributes") or {}
    if not isinstance(attrs, dict):  # a damaged or forged row carries nothing
        return False
    for field, value, contains in (right.expects if expects is None else expects):
        got = attrs.get(field)
        if contains:
            if not isinstance(got, list) or value not in got:
                return False
        elif got != value:
            return False
    return True


def _start(right: Right, rows: list[AuditRow], expects: tuple) -> AuditRow | None:
    """The first row of the last unbroken run of `rows` that meets `expects`."""
    start = None
    for row in rows:
        if holds(right, row.after, expects):
            start = start or row
        else:
            start = None
    return start


def applied_row(right: Right, history: History) -> AuditRow | None:
    """The row that put `right` in force for good (None when the state does not carry it):
    of its resource, or of a resource it also needs (`requires`), whichever came last."""
    starts = [_start(right, history.rows_of(right.address), right.expects)]
    starts += [_start(right, history.rows_of(address), expects) for address, expects in right.requires]
    if any(s is None for s in starts):
        return None
    return max(starts, key=lambda row: row.seq)
