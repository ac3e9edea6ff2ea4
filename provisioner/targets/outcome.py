"""How a delivery ended, in words and as an exit code: the per-target lines `apply` and
`sync` print, and the final line that says whether everything was delivered.

Exit codes (docs/targets.md): 0 everything delivered (or written to a change file for an
admin); 3 some operations are still pending (a target unreachable or busy: run
`provisioner sync`); 4 some need a person (failed, conflict, drift, rejected).
"""

from __future__ import annotations

from .delivery import TargetReport
from .operations import NEEDS_ATTENTION, OpStatus

EXIT_DELIVERED, EXIT_PENDING, EXIT_ATTENTION = 0, 3, 4


def lines(reports: list[TargetReport]) -> list[str]:
    out = []
    for r in reports:
        if r.type == "changefile":
            if r.error:
                text = f"{r.target}: error: {r.error}; {r.open} operations pending"
            elif r.file:
                text = f"{r.target}: change file {r.file} written ({r.total} operations awaiting confirmation: " \
                       f"`provisioner confirm {r.target} --file RESULTS.csv`)"
            else:
                text = f"{r.target}: nothing new; {r.open} operations awaiting confirmation" if r.open \
                    else f"{r.target}: nothing to deliver"
            out.append(text)
            continue
        if r.error:
            out.append(f"{r.target}: error: {r.error}; {r.open} operations stay pending")
            continue
        if not r.total:
            out.append(f"{r.target}: nothing to deliver")
            continue
        parts = [f"{r.counts.get(str(OpStatus.DELIVERED), 0)} delivered"]
        for status in (OpStatus.PENDING, *NEEDS_ATTENTION):
            n = r.counts.get(str(status), 0)
            if n:
                parts.append(f"{n} {status}")
        tail = f" ({r.retries} retries, {r.seconds:.1f}s)" if r.retries else f" ({r.seconds:.1f}s)"
        out.append(f"{r.target}: " + ", ".join(parts) + tail)
        if r.cannot_hold:
            out.append(f"  {r.target} does not declare our extension schema: it cannot hold "
                       + ", ".join(r.cannot_hold))
        out += [f"  {p}" for p in r.problems[:20]]
        if len(r.problems) > 20:
            out.append(f"  … and {len(r.problems) - 20} more (`provisioner pending`)")
    return out


def exit_code(reports: list[TargetReport]) -> int:
    if any(any(r.counts.get(str(s)) for s in NEEDS_ATTENTION) for r in reports):
        return EXIT_ATTENTION
    if any(r.error or (r.type != "changefile" and r.open) for r in reports):
        return EXIT_PENDING
    return EXIT_DELIVERED


def final_line(reports: list[TargetReport]) -> str:
    code = exit_code(reports)
    if not reports:
        return "No targets configured: the state alone was updated."
    if code == EXIT_DELIVERED:
        waiting = sum(r.open for r in reports if r.type == "changefile")
        if waiting:
            return (f"Delivered: every API target has what it is owed; {waiting} change-file operations await "
                    "an admin's confirmation (`provisioner pending`).")
        return "Delivered: every target has what it is owed."
    owed = sum(r.open for r in reports if r.type != "changefile" or r.error)
    bad = sum(r.counts.get(str(s), 0) for r in reports for s in NEEDS_ATTENTION)
    parts = []
    if owed:
        parts.append(f"{owed} operations still pending (`provisioner sync` resumes them)")
    if bad:
        parts.append(f"{bad} need attention (`provisioner pending` lists them)")
    return "Not delivered: " + "; ".join(parts) + "."
