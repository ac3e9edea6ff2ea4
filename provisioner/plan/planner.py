"""Make a plan: validate the org folder, read the state, compare, judge the lifecycle
rules, order the changes and build the plan document. Reads files and state; writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..diagnostics import Diagnostic, Severity, has_errors
from ..loader import display_path
from ..locate import Locator
from ..pipeline import Validation, validate
from ..reporters import diagnostic_dict
from ..rules.waivers import judge
from ..state.backend import Snapshot, StateBackend
from ..targets.owed import as_recorded, specs_for, summary as target_summary
from .changes import ACTION_ORDER, Action, Change
from .compare import compare
from .lifecycle import (
    MASS_CHANGE_CODE, call_center_notes, invitation_changes, lifecycle_findings, mass_change, order,
    reused_emails,
)
from .meaning import unnamed_people
from .planfile import FORMAT_VERSION, config_digest, seal
from .resources import desired_resources


@dataclass
class PlanResult:
    validation: Validation
    document: dict | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.document is not None and not has_errors(self.diagnostics)

    @property
    def has_changes(self) -> bool:
        return bool(self.document and self.document["changes"])


def summary(changes: list[Change], noops: int) -> dict[str, int]:
    counts = Counter(str(c.action) for c in changes)
    out = {str(a): counts.get(str(a), 0) for a in ACTION_ORDER if a is not Action.NOOP}
    out[str(Action.NOOP)] = noops
    return out


def sort_key(d: Diagnostic):
    """Diagnostics without a file (org-wide plan findings) sort first, then by position."""
    return (d.file or "", d.line or 0, d.column or 0, d.code, d.subject or "")


def _at_org(d: Diagnostic, org) -> Diagnostic:
    """A plan finding about the org as a whole (the mass-change guard, a provider no longer
    in the config) points at the Organization document, at its policy when it sets one."""
    if d.origin is not None:
        return d
    origin = org.organization.origin
    if d.code == MASS_CHANGE_CODE:
        origin = origin.at("policy", "mass_change_limit")
    return replace(d, origin=origin, file=origin.file)


def new_offices_without_people(changes: list[Change], validated: list[Diagnostic]) -> list[Diagnostic]:
    """LIFE005 is an error for an office this plan creates (“Client Admin best practices”: add its providers and
    staff at the same time); for an office that exists it stays the warning validate gave."""
    created = {c.address.removeprefix("office.") for c in changes if c.kind == "office" and c.action.creates}
    return [replace(d, severity=Severity.ERROR, message=f"new {d.message}: create an office together with "
                    "its providers and referral staff")
            for d in validated if d.code == "LIFE005" and d.subject in created and d.waived_by is None]


def plan_changes(validation: Validation, snapshot: Snapshot, today: dt.date, *, allow_mass_change: bool = False,
                 resend_expired: bool = False) -> tuple[list[Change], int, list[Diagnostic]]:
    """The pure core: desired org + snapshot → ordered changes, no-op count, findings."""
    org = validation.org
    desired, origins = desired_resources(org)
    current = dict(snapshot.resources)
    changes, noops = compare(desired, current)
    findings = lifecycle_findings(changes, desired, current, origins, today)
    findings += mass_change(changes, current, org.policy.mass_change_limit, allow_mass_change)
    findings += reused_emails(changes, desired, current, origins)
    findings += call_center_notes(changes, desired, current, origins)
    invitations = invitation_changes(changes, current, desired, today, resend_expired)
    touched = {c.address for c in invitations}
    noops += sum(1 for a, r in current.items() if r.kind == "invitation" and a not in touched)
    changes += invitations
    ordered = order(changes)
    # last: with the rules beside (a large org), their findings are waited for only here
    findings += new_offices_without_people(changes, validation.diagnostics)
    locator = Locator(validation.source.documents)
    located = [locator.locate(_at_org(d, org)) for d in judge(org, findings, today)]
    return ordered, noops, sorted(located, key=sort_key)


def _as_dicts(changes: list[Change]) -> list[dict]:
    """The changes as the document holds them, each `Change` let go once it is copied (a
    100,000-person plan has some 470,000: never both forms of all of them at once)."""
    out = []
    for i, change in enumerate(changes):
        out.append(change.to_dict())
        changes[i] = None
    return out


def derive(org_dir: str | Path, snapshot: Snapshot | None, *, today: dt.date,
           validation: Validation | None = None, allow_mass_change: bool = False,
           resend_expired: bool = False) -> tuple[PlanResult, list[Change] | None, int]:
    """The plan's findings (in the result), ordered changes and no-op count, before any
    document is built; changes None when the config or the plan has errors."""
    validation = validation or validate(org_dir, today=today)
    if validation.pending:  # the rules run beside: plan meanwhile, kept only if they find no error
        try:
            planned = plan_changes(validation, snapshot, today, allow_mass_change=allow_mass_change,
                                   resend_expired=resend_expired)
        except Exception:  # planning a config that has errors may fail: the errors are what is reported
            if validation.ok:
                raise
            planned = None
    else:
        planned = None
    result = PlanResult(validation, diagnostics=list(validation.diagnostics))
    if not validation.ok:
        return result, None, 0
    changes, noops, findings = planned or plan_changes(validation, snapshot, today,
                                                       allow_mass_change=allow_mass_change,
                                                       resend_expired=resend_expired)
    raised = {(d.code, d.subject) for d in findings if d.code == "LIFE005"}  # shown once, as the error
    kept = [d for d in result.diagnostics if (d.code, d.subject) not in raised]
    result.diagnostics = sorted(kept + findings, key=sort_key)
    if has_errors(result.diagnostics):
        return result, None, 0
    return result, changes, noops


def _names(changes: list[dict], org, snapshot: Snapshot) -> dict[str, str]:
    """Person id → name of the people changed only through what they hold (meaning.py):
    from the config, or from the state for someone no longer in it."""
    out = {}
    for pid in unnamed_people(changes):
        person = org.persons.get(pid)
        held = snapshot.resources.get(f"person.{pid}") if person is None else None
        name = person.name if person is not None else (held.attributes.get("name") if held is not None else None)
        if isinstance(name, str) and name:
            out[pid] = name
    return out


def make_plan(org_dir: str | Path, backend: StateBackend | None = None, *, today: dt.date | None = None,
              snapshot: Snapshot | None = None, validation: Validation | None = None,
              allow_mass_change: bool = False, resend_expired: bool = False,
              now: dt.datetime | None = None, state_url: str | None = None,
              target_info: dict | None = None, pending: dict | None = None, sealed: bool = True) -> PlanResult:
    """Plan `org_dir` against `backend` (or a given `snapshot`). Config errors stop it
    before any state is read; the document is built only when there is no error.
    `target_info` and `pending` (what each target said of itself, and the operations still
    pending that make accounts: `backend.pending_accounts()`) are read from `backend` when
    not given; the targets' summary counts the operations as the outbox will record them."""
    today = today or dt.date.today()
    validation = validation or validate(org_dir, today=today)
    if snapshot is None and validation.ok:
        snapshot = backend.read()
    result, changes, noops = derive(org_dir, snapshot, today=today, validation=validation,
                                    allow_mass_change=allow_mass_change, resend_expired=resend_expired)
    if changes is None:
        return result
    validation = result.validation
    now = now or dt.datetime.now(dt.timezone.utc)
    document = {
        "format_version": FORMAT_VERSION,
        "tool": f"provisioner {__version__}",
        "org": validation.org.id,
        "config": {"dir": display_path(Path(org_dir)), "digest": config_digest(org_dir)},
        "state": {"lineage": snapshot.lineage, "serial": snapshot.serial,
                  **({"url": state_url} if state_url else {})},
        "created_at": now.isoformat(timespec="seconds"),
        "today": today.isoformat(),
        "options": {"allow_mass_change": allow_mass_change, "resend_expired": resend_expired},
        "summary": summary(changes, noops),
        "changes": _as_dicts(changes),
        "diagnostics": [diagnostic_dict(d) for d in result.diagnostics],
    }
    names = _names(document["changes"], validation.org, snapshot)
    if names:  # only then: a plan that names its people in its changes is as it always was
        document["names"] = names
    targets = list(validation.org.targets.values())
    if target_info is None and backend is not None:
        target_info = backend.target_info()
    if pending is None and backend is not None:
        pending = backend.pending_accounts()
    specs = as_recorded(specs_for(document, snapshot, targets, today), pending or {})
    document["targets"] = target_summary(specs, targets, target_info)
    result.document = seal(document) if sealed else document  # unsealed: compared, never saved
    return result
