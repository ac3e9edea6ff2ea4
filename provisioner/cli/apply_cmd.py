"""`provisioner apply`: apply a saved plan file, or plan an org folder, show the plan,
confirm and apply it."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from contextlib import ExitStack, nullcontext
from pathlib import Path

import click

from .. import collector
from ..plan import DEFAULT_LOCK_TIMEOUT
from ..plan.apply import apply_plan, check_config, read_ahead_folder, state_for_plan, validate_meanwhile
from ..plan.savedplan import Reading
from ..plan.statecheck import early_child
from ..state import StateError
from ..state.actor import resolve_actor
from ..state.sqlite import write_failed
from .common import anchor_head, fail, open_backend, state_option, today_option
from .edges import exit_code
from .plan_cmd import echo_plan, plan_or_fail, refresh_count, render_refresh, with_refresh
from .targets_cmd import deliver_and_report

PROGRESS_THRESHOLD = 20


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _resume(backend, org: str, targets, actor, folder, lock_timeout) -> None:
    """No changes to apply: deliver what earlier applies still owe the targets, if anything."""
    from ..targets.operations import OpStatus

    owed = backend.operations(statuses=[str(OpStatus.PENDING)]) if backend is not None else []
    if not any(op.file is None for op in owed):
        if backend is not None and _unanchored(backend, folder):  # a confirm or an upgrade's commit, say
            anchor_head(folder, org, backend.read().lineage, backend.head())
        raise SystemExit(0)
    try:
        code = deliver_and_report(backend, targets, actor=resolve_actor(actor), org_dir=folder,
                                  lock_timeout=lock_timeout)
        anchor_head(folder, org, backend.read().lineage, backend.head())
    finally:
        backend.close()
    raise SystemExit(code)


def _config_targets(folder):
    from ..pipeline import validate

    validation = validate(folder, rules=False)
    if validation.org is None:
        fail(f"{folder} does not validate; run `provisioner validate {folder}`")
    return validation.org.targets


def _unanchored(backend, folder) -> bool:
    """Whether the state has commits its org folder's anchor does not record yet."""
    from ..state.anchor import read_anchor

    head = backend.head()
    if head is None:
        return False
    try:
        anchor = read_anchor(folder) or {}
    except StateError:
        return False  # verification has named it already
    entry = (anchor.get("states") or {}).get(backend.read().lineage)
    return not isinstance(entry, dict) or entry.get("commit") != head["commit"]


def _owe_refresh(document, backend, targets, who, lock_timeout, folder=None) -> bool:
    """Owe the plan's refresh; a saved plan's (`folder`: its org folder) is first read from
    the targets again, against the state its changes made, and must come out the same: what
    is owed is then what was read just now. False when it was refused: said on stderr, and
    (for a plan whose changes were committed already) left to the caller to deliver those
    and exit 1."""
    from ..reconcile.check import owe_refresh

    if folder is not None:
        again, refusal = _refresh_rederived(document, backend, folder)
        if refusal is not None:
            if not document["changes"]:
                fail(refusal + "; nothing was applied; run `provisioner plan --refresh` again")
            click.echo(f"error: {refusal}; the plan's changes were applied (and are delivered now), its refresh "
                       "was not: run `provisioner plan --refresh` again", err=True)
            return False
        document = {**document, "refresh": again}
    try:
        with backend.lock(who, lock_timeout):
            n = owe_refresh(document, backend, targets, who)
    except StateError as exc:
        backend.close()
        fail(str(exc))
    click.echo(f"Refresh: {n} operation{'s' if n != 1 else ''} owed to bring the targets back to the config.")
    return True


def _deliver_refresh(document, backend, targets, who, folder, lock_timeout, saved: bool) -> None:
    """A plan with no state changes but a refresh: owe its operations, deliver, exit."""
    _owe_refresh(document, backend, targets, who, lock_timeout, folder if saved else None)
    try:
        code = deliver_and_report(backend, targets, actor=who, org_dir=folder, lock_timeout=lock_timeout)
        anchor_head(folder, document["org"], backend.read().lineage, backend.head())
    finally:
        backend.close()
    raise SystemExit(code)


def _refresh_keys(refresh: dict) -> list[tuple]:
    """What a refresh sends: per entry its target, object key, action and the account it names."""
    return sorted((e.get("target"), e.get("key"), e.get("object"), e.get("action"), str(e.get("remote_id")))
                  for t in (refresh or {}).values() for e in t.get("entries", ()))


