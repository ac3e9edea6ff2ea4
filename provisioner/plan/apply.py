"""Apply a plan document to a state backend, exactly as planned, in one transaction.

Refuses (with a message that says to plan again) a document that was altered, a config
folder that changed since the plan, and a state that moved on (stale lineage/serial).
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import ExitStack, nullcontext
from pathlib import Path
from dataclasses import dataclass
from typing import Iterable, Mapping

from .. import collector
from ..model import Target
from ..orgfiles import TooLarge, display_path
from ..canonical import canonical, canonical_each
from ..state.backend import Progress, Resource, Snapshot, StaleState, StateBackend, Write
from ..targets.owed import operations as owed_operations, specs_of
from .changes import Change, resource_dict
from .compare import retired
from .lifecycle import INVITATION_DAYS
from .planfile import PlanFileError, check_document, config_digest
from .savedplan import SavedChanges
from .statecheck import StateCheck

DEFAULT_LOCK_TIMEOUT = 10.0


def _resource(address: str, data: dict | None) -> Resource | None:
    if data is None:
        return None
    return Resource(address, data["kind"], data["attributes"], data["status"])


def writes_for(document: dict, today: dt.date) -> list[Write]:
    """The state writes that carry out the document's changes, in its order."""
    return writes_of(document["changes"], document["state"]["serial"] + 1, today)


def writes_of(changes: Iterable[dict | Change], new_serial: int, today: dt.date) -> list[Write]:
    """The state writes that carry out `changes` (as the plan document holds them, or the
    re-derived Change objects those dicts are made from) in the apply that makes state
    serial `new_serial`."""
    out: list[Write] = []
    for c in changes:
        if not isinstance(c, Change):  # as the plan document holds it
            address, action, before, recorded = c["address"], c["action"], c["before"], c["after"]
            after = _resource(address, recorded)
            replaces, moved_from, retired_email = c.get("replaces"), c.get("moved_from"), c.get("retired_email")
        else:  # what its to_dict() would hold, without making the dict
            address, action, after = c.address, str(c.action), c.after
            before, recorded = resource_dict(c.before), resource_dict(after)
            if after is not None and (after.address != address or after.attributes is not recorded["attributes"]):
                after = Resource(address, after.kind, recorded["attributes"], after.status)
            replaces, moved_from, retired_email = c.replaces, c.moved_from, c.retired_email
        if after is not None and after.kind == "invitation" and after.attributes.get("sent_on") is None:
            # sent by this apply (LIFE007: the plan says "known after apply"); a revoked or
            # moved invitation keeps the dates it was sent with
            attrs = dict(after.attributes)
            attrs["sent_on"] = today.isoformat()
            attrs["expires_on"] = (today + dt.timedelta(days=INVITATION_DAYS)).isoformat()
            after = Resource(address, after.kind, attrs, after.status)
            recorded = None
        if recorded is None or len(recorded) != 3 or type(recorded["attributes"]) is not dict:
            recorded = resource_dict(after)  # else the plan's own dict of `after`: the same three fields
        if action == "replace" and not replaces:
            old = _resource(address, before)
            archive = f"{address}~{new_serial}"
            gone = retired(Resource(archive, old.kind, old.attributes, old.status), retired_email)
            out.append(Write(address, after, action, before, resource_dict(after)))
            out.append(Write(archive, gone, "deactivate", before, resource_dict(gone)))
            continue
        if action == "move":  # re-addressed (ID001): the old address goes, both rows audited as a move
            out.append(Write(moved_from, None, action, before, {"moved_to": address}))
        out.append(Write(address, None if action == "delete" else after, action, before, recorded))
    return out


def check_config(document: dict, org_dir: str | Path | None = None) -> None:
    folder = Path(org_dir or document["config"]["dir"])
    if not folder.is_dir():
        raise PlanFileError(f"the plan was made from {folder}, which is not a folder here; pass the org "
                            "folder with --org-dir, or run `provisioner plan` again")
    try:  # a folder named by the plan file alone (one re-sealed could name `/`) is walked bounded
        digest = config_digest(folder, bounded=org_dir is None)
    except TooLarge as exc:
        raise PlanFileError(f"the plan names {folder} as its org folder, which holds {exc}: not an org "
                            "folder; pass the org folder with --org-dir, or run `provisioner plan` again") from None
    if digest != document["config"]["digest"]:
        raise PlanFileError(f"the config in {folder} changed since the plan was made (digest mismatch); "
                            "run `provisioner plan` again")


