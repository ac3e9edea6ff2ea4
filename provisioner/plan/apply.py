"""Apply a plan document to a state backend, exactly as planned, in one transaction.

Refuses (with a message that says to plan again) a document that was altered, a config
folder that changed since the plan, and a state that moved on (stale lineage/serial).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..state.audit import canonical
from ..state.backend import Progress, Resource, Snapshot, StaleState, StateBackend, Write
from .changes import resource_dict
from .compare import retired
from .lifecycle import INVITATION_DAYS
from .planfile import PlanFileError, check_document, config_digest

DEFAULT_LOCK_TIMEOUT = 10.0


def _resource(address: str, data: dict | None) -> Resource | None:
    if data is None:
        return None
    return Resource(address, data["kind"], data["attributes"], data["status"])


def writes_for(document: dict, today: dt.date) -> list[Write]:
    """The state writes that carry out the document's changes, in its order."""
    new_serial = document["state"]["serial"] + 1
    out: list[Write] = []
    for c in document["changes"]:
        address, action = c["address"], c["action"]
        after = _resource(address, c["after"])
        if after is not None and after.kind == "invitation":
            attrs = dict(after.attributes)
            attrs["sent_on"] = today.isoformat()
            attrs["expires_on"] = (today + dt.timedelta(days=INVITATION_DAYS)).isoformat()
            after = Resource(address, after.kind, attrs, after.status)
        if action == "replace" and not c.get("replaces"):
            old = _resource(address, c["before"])
            archive = f"{address}~{new_serial}"
            gone = retired(Resource(archive, old.kind, old.attributes, old.status), c.get("retired_email"))
            out.append(Write(address, after, action, c["before"], resource_dict(after)))
            out.append(Write(archive, gone, "deactivate", c["before"], resource_dict(gone)))
            continue
        if action == "move":  # re-addressed (ID001): the old address goes, both rows audited as a move
            out.append(Write(c["moved_from"], None, action, c["before"], {"moved_to": address}))
        out.append(Write(address, None if action == "delete" else after, action, c["before"],
                         resource_dict(after)))
    return out


def check_config(document: dict, org_dir: str | Path | None = None) -> None:
    folder = Path(org_dir or document["config"]["dir"])
    if not folder.is_dir():
        raise PlanFileError(f"the plan was made from {folder}, which is not a folder here; pass the org "
                            "folder with --org-dir, or run `provisioner plan` again")
    if config_digest(folder) != document["config"]["digest"]:
        raise PlanFileError(f"the config in {folder} changed since the plan was made (digest mismatch); "
                            "run `provisioner plan` again")


def state_for_plan(document: dict, given: str | None) -> str | None:
    """The state a saved plan is applied to: `--state`, else $PROVISIONER_STATE, else the
    state the plan was made against. A plan made against an empty state matches any other
    empty state, so applying it anywhere but where it was planned is refused."""
    import os

    from ..state import STATE_ENV

    recorded = document["state"].get("url")
    chosen = given or os.environ.get(STATE_ENV) or recorded
    if recorded and chosen != recorded and document["state"]["lineage"] is None:
        raise PlanFileError(f"this plan was made against an empty state at {recorded}; applying it to {chosen} "
                            f"would start another state: pass --state {recorded}, or plan again")
    return chosen


def check_rederived(document: dict, snapshot: Snapshot, org_dir: str | Path | None = None) -> None:
    """Refuse a plan whose changes are not what the config and this state produce.

    The checksum proves the file is whole, not who wrote it: anyone can re-seal an edited
    plan. With the config digest and the state (lineage, serial) already matching, planning
    again is deterministic, so the saved changes must come out exactly the same; a change
    that no config produces (an admin right added by hand, say) never reaches the state.
    """
    from ..pipeline import validate  # late: the pipeline imports the rule catalog
    from .planner import plan_changes

    folder = Path(org_dir or document["config"]["dir"])
    today = dt.date.fromisoformat(document["today"])
    validation = validate(folder, today=today)
    if not validation.ok:
        raise PlanFileError(f"the config in {folder} does not validate; run `provisioner validate` and plan again")
    options = document.get("options", {})
    changes, _, findings = plan_changes(validation, snapshot, today,
                                        allow_mass_change=options.get("allow_mass_change", False),
                                        resend_expired=options.get("resend_expired", False))
    if any(d.is_error for d in findings):
        raise PlanFileError("planning the config against this state now gives errors; run `provisioner plan` again")
    if canonical([c.to_dict() for c in changes]) != canonical(document["changes"]):
        raise PlanFileError("the plan's changes differ from what the config and state produce (was the file "
                            "edited?); it will not be applied: run `provisioner plan` again")


def apply_document(document: dict, backend: StateBackend, *, actor: str, org_dir: str | Path | None = None,
                   today: dt.date | None = None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                   progress: Progress | None = None, now: dt.datetime | None = None,
                   rederive: bool = True) -> Snapshot:
    """Apply `document` (read with `read_plan`, or fresh from `make_plan`). Under the lock, the
    state must be the one planned against (stale otherwise) and, with `rederive`, the changes
    must be exactly what the config produces against it (`check_rederived`)."""
    check_document(document)
    check_config(document, org_dir)
    today = today or dt.date.today()
    now = now or dt.datetime.now(dt.timezone.utc)
    writes = writes_for(document, today)
    expect = (document["state"]["lineage"], document["state"]["serial"])
    with backend.lock(actor, lock_timeout):
        if rederive:
            snapshot = backend.read()
            if (snapshot.lineage, snapshot.serial) != expect:
                raise StaleState(expect, (snapshot.lineage, snapshot.serial))
            check_rederived(document, snapshot, org_dir)
        return backend.apply(writes, expect=expect, actor=actor, plan_digest=document["checksum"], at=now,
                             progress=progress)
