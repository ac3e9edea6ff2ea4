"""Terminations on time (45 CFR 164.308(a)(3)(ii)(C)): each departure joined with when its
deactivation was applied and when each target received it, in hours against the org's
`policy.deprovision_within_hours`. Pure: config, state, audit rows and operations in.

A departure is a person whose account the state deactivated, or whose end date has
passed while the state still has them active. The clock starts at the end of the end
date (24:00 UTC), from the config or, for someone removed from it, from the state's last
record; without an end date it starts at the apply that deactivated them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..model import Org
from ..state.backend import AuditRow, Resource
from ..targets.operations import Operation

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Step:
    """One system's part of a departure: the state (`apply`) or a target."""

    system: str
    status: str  # done | pending | failed | … | not applied
    at: str | None
    hours: float | None  # from the clock's start to `at` (or to `as_of` when not done)
    late: bool


@dataclass(frozen=True)
class Departure:
    person: str
    name: str
    end_date: str | None
    clock_start: str
    clock_from: str  # "end date" | "apply"
    deadline: str
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def late(self) -> bool:
        return any(s.late for s in self.steps)

    def to_dict(self) -> dict:
        return {"person": self.person, "name": self.name, "end_date": self.end_date,
                "clock_start": self.clock_start, "clock_from": self.clock_from, "deadline": self.deadline,
                "late": self.late, "steps": [s.__dict__ for s in self.steps]}


def _time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 3600, 1)


def _attrs(side) -> dict:
    return (side.get("attributes") or {}) if isinstance(side, dict) else {}


def _last_deactivation(rows: list[AuditRow]) -> AuditRow | None:
    """The row that deactivated the account, when the account is still inactive."""
    found = None
    for row in rows:
        if row.action == "deactivate":
            found = row
        elif row.action in ("create", "reactivate", "update", "replace") and isinstance(row.after, dict) \
                and row.after.get("status") == "active":
            found = None
    return found


def departures(org: Org, resources: Mapping[str, Resource], audit: Iterable[AuditRow],
               operations: Iterable[Operation], as_of: dt.datetime, since: dt.date | None = None) -> list[Departure]:
    hours_allowed = org.policy.deprovision_within_hours
    rows_of: dict[str, list[AuditRow]] = {}
    for row in audit:
        if not row.action.startswith("deliver:"):
            rows_of.setdefault(row.address, []).append(row)
    ops_of: dict[str, list[Operation]] = {}
    for op in operations:
        if op.action == "deactivate" and op.status != "superseded":
            ops_of.setdefault(op.key, []).append(op)
    keys_of: dict[str, list[str]] = {}
    for address, r in resources.items():
        if r.kind == "profile":
            keys_of.setdefault(str(r.attributes.get("person")), []).append(address)

    out: list[Departure] = []
    for address, r in resources.items():
        if r.kind != "person":
            continue
        pid = address.split(".", 1)[1]
        person = org.persons.get(pid)
        deact = _last_deactivation(rows_of.get(address, []))
        end = (person.end_date.isoformat() if person and person.end_date
               else _attrs(deact.before if deact else None).get("end_date") or r.attributes.get("end_date"))
        never = deact is None and not r.active  # recorded inactive from the start: nothing to remove
        if deact is None and not never:  # still active in the state: late once the end date has passed
            if not end or dt.date.fromisoformat(end) >= as_of.date():
                continue
        if never and not end:
            continue
        if end:
            start, clock_from = dt.datetime.combine(dt.date.fromisoformat(end) + dt.timedelta(days=1),
                                                    dt.time(), UTC), "end date"
        else:
            start, clock_from = _time(deact.at), "apply"
        if since and start.date() < since:
            continue
        deadline = start + dt.timedelta(hours=hours_allowed)
        if never:
            first = rows_of.get(address, [None])[0]
            steps = [Step("apply", "never active", first.at if first else None, None, False)]
        else:
            steps = [_step("apply", "done" if deact else "not applied", deact.at if deact else None, start,
                           deadline, as_of)]
        if deact is not None:
            steps += _target_steps([address] + keys_of.get(pid, []), ops_of, _time(deact.at), start, deadline, as_of)
        name = person.name if person else str(r.attributes.get("name", pid))
        out.append(Departure(pid, name, end, _iso(start), clock_from, _iso(deadline), tuple(steps)))
    return sorted(out, key=lambda d: (d.clock_start, d.person))


def _step(system, status, at, start, deadline, as_of) -> Step:
    when = _time(at) if at and status == "done" else as_of
    return Step(system, status, at, _hours(start, when), when > deadline)


def _target_steps(keys, ops_of, applied, start, deadline, as_of) -> list[Step]:
    by_target: dict[str, list[Operation]] = {}
    for key in keys:
        for op in ops_of.get(key, []):
            if op.created_at and _time(op.created_at) >= applied - dt.timedelta(seconds=1):
                by_target.setdefault(op.target, []).append(op)
    steps = []
    for target, ops in sorted(by_target.items()):
        open_ = [op for op in ops if op.status != "delivered"]
        if open_:
            worst = open_[0]
            steps.append(_step(target, worst.status, worst.updated_at, start, deadline, as_of))
        else:
            last = max(ops, key=lambda op: op.updated_at or "")
            steps.append(_step(target, "done", last.updated_at, start, deadline, as_of))
    return steps


def text(rows: list[Departure], hours_allowed: int, since: dt.date | None) -> str:
    head = f"Terminations{f' since {since}' if since else ''}: access removed within {hours_allowed} h of the end date"
    out = [head, ""]
    for d in rows:
        flag = "  LATE" if d.late else ""
        end = f"end date {d.end_date}" if d.end_date else "no end date (clock from the apply)"
        out.append(f"{d.person} — {d.name}: {end}; deadline {d.deadline}{flag}")
        for s in d.steps:
            when = f"{s.status} {s.at}" if s.status == "done" else f"{s.status}{f' since {s.at}' if s.at else ''}"
            if s.hours is None:
                out.append(f"  {s.system:<22} {s.status} (recorded inactive {s.at}; never provisioned)")
                continue
            so_far = "" if s.status == "done" else " so far"
            out.append(f"  {s.system:<22} {when:<40} {s.hours:+.1f} h{so_far}{'  LATE' if s.late else ''}")
        out.append("")
    late = sum(d.late for d in rows)
    out.append(f"{len(rows)} departure{'s' if len(rows) != 1 else ''}, {late} late")
    return "\n".join(out)