def state_for_plan(document: dict, given: str | None) -> str | None:
    """The state a saved plan is applied to: `--state`, else $PROVISIONER_STATE, else the
    state the plan was made against. A plan made against an empty state matches any other
    empty state, so applying it anywhere but where it was planned is refused."""
    import os

    from ..state import STATE_ENV, redact

    recorded = document["state"].get("url")  # without a password (redact)
    chosen = given or os.environ.get(STATE_ENV) or recorded
    if recorded and redact(chosen) != recorded and document["state"]["lineage"] is None:
        raise PlanFileError(f"this plan was made against an empty state at {recorded}; applying it to {redact(chosen)} "
                            f"would start another state: pass --state {recorded}, or plan again")
    return chosen


class Prepared:
    """The config validated ahead, for `check_rederived`: used only if the plan names the
    same folder and day, and taken once (the caller's reference does not keep the model
    alive through the apply)."""

    def __init__(self, folder: Path, today: dt.date, validation) -> None:
        self.folder, self.today, self._validation = folder, today, validation

    def take(self, folder: Path, today: dt.date):
        """The validation if it is of `folder` on `today` (None otherwise), let go of here."""
        validation, self._validation = self._validation, None
        if (self.folder, self.today) == (folder, today):
            return validation
        validation.cancel()
        return None

    def close(self) -> None:
        """Stop the rules of a validation never taken, if they still run beside."""
        validation, self._validation = self._validation, None
        if validation is not None:
            validation.cancel()


def validate_meanwhile(reading, org_dir: str | Path | None = None) -> Prepared | None:
    """While a saved plan's changes are checked beside (savedplan.Reading), validate the
    config its header names: the work `check_rederived` would do first, on the other core.
    The header is not known sound yet, so the result is only ever an input to that check
    (and thrown away if the plan is refused), and a folder it names is read ahead only when
    it lies in the working directory (a checkout): an altered plan naming `/` or `/etc` is
    refused before anything there is read, as without this. None when nothing is checked
    beside, or the folder is not read ahead (`check_rederived` then validates, and says why)."""
    from ..pipeline import validate  # late: the pipeline imports the rule catalog

    header = reading.header
    if header is None or not reading.checking_beside:
        return None
    folder = Path(org_dir) if org_dir else read_ahead_folder(reading)
    try:
        today = dt.date.fromisoformat(header["today"])
    except (KeyError, TypeError, ValueError):
        return None
    if folder is None or not folder.is_dir():
        return None
    try:
        return Prepared(folder, today, validate(folder, today=today, rules_beside=True))
    except Exception:  # whatever it is, `check_rederived` meets it again and reports it
        return None


def read_ahead_folder(reading) -> Path | None:
    """The org folder a saved plan's header names, when it may be read before the plan is
    known sound: one in the working directory (a checkout). None otherwise."""
    header = reading.header
    try:
        folder = Path(header["config"]["dir"]) if header is not None else None
    except (KeyError, TypeError, ValueError):
        return None
    return folder if folder is not None and folder.is_dir() and _in_working_directory(folder) else None


def _in_working_directory(folder: Path) -> bool:
    try:
        here, real = Path.cwd().resolve(), folder.resolve()
    except OSError:
        return False
    return here.parent != here and real.is_relative_to(here)


def check_rederived(document: dict, snapshot: Snapshot, org_dir: str | Path | None = None,
                    prepared: Prepared | None = None):
    """Refuse a plan whose changes are not what the config and this state produce.

    The checksum proves the file is whole, not who wrote it: anyone can re-seal an edited
    plan. With the config digest and the state (lineage, serial) already matching, planning
    again is deterministic, so the saved changes must come out exactly the same; a change
    that no config produces (an admin right added by hand, say) never reaches the state.
    Many changes are compared in a child while the caller goes on: the caller must call
    `same.require()` on the result before it commits anything (with few, it is done here;
    apply calls it last in its transaction, which a refusal rolls back).
    """
    from ..pipeline import validate  # late: the pipeline imports the rule catalog
    from .planner import derive, summary

    folder = Path(org_dir or document["config"]["dir"])
    today = dt.date.fromisoformat(document["today"])
    validation = prepared.take(folder, today) if prepared is not None else None
    if validation is None:
        validation = validate(folder, today=today, rules_beside=True)
    try:  # with the rules beside, derive plans meanwhile and keeps the plan only if they find no error
        if not validation.pending and not validation.ok:
            raise PlanFileError(f"the config in {folder} does not validate; run `provisioner validate` and plan "
                                "again")
        options = document.get("options", {})
        result, changes, noops = derive(folder, snapshot, today=today, validation=validation,
                                        allow_mass_change=options.get("allow_mass_change", False),
                                        resend_expired=options.get("resend_expired", False))
    finally:
        validation.cancel()  # given up before the rules answered
    if not validation.ok:
        raise PlanFileError(f"the config in {folder} does not validate; run `provisioner validate` and plan again")
    if changes is None:
        raise PlanFileError("planning the config against this state now gives errors; run `provisioner plan` again")
    if document["org"] != validation.org.id:
        raise PlanFileError(f"the plan names org {document['org']!r}, but {folder} is org {validation.org.id!r}; "
                            "it will not be applied: run `provisioner plan` again")
    counted = summary(changes, noops)
    same = Same(changes, document["changes"])  # large ones compared beside, the rest here (made dicts)
    try:
        if not same.pending:
            same.require()
        _check_counted(document, counted, result.diagnostics, folder, same)
    except BaseException:
        same.close()
        raise
    return Rederived(validation, changes, same)