def _refresh_rederived(document: dict, backend, folder) -> tuple[dict, str | None]:
    """A saved plan's refresh read from the targets again: (the refresh read just now, None)
    when it gives the same entries, else why the plan's is refused. As with its changes, the
    checksum proves the file whole, not who wrote it: an entry no reading of the targets
    gives (an account to deactivate, named by hand) never reaches a target, and a target
    changed since the plan refuses it too."""
    from ..pipeline import validate
    from ..reconcile.check import refresh_plan

    org = validate(folder, rules=False).org
    if org is None:
        return {}, f"the plan's org folder {folder} does not make an organization"
    options = document.get("options") or {}
    applied = {**document, "changes": []}  # its changes are in the state now (and owed in its outbox)
    with collector.running():  # the targets read, request after request
        again, errors = refresh_plan(applied, backend.read(), org.targets, backend,
                                     today=dt.date.fromisoformat(document["today"]), policy=org.policy,
                                     allow_mass_change=bool(options.get("allow_mass_change")))
    if errors:
        return again, "the plan's refresh could not be checked against the targets: " + "; ".join(errors)
    if _refresh_keys(again) != _refresh_keys(document.get("refresh")):
        return again, ("the plan's refresh is not what the targets need now (they changed since the plan was "
                       "made, or the plan was edited)")
    return again, None


