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
