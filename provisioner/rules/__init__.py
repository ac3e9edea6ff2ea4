"""The rules of docs/domain.md that can be judged from configuration alone, run over one org.

Each rule is a small function registered in `catalog` with its id; `run_rules` derives
effective access and licence pools once, runs every check, then applies the org's policy
(severity raises) and waivers. Pure: model and date in, unlocated diagnostics out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..access import effective_access
from ..diagnostics import Diagnostic
from ..licence_pools import licence_pools
from ..model import Org
from . import accounts, emr, front_office, governance, licences, lifecycle, structural  # noqa: F401  (register)
from .catalog import Context, Rule, all_rules, get
from .waivers import apply_severity, apply_waivers

__all__ = ["Context", "Rule", "all_rules", "get", "run_rules", "context", "one_per_subject"]


def context(org: Org, today: dt.date) -> Context:
    return Context(org, today, effective_access(org), licence_pools(org))


def one_per_subject(found: list[Diagnostic]) -> list[Diagnostic]:
    """One finding per rule, subject and severity: later ones are folded into the first
    (their messages appended), so one mistake is never reported twice and one waiver
    covers what it names."""
    first: dict[tuple, int] = {}
    out: list[Diagnostic] = []
    for d in found:
        key = (d.code, d.subject, d.severity)
        if d.subject is None or key not in first:
            first.setdefault(key, len(out))
            out.append(d)
            continue
        kept = out[first[key]]
        if d.message not in kept.message:
            out[first[key]] = replace(kept, message=f"{kept.message}; {d.message}")
    return out


def run_rules(org: Org, today: dt.date, apart: bool = False) -> list[Diagnostic]:
    """Every rule's findings, the policy's severities and the waivers applied. `apart`: the
    rules are shared with a child process (beside.py) on the same derived access, each rule
    run by whichever is free first; their findings are merged in the catalog's order, so
    the result is the same."""
    ctx = context(org, today)
    rules = [rule for rule in all_rules() if rule.check is not None]
    if apart:
        from ..beside import shared

        per_rule = shared(lambda rule: _checked(ctx, [rule])[0], rules)
    else:
        per_rule = _checked(ctx, rules)
    found = [d for part in per_rule for d in part]
    return apply_waivers(org, apply_severity(org, found), today)


def _checked(ctx: Context, rules: list[Rule]) -> list[list[Diagnostic]]:
    """Each rule's findings, one per subject, in the order of `rules`."""
    return [one_per_subject(list(rule.check(ctx))) for rule in rules]