def _progress(total: int):
    """A progress bar on stderr for long applies, on a terminal only."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return nullcontext(None)
    return click.progressbar(length=total, label="Applying", file=sys.stderr)


@click.command("apply")
@click.argument("target", type=click.Path(exists=True))
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@state_option
@today_option
@click.option("--actor", default=None, help="Who applies, for the audit log (default: CI identity, git e-mail, OS user).")
@click.option("--lock-timeout", type=float, default=DEFAULT_LOCK_TIMEOUT, show_default=True,
              help="Seconds to wait for another apply to finish.")
@click.option("--org-dir", type=click.Path(file_okay=False), default=None,
              help="With a plan file: the org folder it was made from, if it has moved.")
@click.option("--allow-mass-change", is_flag=True, help="With an org folder: allow a mass deactivation.")
@click.option("--resend-expired", is_flag=True, help="With an org folder: re-send expired invitations.")
@click.option("--refresh", is_flag=True,
              help="With an org folder: read the SCIM targets first and bring them back to the config too.")
@collector.paused()  # bulk work: see collector.py
def apply_command(target, auto_approve, state_url, today, actor, lock_timeout, org_dir, allow_mass_change,
                  resend_expired, refresh) -> None:
    """Apply TARGET: a plan file saved by `plan --out` (exactly that plan), or an org folder
    (plan, show, ask, apply).

    A plan file is refused when it was altered, when the org folder changed, or when the
    state moved on since it was made (stale): plan again.

    After the state is written, each target (`kind: Target`) receives its operations: SCIM
    targets over HTTP, change-file targets as a file to confirm. Operations that could not
    be delivered stay pending; the next apply or `provisioner sync` resumes them.

    Exit codes: 0 applied and delivered (change files written); 1 error, nothing applied;
    3 applied, some operations still pending (run `provisioner sync`); 4 applied, some
    operations need a person (failed, conflict, drift: `provisioner pending --all`).

    \b
    Examples:
      provisioner apply plans/today.json
      provisioner apply orgs/riverside-health --auto-approve   # in CI
      provisioner apply orgs/riverside-health --refresh          # also undo drift at the targets
    """
    with early_child() as early, ExitStack() as cleanup:  # early: forked while this process is small
        _apply(target, auto_approve, state_url, today, actor, lock_timeout, org_dir, allow_mass_change,
               resend_expired, refresh, early, cleanup)


def _apply(target, auto_approve, state_url, today, actor, lock_timeout, org_dir, allow_mass_change,
           resend_expired, refresh, early, cleanup) -> None:
    fresh = Path(target).is_dir()  # planned just now, in this process: nothing to re-derive
    prepared = None
    if fresh:
        result, backend = plan_or_fail(target, state_url, today, allow_mass_change, resend_expired,
                                       create_state=True)
        document, folder = result.document, target
        if refresh:
            document = with_refresh(result, backend, allow_mass_change)
        echo_plan(document, "text")
        click.echo(render_refresh(document, "text"), nl=False)
        if not document["changes"] and not refresh_count(document):
            _resume(backend, result.validation.org.id, result.validation.org.targets, actor, target, lock_timeout)
        if not auto_approve:
            if not stdin_is_terminal():
                fail("refusing to apply without confirmation: stdin is not a terminal; pass --auto-approve")
            if not click.confirm("Apply these changes?", default=False):
                fail("apply cancelled; nothing was changed")
        if backend is None:  # confirmed: only now is a new state database created
            backend = open_backend(document["org"], state_url)
    else:
        try:
            with Reading(target) as reading:  # the changes as a count and digest: apply re-derives them
                early.start(state_url, org_dir or read_ahead_folder(reading))  # a named state, verified meanwhile
                prepared = validate_meanwhile(reading, org_dir)  # on this core while the changes are checked
                if prepared is not None:
                    cleanup.callback(prepared.close)  # its rules, if still beside when the apply gives up
                document = reading.result()
            check_config(document, org_dir)  # before the state is opened to apply (or created)
            state_url = state_for_plan(document, state_url)
        except StateError as exc:
            fail(str(exc))
        folder = org_dir or document["config"]["dir"]
        backend = open_backend(document["org"], state_url)
        if not document["changes"] and not refresh_count(document):
            click.echo("No changes in this plan; nothing to apply.")
            raise SystemExit(0)
    who = resolve_actor(actor)
    if not document["changes"]:  # only the refresh: nothing for the state, operations for the targets
        targets = result.validation.org.targets if fresh else _config_targets(folder)
        _deliver_refresh(document, backend, targets, who, folder, lock_timeout, saved=not fresh)
    total = len(document["changes"])
    try:
        with _progress(total) as bar:
            step = (lambda i: bar.update(1)) if bar is not None else None
            applied = apply_plan(document, backend, actor=who, org_dir=folder, today=today,
                                 lock_timeout=lock_timeout, progress=step, rederive=not fresh,
                                 targets=result.validation.org.targets if fresh else None,
                                 verify=not (fresh and auto_approve),  # else verified just now
                                 checked=True,  # read_plan verified the checksum, or make_plan sealed it
                                 read_back=False,  # lineage and serial are all that is used
                                 prepared=prepared, early=early)
        _complete(document, applied.snapshot.serial)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say whether the plan was committed
        _interrupted(document, backend, exc)
    except StateError as exc:
        backend.close()
        fail(str(exc))
    except sqlite3.Error as exc:
        backend.close()
        fail(str(write_failed(exc, getattr(backend, "path", "the state"))))
    refused = refresh_count(document) and not _owe_refresh(document, backend, applied.targets, who, lock_timeout,
                                                           None if fresh else folder)
    try:
        code = deliver_and_report(backend, applied.targets, actor=who, org_dir=folder,
                                  lock_timeout=lock_timeout) if applied.targets or applied.operations else 0
        # after delivery: its results are audit rows too, so the anchor records the newest head
        anchor_head(folder, document["org"], applied.snapshot.lineage, backend.head())
    except KeyboardInterrupt:  # the plan is committed; what was not delivered stays pending
        click.echo("\nnote: interrupted during delivery: the plan was applied; undelivered operations stay "
                   "pending (`provisioner sync` resumes them)", err=True)
        try:  # the commit is in the state: the anchor records it, as after any apply
            anchor_head(folder, document["org"], applied.snapshot.lineage, backend.head())
        except (KeyboardInterrupt, StateError, OSError):
            pass
        raise SystemExit(3) from None  # applied, operations pending: as `sync` says it
    finally:
        backend.close()
    raise SystemExit(1 if refused else code)


def _complete(document: dict, serial: int, note: str = "") -> None:
    s = document["summary"]
    click.echo(f"Apply complete! {s['create']} created, {s['update']} updated, {s['replace']} replaced, "
               f"{s['deactivate']} deactivated, {s['reactivate']} reactivated, {s['delete']} deleted"
               + (f", {s['move']} moved" if s.get("move") else "") + ". "
               f"State serial {serial}.{note}")


def _interrupted(document: dict, backend, interrupt: KeyboardInterrupt) -> None:
    """The state decides, not the moment of the signal: the plan was committed exactly when
    the serial moved past the one it was planned against (the lock keeps others out)."""
    planned = document["state"]["serial"]
    try:
        backend.rollback_open()
        serial = backend.read().serial
    except Exception:  # noqa: BLE001 - the state cannot be read: say so rather than guess
        serial = None
    if serial is not None and serial > planned:
        try:
            _complete(document, serial, " (Interrupted after the commit: the plan was applied.)")
        except KeyboardInterrupt:
            pass
        click.echo(f"note: interrupted, but the plan was applied (state serial {serial})", err=True)
        raise SystemExit(0)
    state = f"state serial {serial}" if serial is not None else "run `provisioner state list` to check"
    click.echo(f"\nerror: interrupted before the commit: nothing was applied ({state}); apply again", err=True)
    raise SystemExit(exit_code(interrupt))
