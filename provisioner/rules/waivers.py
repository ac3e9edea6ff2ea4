"""Org policy over findings: severity raises (`policy.severity`) and waivers. Applied by
`run_rules` after every check ran; emits POL and WAIVE findings about the policy and the
waivers themselves. Never lowers a severity and never drops a finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..diagnostics import Diagnostic, Severity, warning
from ..model import Org, Waiver
from .catalog import describe, get

describe("POL001", "Policy severities only raise", Severity.WARNING, stage="config",
         source="docs/domain.md (severity); organization schema `policy.severity`",
         explanation="`policy.severity` may raise a rule (a warning to an error) for the whole org; it "
         "cannot lower one. A lowering entry is ignored and reported; use a Waiver, which names one "
         "subject, a justification, an approver and an expiry, for a single exception.",
         example_fix="policy: {severity: {ADM004: error}}")
describe("POL002", "Policy severities name known rules", Severity.WARNING, stage="config",
         source="organization schema `policy.severity`",
         explanation="`policy.severity` names a rule id that is not in the catalog (see `provisioner "
         "rules`), so it raises nothing.",
         example_fix="policy: {severity: {LIC003: error}}   # not LIC033")
describe("WAIVE001", "Expired waivers", Severity.WARNING, stage="config",
         source="docs/domain.md (waivers); 45 CFR 164.316(b)(2)(iii) (periodic review of documentation)",
         explanation="A waiver whose `expires` date is before today no longer applies: the finding it "
         "covered counts again, and the waiver itself is reported so it is renewed (with a new "
         "approval) or deleted.",
         example_fix="expires: 2027-06-30   # renewed, with a fresh approval")
describe("WAIVE002", "Waivers that match no finding", Severity.WARNING, stage="config",
         source="docs/domain.md (waivers)",
         explanation="An unexpired waiver whose rule and subject match no finding is stale (the problem "
         "was fixed, or the subject renamed). Delete it so that it cannot silently hide a future "
         "finding. Waivers of plan-stage rules are left to the plan, which sees their findings.",
         example_fix="Delete the Waiver document.")


def waived(d: Diagnostic, w: Waiver) -> Diagnostic:
    """`d`, reported as waived by `w` (never hidden)."""
    return replace(d, waived_by=f"{w.approved_by} until {w.expires}: {w.justification}")


def judge(org: Org, findings: list[Diagnostic], today: dt.date) -> list[Diagnostic]:
    """Findings under the org's own policy, for findings made after `run_rules` (the plan's):
    raised where `policy.severity` raises their rule, waived where an unexpired waiver names
    their rule and subject. Reports nothing about the policy itself (`run_rules` does)."""
    out = []
    for d in findings:
        level = org.policy.severity.get(d.code)
        if level and Severity.parse(level) > d.severity:
            d = d.with_severity(Severity.parse(level))
        live = [w for w in org.waivers if (w.rule, w.subject) == (d.code, d.subject or "") and w.expires >= today]
        out.append(waived(d, max(live, key=lambda w: w.expires)) if live else d)
    return out


def apply_severity(org: Org, found: list[Diagnostic]) -> list[Diagnostic]:
    """Raise the severity of rules the org asks to raise; report entries that cannot apply."""
    raise_to: dict[str, Severity] = {}
    notes: list[Diagnostic] = []
    for code, level in org.policy.severity.items():
        origin = org.organization.origin.at("policy", "severity", code)
        rule = get(code)
        if rule is None:
            notes.append(warning("POL002", f"policy.severity names unknown rule {code!r}", origin=origin,
                                 subject=org.id, key=True))
            continue
        wanted = Severity.parse(level)
        if rule.severity is not None and wanted < rule.severity:
            notes.append(warning("POL001", f"{code} is {rule.severity} by default and cannot be lowered to "
                                 f"{wanted}; use a Waiver", origin=origin, subject=org.id))
            continue
        raise_to[code] = wanted
    raised = [d.with_severity(raise_to[d.code]) if d.code in raise_to and raise_to[d.code] > d.severity else d
              for d in found]
    return raised + notes


def apply_waivers(org: Org, found: list[Diagnostic], today: dt.date) -> list[Diagnostic]:
    """Mark findings covered by an unexpired waiver; report expired and unmatched waivers."""
    live: dict[tuple[str, str], list] = {}
    notes: list[Diagnostic] = []
    for w in org.waivers:
        if w.expires < today:
            notes.append(warning("WAIVE001", f"waiver of {w.rule} for {w.subject!r} expired on {w.expires}; "
                                 "the finding counts again", origin=w.origin.at("expires"), subject=w.subject))
        else:
            live.setdefault((w.rule, w.subject), []).append(w)
    used: set[int] = set()
    out = []
    for d in found:
        waivers = live.get((d.code, d.subject or ""))
        if waivers:
            w = max(waivers, key=lambda w: w.expires)
            used.add(id(w))
            d = waived(d, w)
        out.append(d)
    for waivers in live.values():
        for w in waivers:
            rule = get(w.rule)
            if id(w) not in used and not (rule and rule.stage == "plan"):  # the plan judges those
                known = "" if rule else f" ({w.rule} is not a known rule)"
                notes.append(warning("WAIVE002", f"waiver of {w.rule} for {w.subject!r} matches no finding"
                                     f"{known}; delete it", origin=w.origin.at("rule"), subject=w.subject))
    return out + notes
