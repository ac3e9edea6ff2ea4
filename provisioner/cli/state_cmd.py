"""`provisioner state ...` (list, show, verify, unlock) and `provisioner invitations`: read
the applied state, verify it, and break a stale lock on purpose."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ..plan.statecheck import check_state
from ..plan.lifecycle import invitation_status
from ..plan.resources import KINDS, kind_of
from ..state import StateError
from .common import anchor_head, fail, format_option, open_backend, org_id_of, state_option, today_option


def read_state(org, state_url, with_operations: bool = False):
    """The snapshot of ORG's state (and, if asked, its outbox of target operations), or a
    CLI error (a damaged state names what is wrong)."""
    backend = open_backend(org_id_of(org), state_url, create=False)
    try:
        return (backend.read(), backend.operations()) if with_operations else backend.read()
    except StateError as exc:
        fail(str(exc))
    finally:
        backend.close()


@click.group("state")
def state_group() -> None:
    """Inspect the applied state and verify its audit log.

    \b
    Examples:
      provisioner state list riverside-health
      provisioner state show person.maria-lopez --org riverside-health
      provisioner state verify riverside-health
    """


@state_group.command("list")
@click.argument("org", required=False)
@state_option
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only resources of this kind.")
def state_list(org, state_url, kind) -> None:
    """List the resources in the state of ORG (an org id or an org folder).

    \b
    Example:
      provisioner state list riverside-health --kind person
    """
    snap = read_state(org, state_url)
    for address, r in snap.resources.items():
        if kind and kind_of(address) != kind:
            continue
        click.echo(f"{address}\t{r.status}")
    click.echo(f"# lineage {snap.lineage}, serial {snap.serial}, {len(snap.resources)} resources", err=True)


@state_group.command("show")
@click.argument("address")
@click.option("--org", default=None, help="Org id or folder whose state to read.")
@state_option
def state_show(address, org, state_url) -> None:
    """Show one resource of the state as JSON, e.g. `person.maria-lopez`.

    \b
    Example:
      provisioner state show person.maria-lopez --org riverside-health
    """
    if org is None and state_url is None:
        org = org_holding(address)
    snap = read_state(org, state_url)
    r = snap.resources.get(address)
    if r is None:
        fail(f"no resource {address!r} in the state")
    click.echo(json.dumps({"address": r.address, "kind": r.kind, "status": r.status,
                           "attributes": r.attributes}, indent=2, ensure_ascii=False))


def org_holding(address: str) -> str | None:
    """With several states in `.provisioner/` and no org named, the one state that holds
    ADDRESS (None leaves the usual choice: $PROVISIONER_STATE, or the only state)."""
    import os

    from ..state import STATE_DIR, STATE_ENV, open_state

    found = sorted(Path(STATE_DIR).glob("*.db"))
    if os.environ.get(STATE_ENV) or len(found) < 2:
        return None
    holders = []
    for path in found:
        try:
            backend = open_state(None, f"sqlite:///{path}", create=False)
        except StateError:
            continue
        try:
            if backend.has(address):
                holders.append(path.stem)
        finally:
            backend.close()
    if len(holders) == 1:
        return holders[0]
    if not holders:
        fail(f"no resource {address!r} in any state in {STATE_DIR}/ ({', '.join(p.stem for p in found)})")
    fail(f"{address!r} is in the states of {', '.join(holders)}: name one with --org")


@state_group.command("verify")
@click.argument("org", required=False)
@state_option
def state_verify(org, state_url) -> None:
    """Verify the state: the audit log's hash chain, the commit records, the meta table, and
    every resource row against the replay of the audit log; given the org folder, also
    against its anchor (ORG/.audit/state-anchor.json). Exit 1 naming each edited, inserted
    or deleted row; signatures are checked when PROVISIONER_AUDIT_KEY is set.

    \b
    Examples:
      provisioner state verify orgs/riverside-health
      provisioner state verify riverside-health --state sqlite:///backups/rh.db
    """
    from ..state import exposed
    from ..state.anchor import anchor_path, read_anchor

    folder = org if org and Path(org).is_dir() else None
    backend = open_backend(org_id_of(org), state_url, create=False)
    try:
        anchor = read_anchor(folder)
        problems = backend.integrity(anchor, str(anchor_path(folder)) if folder else "")
        rows, commits = backend.audit_count(), len(backend.commits())
    except StateError as exc:
        fail(str(exc))
    finally:
        backend.close()
    warning = exposed(backend.path)
    for p in [p for p in problems if not p.error]:
        click.echo(f"warning: {p.message}", err=True)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    errors = [p for p in problems if p.error]
    if errors:
        for p in errors:
            click.echo(f"error: {p.message}", err=True)
        fail(f"the state at {backend.path} fails verification ({len(errors)} problem(s))")
    anchored = (f"; matches its anchor {anchor_path(folder)}" if anchor and anchor.get("states")
                else "; not checked against an anchor (pass the org folder)" if folder is None else
                f"; no anchor at {anchor_path(folder)} yet")
    plural = "" if commits == 1 else "s"
    click.echo(f"state verified: audit log intact: {rows} rows, {commits} commit{plural}, resources match the "
               f"audit log{anchored}")


@state_group.command("unlock")
@click.argument("org", required=False)
@state_option
@click.option("--holder", default=None, help="The lock holder you mean to break, as `state unlock` names it.")
@click.option("--actor", default=None, help="Who breaks the lock, for the audit log (default as for apply).")
def state_unlock(org, state_url, holder, actor) -> None:
    """Break a stale apply lock, deliberately: name its holder with --holder. Refused when
    the holder differs (the lock changed hands) or is a live process on this machine. The
    release is recorded in the audit log.

    \b
    Example:
      provisioner state unlock riverside-health --holder ci@build-7
    """
    import datetime as _dt

    from ..state.actor import resolve_actor

    backend = open_backend(org_id_of(org), state_url, create=False)
    try:
        info = backend.lock_info()
        if info is None:
            fail(f"the state at {backend.path} is not locked; nothing to unlock")
        if holder is None:
            fail(f"the state is locked by {info.holder} (pid {info.pid} on {info.host}, since {info.since}); "
                 f"to break that lock, name it: provisioner state unlock --holder {info.holder}")
        check_state(backend, org if org and Path(org).is_dir() else None)  # never seal a tampered state
        info = backend.break_lock(holder, resolve_actor(actor), _dt.datetime.now(_dt.timezone.utc))
        head, lineage, owner = backend.head(), backend.read().lineage, backend.stored_org()
    except StateError as exc:
        fail(str(exc))
    finally:
        backend.close()
    click.echo(f"Broke the lock of {info.holder} (pid {info.pid} on {info.host}, since {info.since}); recorded in "
               "the audit log.")
    if org and Path(org).is_dir() and lineage and owner:
        anchor_head(org, owner, lineage, head)


@state_group.command("migrate")
@click.option("--from", "source", required=True, metavar="URL", help="The state to move (sqlite:///… or postgresql://…).")
@click.option("--to", "dest", required=True, metavar="URL", help="Where to move it: an empty state.")
@click.option("--org", default=None, help="The org whose state to move (needed when the source holds several).")
def state_migrate(source, dest, org) -> None:
    """Move a state to another backend with its whole history: resources, audit log, commit
    records, the outbox and shadows. The source is verified first; the copy is verified
    inside the destination's transaction and must end at the same head commit, or nothing
    is written. The destination must be empty; the source is left as it was.

    \b
    Example:
      PGPASSWORD=… provisioner state migrate --from sqlite:///.provisioner/riverside-health.db \\
          --to postgresql://provisioner@db.example:5432/provisioner
    """
    from ..state import open_state, redact, where
    from ..state.transfer import copy_state

    try:
        src = open_state(org, source, create=False)
    except StateError as exc:
        fail(str(exc))
    try:
        moved = copy_state(src, lambda owner: open_state(owner or org, dest, create=True))
    except StateError as exc:
        fail(str(exc))
    finally:
        src.close()
    rows = moved.rows
    click.echo(f"Migrated the state of {moved.org} (lineage {moved.lineage}, serial {moved.serial}) from "
               f"{where(source)} to {redact(dest)}: {rows['resources']} resources, {rows['audit']} audit rows, "
               f"{rows['commits']} commits, {rows['operations']} target operations.")
    click.echo(f"Verified on both sides: head commit {moved.head['commit']}, {moved.head['mac_alg']} "
               f"{moved.head['mac']}. Point --state (or PROVISIONER_STATE) at the new state; keep the old file "
               "as a backup.")


@click.command("invitations")
@click.argument("org")
@state_option
@today_option
@format_option("text", "json")
def invitations_command(org, state_url, today, fmt) -> None:
    """List the invitations of ORG (id or folder): pending, expired, revoked because the
    account was deactivated, or delivered: every target holding the account has received
    it (a SCIM target reported the user; an admin confirmed the change file) (LIFE007).

    Expired ones can be re-sent with `provisioner plan ORG_DIR --resend-expired`.

    \b
    Example:
      provisioner invitations orgs/riverside-health --today 2026-03-05
    """
    from ..targets.invitations import combined, latest_by_key, views

    today = today or dt.date.today()
    snap, ops = read_state(org, state_url, with_operations=True)
    latest = latest_by_key(ops)
    rows = []
    for a, r in snap.resources.items():
        if kind_of(a) != "invitation":
            continue
        attributes = r.attributes  # decoded once (state/backend.py StoredResource)
        account = attributes.get("account")
        own = invitation_status(r, today, snap.resources.get(account))
        seen = views(account, latest)
        rows.append({"address": r.address, "account": account, "email": attributes.get("email"),
                     "sent_on": attributes.get("sent_on"), "expires_on": attributes.get("expires_on"),
                     "status": combined(own, seen), "targets": seen})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        when = "expired" if row["status"] == "expired" else "expires"
        at = "  " + ", ".join(f"{t}: {s}" for t, s in row["targets"].items()) if row["targets"] else ""
        click.echo(f"{row['status']:9} {row['account']!s:40} {row['email']!s:40} {when} {row['expires_on']}{at}")
    counts = {s: sum(r["status"] == s for r in rows) for s in ("delivered", "pending", "expired", "revoked")}
    click.echo((f"{counts['delivered']} delivered to every target, " if counts["delivered"] else "")
               + f"{counts['pending']} pending, {counts['expired']} expired"
               + (f", {counts['revoked']} revoked (account inactive)" if counts["revoked"] else ""))