def _check_counted(document: dict, counted: dict, diagnostics, folder: Path, same: Same) -> None:
    """The summary and the findings are the plan's (a plan whose changes differ is refused
    for that first)."""
    from ..reporters import diagnostic_dict

    refusal = None
    if counted != document["summary"]:
        refusal = ("the plan's summary does not count its changes (was the file edited?); it will not be "
                   "applied: run `provisioner plan` again")
    elif _findings([diagnostic_dict(d) for d in diagnostics], display_path(folder)) != \
            _findings(document["diagnostics"], document["config"]["dir"]):
        refusal = ("the plan's diagnostics differ from the findings the config and state give (hidden "
                   "or altered findings?); it will not be applied: run `provisioner plan` again")
    if refusal is not None:
        same.require()  # the changes' refusal comes first, as it always has
        raise PlanFileError(refusal)


@dataclass(frozen=True)
class Rederived:
    validation: object  # pipeline.Validation of the config
    changes: list  # the changes (Change objects, or their dicts once compared here): the plan's once
    #                `same.require()` passes
    same: Same


SAME_BESIDE_FROM = 20_000  # re-derived changes from which they are compared with a saved plan's in a child

_DIFFER = ("the plan's changes differ from what the config and state produce (was the file edited?); it will "
           "not be applied: run `provisioner plan` again")


class Same:
    """Whether the re-derived changes are the plan's, compared as canonical JSON (so `1` is
    not `true`): one at a time with a saved list, or by digest with SavedChanges. Compared
    here, `ours` holds each change's dict in place of the object once it is made. Many
    changes against a digest are compared in a child (beside.py) while the caller goes on
    to write them; `require()` waits for the answer and refuses a plan whose changes differ
    (apply calls it last in the store's transaction, so a refusal commits nothing)."""

    def __init__(self, ours: list, theirs: list[dict] | SavedChanges) -> None:
        self._beside, self._answer = None, None
        if len(ours) != len(theirs):
            self._answer = False
        elif isinstance(theirs, SavedChanges):
            if len(ours) >= SAME_BESIDE_FROM:
                from ..beside import Beside

                self._beside = Beside(_digest_of, ours)  # the writes are made meanwhile
                self._theirs = theirs
            else:
                self._answer = SavedChanges.of_encoded(canonical_each(_as_dict(ours, i)
                                                                      for i in range(len(ours)))) == theirs
        else:
            self._answer = all(canonical(_as_dict(ours, i)) == canonical(saved) for i, saved in enumerate(theirs))
        self._ours = ours

    @property
    def pending(self) -> bool:
        """Whether the answer is still being worked out in a child."""
        return self._answer is None

    def require(self) -> None:
        if self._answer is None:
            beside, self._beside = self._beside, None
            self._answer = beside.result(lambda: _digest_of(self._ours)) == self._theirs
        if not self._answer:
            raise PlanFileError(_DIFFER)

    def close(self) -> None:
        if self._beside is not None:
            self._beside.cancel()
            self._beside = None


def _digest_of(changes: list) -> SavedChanges:
    """SavedChanges of the changes (objects or their dicts)."""
    return SavedChanges.of_encoded(canonical_each(c if type(c) is dict else c.to_dict() for c in changes))


def _as_dict(changes: list, i: int) -> dict:
    changes[i] = d = changes[i].to_dict()
    return d


