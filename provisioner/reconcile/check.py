"""Drift at each target, end to end: read the target back, then compare it with the state.
The one place that joins readback (I/O) and drift (pure); it never writes the state."""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from ..model import Target
from ..targets.operations import OpStatus
from ..targets.scim import TargetError
from .drift import TargetDrift, compare
from .readback import read_scim


def drift_at(targets: Iterable[Target], backend, *, environ=os.environ) -> list[TargetDrift]:
    """One report per SCIM target; a target that cannot be read gets its error instead."""
    resources = backend.read().resources
    pending = backend.operations(statuses=[str(OpStatus.PENDING)])
    out = []
    for target in targets:
        try:
            held = read_scim(target, environ=environ)
        except TargetError as exc:
            out.append(TargetDrift(target.id, error=str(exc)))
            continue
        report = compare(target, resources, backend.shadows(target.id), held.users, held.groups,
                         extension=held.extension, owed={op.key for op in pending if op.target == target.id})
        report.pages, report.seconds = held.pages, held.seconds
        out.append(report)
    return out


def exit_code(reports: Iterable[TargetDrift]) -> int:
    """0 no drift, 2 drift, 1 a target could not be read (whatever the others say)."""
    reports = list(reports)
    if any(r.error for r in reports):
        return 1
    return 2 if any(r.findings for r in reports) else 0


def as_document(reports: Iterable[TargetDrift]) -> dict:
    """The drift report as plain data: what every renderer reads."""
    targets = []
    for r in reports:
        targets.append({
            "target": r.target, "error": r.error, "checked": r.checked, "owed_skipped": r.skipped,
            "pages": r.pages, "findings": [{
                "kind": f.kind, "object": f.object, "key": f.key, "remote_id": f.remote_id, "login": f.login,
                "attributes": list(f.attributes), "last_modified": f.modified, "message": f.message,
            } for f in r.findings]})
    return {"format": "provisioner-drift/1", "exit_code": exit_code(reports), "targets": targets}


def counts(findings: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f["kind"]] = out.get(f["kind"], 0) + 1
    return out


def summary_of(counts_: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts_.items()) or "no drift"


def refresh_plan(document: dict, snapshot, targets: Mapping[str, Target], backend, *, today, policy,
                 allow_mass_change: bool, environ=os.environ) -> tuple[dict, list[str]]:
    """Read every SCIM target and say what brings it back to the config once `document`
    is applied: {target: {accounts, pages, entries}}, and the errors that refuse the plan
    (a target unreadable; a policy deactivation over the mass-change guard)."""
    from ..plan.apply import writes_for
    from ..targets.mapping import after_state
    from ..targets.owed import specs_for
    from .refresh import entries, unmanaged_guard

    resources = after_state(snapshot.resources, writes_for(document, today))
    planned = specs_for(document, snapshot, targets.values(), today)
    pending = backend.operations(statuses=[str(OpStatus.PENDING)]) if backend is not None else []
    out, errors = {}, []
    for target in sorted(targets.values(), key=lambda t: t.id):
        if target.type != "scim":
            continue
        try:
            held = read_scim(target, environ=environ)
        except TargetError as exc:
            errors.append(str(exc))
            continue
        owed = {s.key for s in planned if s.target == target.id} | {op.key for op in pending if op.target == target.id}
        shadows = backend.shadows(target.id) if backend is not None else {}
        found = entries(target, resources, shadows, held.users, held.groups, extension=held.extension, owed=owed,
                        unmanaged=policy.unmanaged_accounts)
        guard = unmanaged_guard(found, held.users, policy.mass_change_limit)
        if guard and not allow_mass_change:
            errors.append(f"MASS001 {guard}; if this is intended, plan again with --allow-mass-change")
        out[target.id] = {"accounts": len(held.users), "pages": held.pages, "entries": found}
    return out, errors


def owe(backend, specs, actor: str) -> int:
    """Record operations owed outside an apply (adopt, refresh), numbered after the last one
    of the current serial so their ids never collide with an apply's; how many."""
    import dataclasses
    import datetime as dt

    from ..targets.owed import operations

    if not specs:
        return 0
    serial = backend.read().serial
    first = backend.next_seq(serial)
    now = dt.datetime.now(dt.timezone.utc)
    ops = operations(list(specs), serial, now)
    backend.owe([dataclasses.replace(op, id=f"{serial}.{first + i}", seq=first + i, depends_on=())
                 for i, op in enumerate(ops)], at=now.isoformat(timespec="seconds"), actor=actor)
    return len(ops)


def owe_refresh(document: dict, backend, targets: Mapping[str, Target], actor: str) -> int:
    """At apply: the operations the plan's refresh names, rebuilt from the state as it is now."""
    from .refresh import specs

    listed = [e for t in (document.get("refresh") or {}).values() for e in t.get("entries", ())]
    return owe(backend, specs(listed, targets, backend.read().resources, backend.shadows), actor)
