"""`provisioner adopt`: link the accounts a target already holds to the configured people
they match, recording their ids and versions in the state without creating anything."""

from __future__ import annotations

import datetime as dt
import json

import click

from .common import fail, format_option, open_backend, state_option, today_option
from .drift_cmd import org_targets


def _report(adoption, holdings, applied: bool) -> dict:
    m = adoption.matching
    return {
        "target": adoption.target, "pages": holdings.pages, "accounts": len(holdings.users),
        "counts": {k: len(m.of(k)) for k in ("linked", "matched", "disputed", "unmatched")},
        "missing": m.missing, "applied": applied,
        "linked_now": len(adoption.links), "settled": len(adoption.settled),
        "updates_owed": len(adoption.updates) + len(adoption.owed),
        "accounts_by_situation": [{"situation": s.kind, "remote_id": s.remote_id, "login": s.login, "key": s.key,
                                   "candidates": list(s.candidates), "message": s.message} for s in m.accounts],
    }


def _show(doc: dict, dry_run: bool) -> None:
    c = doc["counts"]
    click.echo(f"{doc['target']}: {doc['accounts']} accounts read ({doc['pages']} pages): {c['matched']} matched, "
               f"{c['linked']} linked already, {c['disputed']} disputed, {c['unmatched']} unmatched; "
               f"{len(doc['missing'])} configured without an account there (missing)")
    for a in doc["accounts_by_situation"]:
        if a["situation"] in ("disputed", "unmatched"):
            click.echo(f"  {a['situation']:10} {a['message']}")
    for key in doc["missing"]:
        click.echo(f"  {'missing':10} {key}: no account at {doc['target']} (`provisioner sync` creates it)")
    if dry_run:
        click.echo(f"Dry run: nothing recorded. Adopting would link {doc['linked_now']} accounts.")
        return
    click.echo(f"Linked {doc['linked_now']} accounts (no request sent to {doc['target']}); "
               f"{doc['settled']} owed operations settled (the account already held them); "
               f"{doc['updates_owed']} left owed as updates of the linked account (`provisioner sync` sends them).")
    if doc["counts"]["disputed"] or doc["counts"]["unmatched"]:
        click.echo("Disputed and unmatched accounts are not touched: decide them (fix the e-mail in the config, "
                   "or leave them unmanaged), then adopt again.")


def _anchor(folder, org: str, lineage: str, head: dict | None) -> None:
    """Record the new audit head in the org's anchor file; say so on stderr (stdout may be JSON)."""
    from ..state import StateError
    from ..state.anchor import write_anchor

    if head is None:
        return
    try:
        path = write_anchor(folder, org, lineage, head)
    except StateError as exc:
        click.echo(f"warning: the state was written, but {exc}", err=True)
        return
    click.echo(f"Audit head: commit {head['commit']}; anchored in {path} (commit it with the config).", err=True)


@click.command("adopt")
@click.argument("target")
@click.option("--org", "org_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="The org folder whose people to match and whose state to record in.")
@state_option
@today_option
@format_option("text", "json")
@click.option("--dry-run", is_flag=True, help="Classify the accounts and say what would be linked; record nothing.")
@click.option("--allow-mass-change", is_flag=True, help="Allow the config's mass deactivation when it is applied.")
@click.option("--actor", default=None, help="Who adopts, for the audit log.")
@click.option("--lock-timeout", type=float, default=10.0, show_default=True,
              help="Seconds to wait for another apply or sync to finish.")
def adopt_command(target, org_dir, state_url, today, fmt, dry_run, allow_mass_change, actor, lock_timeout) -> None:
    """Link every account at TARGET that matches a configured person (by externalId, then
    by normalised e-mail) to that person: the account's id and version are recorded in the
    state, nothing is created or sent. The config is applied to the state first (as
    `apply` would, without delivering), so the next plan starts from it; an operation owed
    to a linked account that already holds it is settled, any other stays owed as an
    update of that account. Disputed and unmatched accounts are listed and left alone.
    Review with --dry-run first.

    \b
    Examples:
      provisioner adopt riverside-okta --org orgs/riverside-health --dry-run
      provisioner adopt riverside-okta --org orgs/riverside-health
    """
    from ..pipeline import validate
    from ..plan import make_plan
    from ..plan.apply import apply_plan, writes_for
    from ..reconcile.adopt import plan_adoption
    from ..reconcile.check import owe
    from ..reconcile.readback import read_scim
    from ..state import StateError
    from ..state import state_url as resolve_state_url
    from ..state.actor import resolve_actor
    from ..targets.mapping import after_state
    from ..targets.operations import OpStatus
    from ..targets.scim import TargetError
    from .plan_cmd import _show_findings

    validation = validate(org_dir, today=today)
    if not validation.ok:
        _show_findings(validation.diagnostics, validation.source.lines, "text")
        fail("the configuration has errors; nothing was adopted")
    org, chosen = org_targets(org_dir, (target,), validation=validation)
    chosen = chosen[0]
    try:
        holdings = read_scim(chosen)
    except TargetError as exc:
        fail(str(exc))
    who = resolve_actor(actor)
    backend = open_backend(org.id, state_url)
    try:
        snapshot = backend.read()
        day = today or dt.date.today()
        result = make_plan(org_dir, snapshot=snapshot, today=day, validation=validation,
                           allow_mass_change=allow_mass_change, state_url=resolve_state_url(org.id, state_url),
                           target_info=backend.target_info(), pending=backend.pending_accounts())
        if not result.ok:
            _show_findings(result.diagnostics, validation.source.lines, "text")
            fail("the plan is refused; fix the errors above and adopt again")
        applied = bool(result.document["changes"]) and not dry_run
        if dry_run:
            resources = after_state(snapshot.resources, writes_for(result.document, day))
            adoption = plan_adoption(chosen, resources, holdings.users, backend.shadows(chosen.id), [],
                                     extension=holdings.extension)
        else:
            if applied:
                apply_plan(result.document, backend, actor=who, org_dir=org_dir, today=day,
                           lock_timeout=lock_timeout, rederive=False, targets=org.targets)
            with backend.lock(who, lock_timeout):
                adoption = plan_adoption(chosen, backend.read().resources, holdings.users,
                                         backend.shadows(chosen.id),
                                         backend.operations(chosen.id, statuses=[str(OpStatus.PENDING)]),
                                         extension=holdings.extension)
                stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                backend.link(adoption.links, at=stamp, actor=who)
                backend.record(adoption.settled, at=stamp, actor=who)
                owe(backend, adoption.owed, who)
            _anchor(org_dir, org.id, backend.read().lineage, backend.head())
    except StateError as exc:
        fail(str(exc))
    finally:
        backend.close()
    doc = _report(adoption, holdings, applied)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _show(doc, dry_run)