def _findings(diagnostics: list[dict], folder: str) -> str:
    """Diagnostics with their files relative to the org folder (the plan may be applied from
    another working directory with --org-dir)."""
    out = []
    for d in diagnostics:
        d = dict(d)
        if d.get("file"):
            d["file"] = os.path.relpath(d["file"], folder)
        out.append(d)
    return canonical(out)


@dataclass(frozen=True)
class Applied:
    snapshot: Snapshot  # without `read_back`: lineage and serial only
    targets: Mapping[str, Target]  # the org's targets, as the config that was applied names them
    operations: int  # how many operations the apply recorded for them


def apply_document(document: dict, backend: StateBackend, **options) -> Snapshot:
    """`apply_plan`, returning the new state snapshot."""
    return apply_plan(document, backend, **options).snapshot


def apply_plan(document: dict, backend: StateBackend, *, actor: str, org_dir: str | Path | None = None,
                   today: dt.date | None = None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                   progress: Progress | None = None, now: dt.datetime | None = None,
                   rederive: bool = True, verify: bool = True,
                   targets: Mapping[str, Target] | None = None, checked: bool = False,
                   read_back: bool = True, prepared: Prepared | None = None, early=None) -> Applied:
    """Apply `document` (read with `read_plan`, or fresh from `make_plan`). The
    state must be the one planned against (stale otherwise) and, with `rederive`, the changes
    must be exactly what the config produces against it, summary and diagnostics included
    (`check_rederived`); with `verify`, the state must pass verification (`check_state`).
    The operations the changes owe the org's targets (`targets`, or the re-derived config's)
    are recorded in the same transaction (the outbox); delivering them is
    `provisioner.targets.delivery`'s work. `checked`: the document's checksum was verified
    by `read_plan`, or it was sealed by `make_plan` in this process. `prepared`: the config
    validated ahead (`validate_meanwhile`). `early`: a child of `statecheck.early_child()`
    to verify the state in."""
    check_document(document, checksum_checked=checked)
    check_config(document, org_dir)
    today = today or dt.date.today()
    now = now or dt.datetime.now(dt.timezone.utc)
    expect = (document["state"]["lineage"], document["state"]["serial"])
    if not rederive and isinstance(document["changes"], SavedChanges):
        raise PlanFileError("a plan read for apply (savedplan.read_for_apply) is applied only re-derived")
    # Checked before the lock (but for a comparison still running beside, awaited before the
    # commit), so a refused plan leaves the database untouched; under the lock `backend.apply`
    # still refuses a state that moved on (stale) in its own transaction.
    checking = StateCheck(backend, org_dir or document["config"]["dir"], early=early) if verify else None
    changes, same, derived_from = document["changes"], None, None
    with ExitStack() as later:
        try:
            if rederive:
                with checking.around() if checking else nullcontext():  # a state failing verification is refused first
                    snapshot = backend.read()
                    if (snapshot.lineage, snapshot.serial) != expect:
                        raise StaleState(expect, (snapshot.lineage, snapshot.serial))
                    rederived = check_rederived(document, snapshot, org_dir, prepared)
                    targets, changes, same = rederived.validation.org.targets, rederived.changes, rederived.same
                    derived_from = snapshot
                    del snapshot, rederived
            if checking:
                checking.warnings()
            later.enter_context(collector.paused())  # from the writes to the commit
            writes = writes_of(changes, expect[1] + 1, today)
            del changes
            targets = dict(targets or {})
            with backend.lock(actor, lock_timeout):
                # What the changes start from (the operations are derived from it): the state they
                # were re-derived from, not read again; `backend.apply` refuses it, in its own
                # transaction, if another apply moved the state on since (StaleState).
                snapshot = derived_from if derived_from is not None else backend.read()
                del derived_from
                if (snapshot.lineage, snapshot.serial) != expect:
                    raise StaleState(expect, (snapshot.lineage, snapshot.serial))
                specs = specs_of(writes, snapshot, targets.values())
                ops = owed_operations(specs, expect[1] + 1, now)
                # The changes are the plan's, or nothing is committed: a child may still be
                # comparing them while the writes are made, so the answer is awaited in the
                # transaction, before it commits (a refusal rolls everything back).
                after = backend.apply(writes, expect=expect, actor=actor, plan_digest=document["checksum"], at=now,
                                      progress=progress, operations=ops, read_back=read_back,
                                      before_commit=same.require if same is not None else None)
                if same is not None and same.pending:  # a backend that never called the hook: loudly
                    raise PlanFileError("the state backend committed without awaiting the comparison of the "
                                        "changes with the plan; run `provisioner state verify`")
                return Applied(after, targets, len(ops))
        finally:
            if same is not None:
                same.close()
