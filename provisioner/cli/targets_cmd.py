"""`provisioner sync`, `pending` and `confirm`: deliver what the state owes the targets,
list what each target still owes, and confirm change-file operations."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .. import collector
from ..plan.statecheck import check_state
from ..state import StateError
from ..state.actor import resolve_actor
from .common import anchor_head, fail, format_option, open_backend, org_folder, org_id_of, state_option

LOCK_HELP = "Seconds to wait for another apply or sync to finish."


def progress_printer():
    """Per-target progress on stderr, on a terminal only."""
    if not sys.stderr.isatty():
        return None
    started = {}

    def show(target: str, done: int, total: int, retries: int) -> None:
        import time

        t0 = started.setdefault(target, time.monotonic())
        rate = done / max(time.monotonic() - t0, 1e-6)
        end = "\n" if done == total else ""
        click.echo(f"\r{target}: {done}/{total} ({rate:.0f}/s, {retries} retries)", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return show


def deliver_and_report(backend, targets, *, actor: str, org_dir, lock_timeout: float, only=None,
                       retry: tuple[str, ...] = ()) -> int:
    """Deliver under the state lock, print per-target lines and the final line; the exit code."""
    from ..targets.delivery import deliver
    from ..targets.outcome import exit_code, final_line, lines

    try:
        with backend.lock(actor, lock_timeout), collector.running():  # request after request
            if retry:
                requeue(backend, retry, actor)
            reports = deliver(backend, targets, actor=actor, org_dir=org_dir, only=only,
                              progress=progress_printer())
    except StateError as exc:
        fail(str(exc))
    for line in lines(reports):
        click.echo(line)
    click.echo(final_line(reports))
    return exit_code(reports)


def requeue(backend, which: tuple[str, ...], actor: str) -> None:
    """Put failed, conflicting or drifted operations back in the queue (all, or by id)."""
    from ..targets.operations import NEEDS_ATTENTION, OpResult, OpStatus

    stuck = backend.operations(statuses=[str(s) for s in NEEDS_ATTENTION if s is not OpStatus.REJECTED])
    chosen = stuck if "all" in which else [op for op in stuck if op.id in which]
    unknown = set(which) - {"all"} - {op.id for op in stuck}
    if unknown:
        fail(f"no failed, conflicting or drifted operation {', '.join(sorted(unknown))}; see `provisioner pending`")
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    backend.record([OpResult(op.id, str(OpStatus.PENDING), 0, f"re-queued by {actor}") for op in chosen],
                   at=stamp, actor=actor)


@click.command("sync")
@click.argument("org_dir", type=click.Path(exists=True, file_okay=False))
@state_option
@click.option("--target", "only", multiple=True, help="Only this target (repeatable).")
@click.option("--retry", multiple=True, metavar="OPERATION|all",
              help="Send failed, conflicting or drifted operations again (after fixing the cause).")
@click.option("--actor", default=None, help="Who delivers, for the audit log.")
@click.option("--lock-timeout", type=float, default=10.0, show_default=True, help=LOCK_HELP)
def sync_command(org_dir, state_url, only, retry, actor, lock_timeout) -> None:
    """Deliver what the state still owes the targets of ORG_DIR (after a failure, a crash or
    an unreachable target), without planning. Exit 0 when everything is delivered, 3 when
    operations are still pending, 4 when some need a person, 1 on error.

    \b
    Example:
      provisioner sync orgs/riverside-health
      provisioner sync orgs/riverside-health --retry 12.4
    """
    from ..pipeline import validate

    validation = validate(org_dir, rules=False)
    if validation.org is None or not validation.ok:
        fail(f"{org_dir} does not validate; run `provisioner validate {org_dir}`")
    backend = open_backend(validation.org.id, state_url, create=False)
    try:
        try:  # like apply: nothing is delivered from, recorded in or anchored for a tampered state
            for warning in check_state(backend, org_dir, writing=True):
                click.echo(f"warning: {warning}", err=True)
        except StateError as exc:
            fail(str(exc))
        code = deliver_and_report(backend, dict(validation.org.targets), actor=resolve_actor(actor),
                                  org_dir=org_dir, lock_timeout=lock_timeout, only=only or None, retry=retry)
        anchor_head(org_dir, validation.org.id, backend.read().lineage, backend.head())
    finally:
        backend.close()
    raise SystemExit(code)


@click.command("pending")
@click.argument("org", required=False)
@state_option
@click.option("--target", default=None, help="Only this target.")
@click.option("--all", "show_all", is_flag=True, help="Also operations that need attention (failed, conflict, …).")
@format_option("text", "json")
def pending_command(org, state_url, target, show_all, fmt) -> None:
    """List what each target of ORG (id or folder) still owes, oldest first, with its age:
    the list an admin works through. Exit 0 when nothing is owed, 2 otherwise.

    \b
    Example:
      provisioner pending riverside-health --target riverside-emr
    """
    from ..targets.operations import NEEDS_ATTENTION, OpStatus

    statuses = [str(OpStatus.PENDING)] + ([str(s) for s in NEEDS_ATTENTION] if show_all else [])
    backend = open_backend(org_id_of(org), state_url, create=False)
    try:
        ops = backend.operations(target, statuses=statuses)
    finally:
        backend.close()
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"id": op.id, "target": op.target, "status": op.status, "action": op.action, "object": op.object,
             "key": op.key, "login": op.payload.get("user_name") or op.payload.get("display_name"),
             "created_at": op.created_at, "age_days": (now - dt.datetime.fromisoformat(op.created_at)).days,
             "attempts": op.attempts, "last_error": op.last_error, "file": op.file} for op in ops]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for r in rows:
            extra = f"  {r['last_error']}" if r["last_error"] else (f"  in {r['file']}" if r["file"] else "")
            click.echo(f"{r['id']:>10} {r['target']:20} {r['status']:10} {r['action']:10} {r['key']:40} "
                       f"{r['age_days']:>3}d{extra}")
        click.echo(f"{len(rows)} operation{'s' if len(rows) != 1 else ''} owed" if rows else "Nothing owed: every target has what it is owed.")
    raise SystemExit(2 if rows else 0)


def _superseded_note(backend, target: str, unknown: list[str], owed: dict) -> str:
    """For the named operations a later one replaced before it was confirmed: which one now
    stands for each (the same account, with what the config says now)."""
    from ..targets.operations import OpStatus

    known = {op.id: op for op in backend.operations(target, ids=unknown)}
    by_key = {op.key: op.id for op in owed.values()}
    gone = [(op_id, by_key.get(known[op_id].key)) for op_id in unknown
            if op_id in known and known[op_id].status == str(OpStatus.SUPERSEDED)]
    if not gone:
        return ""
    shown = ", ".join(f"{old} by {new}" if new else old for old, new in gone[:10])
    return (f"; {len(gone)} of them were superseded by a later operation for the same account ({shown}): "
            "confirm the later one, which carries what the config says now")


@click.command("confirm")
@click.argument("target")
@click.argument("operations", nargs=-1)
@click.option("--org", default=None, help="Org id or folder whose state to use.")
@state_option
@click.option("--file", "results", type=click.Path(dir_okay=False), default=None,
              help="A results CSV: operation_id, result (done|rejected), reason.")
@click.option("--reject", default=None, metavar="REASON", help="Mark the named OPERATIONS rejected, with a reason.")
@click.option("--actor", default=None, help="Who confirms, for the audit log.")
def confirm_command(target, operations, org, state_url, results, reject, actor) -> None:
    """Mark change-file operations of TARGET as carried out (or rejected, with a reason):
    by id, or from a results file. Each confirmation goes into the audit log.

    \b
    Examples:
      provisioner confirm riverside-emr 3.1 3.2 --org riverside-health
      provisioner confirm riverside-emr --file emr-results.csv --org riverside-health
    """
    from ..targets.changefile import ChangeFileError, read_results
    from ..targets.operations import OpResult, OpStatus

    if bool(operations) == bool(results):
        fail("name the operations to confirm, or give --file RESULTS.csv (not both)")
    from ..identifiers import unprintable_problem

    problem = unprintable_problem(reject) if reject else None
    if problem:  # recorded, and shown again by `pending` and `log`
        fail(f"the --reject reason cannot be recorded: {problem}", code=2)
    try:
        rows = read_results(Path(results)) if results else [
            (op, "rejected" if reject else "done", reject or "") for op in operations]
    except ChangeFileError as exc:
        fail(str(exc))
    org_id = org_id_of(org)
    folder = org_folder(org)
    backend = open_backend(org_id, state_url, create=False)
    who = resolve_actor(actor)
    try:
        # like sync: nothing is recorded in a tampered state
        for warning in check_state(backend, folder, writing=True):
            click.echo(f"warning: {warning}", err=True)
        with backend.lock(who, 10.0):
            owed = {op.id: op for op in backend.operations(target, statuses=[str(OpStatus.PENDING)])}
            unknown = [op_id for op_id, _, _ in rows if op_id not in owed]
            if unknown:
                fail(f"{target} owes no pending operation {', '.join(unknown[:10])}"
                     + (f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else "")
                     + _superseded_note(backend, target, unknown, owed)
                     + "; nothing was confirmed (see `provisioner pending`)")
            stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            backend.record([OpResult(op_id, str(OpStatus.DELIVERED if res == "done" else OpStatus.REJECTED),
                                     owed[op_id].attempts + 1, reason or None, detail={"confirmed_by": who})
                            for op_id, res, reason in rows], at=stamp, actor=who)
        done = sum(1 for _, r, _ in rows if r == "done")
        click.echo(f"{target}: {done} confirmed done, {len(rows) - done} rejected; "
                   f"{len(owed) - len(rows)} still pending.")
        if folder is not None:  # the confirmations are commits of the state: anchored as apply's are
            anchor_head(folder, org_id, backend.read().lineage, backend.head())
        else:
            click.echo("note: give the org folder as --org to record the new audit head in its anchor (else the "
                       "next apply or sync of the folder records it)", err=True)
    except StateError as exc:
        fail(str(exc))
    finally:
        backend.close()
