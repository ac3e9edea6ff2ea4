"""The audit log viewer's logic: filter rows by person, address, actor, date range and
plan digest, then cut one page. Pure: rows in, rows out; the CLI reads and prints.

A person's rows are those of every resource that is theirs: the person, their EMR
profiles (also archived ones), memberships, group memberships, invitations, and the
delivery results for any of these.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..state.backend import AuditRow


@dataclass(frozen=True)
class Filter:
    people: tuple[str, ...] = ()
    address: str | None = None  # exact, or a glob (`profile.maria-*`)
    actor: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    plan: str | None = None  # a prefix of the plan digest (with or without `sha256:`)


def _person_of(row: AuditRow) -> str | None:
    for side in (row.after, row.before):
        if isinstance(side, dict):
            attrs = side.get("attributes")
            if isinstance(attrs, dict) and isinstance(attrs.get("person"), str):
                return attrs["person"]
    return None


def addresses_of(rows: Sequence[AuditRow], people: Iterable[str]) -> set[str]:
    """Every address in `rows` that belongs to one of `people`."""
    people = set(people)
    found: set[str] = set()
    for row in rows:
        a = row.address
        kind, _, name = a.partition(".")
        if kind == "person" and name in people:
            found.add(a)
        elif kind == "membership" and name.split("@", 1)[0] in people:
            found.add(a)
        elif kind == "group_member" and name.rsplit("/", 1)[-1] in people:
            found.add(a)
        elif kind == "profile" and _person_of(row) in people:
            found.add(a)
    for row in rows:  # invitations name the account address they invite to
        if row.address.startswith("invitation.") and row.address.split(".", 1)[1] in found:
            found.add(row.address)
    return found


def _day(at: str) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(at).date()
    except ValueError:
        return None


def select(rows: Sequence[AuditRow], f: Filter) -> list[AuditRow]:
    """The rows matching every condition of `f`, in log order."""
    owned = addresses_of(rows, f.people) if f.people else None
    plan = f.plan if not f.plan or f.plan.startswith("sha256:") or f.plan.startswith("operation:") else f"sha256:{f.plan}"
    out = []
    for row in rows:
        if owned is not None and row.address not in owned:
            continue
        if f.address and not (row.address == f.address or fnmatch.fnmatchcase(row.address, f.address)):
            continue
        if f.actor and row.actor != f.actor:
            continue
        if plan and not row.plan_digest.startswith(plan):
            continue
        if f.since or f.until:
            day = _day(row.at)
            if day is None or (f.since and day < f.since) or (f.until and day > f.until):
                continue
        out.append(row)
    return out


@dataclass(frozen=True)
class Page:
    rows: list[AuditRow]
    number: int
    pages: int
    total: int
    first: int  # 1-based index of the first row shown (0 when none)


def page(rows: Sequence[AuditRow], number: int, size: int) -> Page:
    """Page `number` (1-based; negative counts from the end) of `size` rows."""
    total = len(rows)
    pages = max(1, -(-total // size))
    if number < 0:
        number = pages + number + 1
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    chunk = list(rows[start:start + size])
    return Page(chunk, number, pages, total, start + 1 if chunk else 0)


def row_dict(row: AuditRow) -> dict:
    return {"seq": row.seq, "at": row.at, "actor": row.actor, "plan_digest": row.plan_digest,
            "address": row.address, "action": row.action, "before": row.before, "after": row.after,
            "prev_hash": row.prev_hash, "hash": row.hash}


def summary(row: AuditRow) -> str:
    """What a row did, in a few words."""
    if row.action in ("deliver:owed", "deliver:sealed"):
        a = row.after if isinstance(row.after, dict) else {}
        targets = a.get("targets") if isinstance(a.get("targets"), dict) else {}
        each = ", ".join(f"{t} {n}" for t, n in targets.items())
        what = "owed" if row.action == "deliver:owed" else "in the outbox, recorded as they stood"
        return f"{a.get('operations', '?')} operation(s) {what}" + (f" ({each})" if each else "")
    if row.action == "deliver:written" and isinstance(row.after, dict):
        return f"written to {row.after.get('file')}"
    if row.action == "deliver:reached":
        info = (row.after or {}).get("info") if isinstance(row.after, dict) else None
        info = info if isinstance(info, dict) else {}
        return f"reached at {info.get('url')} with the token in {info.get('token_env')}"
    if row.action.startswith("deliver:"):
        a = row.after if isinstance(row.after, dict) else {}
        detail = f" ({a.get('error')})" if a.get("error") else ""
        return f"{a.get('action', '')} at {a.get('target', '?')}: {row.action.split(':', 1)[1]}{detail}"
    after = row.after.get("status") if isinstance(row.after, dict) else None
    return f"status {after}" if after else ""
