"""`provisioner state ...` (list, show, verify) and `provisioner invitations`: read the
applied state and its audit log."""

from __future__ import annotations

import datetime as dt
import json

import click

from ..plan.lifecycle import invitation_status
from ..plan.resources import kind_of
from .common import fail, format_option, open_backend, org_id_of, state_option, today_option


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
@click.option("--kind", default=None, help="Only resources of this kind (office, person, profile, ...).")
def state_list(org, state_url, kind) -> None:
    """List the resources in the state of ORG (an org id or an org folder).

    \b
    Example:
      provisioner state list riverside-health --kind person
    """
    backend = open_backend(org_id_of(org), state_url, create=False)
    snap = backend.read()
    backend.close()
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
    backend = open_backend(org_id_of(org), state_url, create=False)
    snap = backend.read()
    backend.close()
    r = snap.resources.get(address)
    if r is None:
        fail(f"no resource {address!r} in the state")
    click.echo(json.dumps({"address": r.address, "kind": r.kind, "status": r.status,
                           "attributes": r.attributes}, indent=2, ensure_ascii=False))


@state_group.command("verify")
@click.argument("org", required=False)
@state_option
def state_verify(org, state_url) -> None:
    """Check the audit log's hash chain: exit 1 naming each edited or deleted row.

    \b
    Example:
      provisioner state verify riverside-health
    """
    backend = open_backend(org_id_of(org), state_url, create=False)
    problems = backend.verify()
    rows = len(backend.audit())
    backend.close()
    if problems:
        for p in problems:
            click.echo(f"error: {p}", err=True)
        raise SystemExit(1)
    click.echo(f"audit log intact: {rows} rows")


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
    backend = open_backend(org_id_of(org), state_url, create=False)
    snap = backend.read()
    latest = latest_by_key(backend.operations())
    backend.close()
    rows = []
    for a, r in snap.resources.items():
        if kind_of(a) != "invitation":
            continue
        account = r.attributes.get("account")
        own = invitation_status(r, today, snap.resources.get(account))
        seen = views(account, latest)
        rows.append({"address": r.address, "account": account, "email": r.attributes.get("email"),
                     "sent_on": r.attributes.get("sent_on"), "expires_on": r.attributes.get("expires_on"),
                     "status": combined(own, seen), "targets": seen})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        when = "expired" if row["status"] == "expired" else "expires"
        at = "  " + ", ".join(f"{t}: {s}" for t, s in row["targets"].items()) if row["targets"] else ""
        click.echo(f"{row['status']:9} {row['account']:40} {row['email']:40} {when} {row['expires_on']}{at}")
    counts = {s: sum(r["status"] == s for r in rows) for s in ("delivered", "pending", "expired", "revoked")}
    click.echo((f"{counts['delivered']} delivered to every target, " if counts["delivered"] else "")
               + f"{counts['pending']} pending, {counts['expired']} expired"
               + (f", {counts['revoked']} revoked (account inactive)" if counts["revoked"] else ""))
