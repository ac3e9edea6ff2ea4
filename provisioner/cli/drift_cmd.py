"""`provisioner drift`: read each target back and report what changed there behind the
provisioner's back. Read-only: it changes neither the state nor the targets."""

from __future__ import annotations

import click

from .common import fail, format_option, open_backend, state_option


def org_targets(org_dir: str, names: tuple[str, ...], kind: str = "scim", validation=None):
    """The org (validated, rules not run unless `validation` is given) and the `kind`
    targets named (all when none)."""
    from ..pipeline import validate

    validation = validation or validate(org_dir, rules=False)
    if validation.org is None or not validation.ok:
        fail(f"{org_dir} does not validate; run `provisioner validate {org_dir}`")
    targets = dict(validation.org.targets)
    unknown = [n for n in names if n not in targets]
    if unknown:
        fail(f"no target {', '.join(unknown)} in {org_dir} (its targets: {', '.join(sorted(targets)) or 'none'})")
    chosen = [targets[n] for n in (names or sorted(targets))]
    other = [t.id for t in chosen if t.type != kind]
    if other and names:
        fail(f"target {', '.join(other)} is not a {kind} target: only a {kind} target can be read back")
    return validation.org, [t for t in chosen if t.type == kind]


@click.command("drift")
@click.argument("targets", nargs=-1)
@click.option("--org", "org_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="The org folder whose targets and state to check.")
@state_option
@format_option("text", "json", "markdown", "github")
def drift_command(targets, org_dir, state_url, fmt) -> None:
    """Read each SCIM target of the org (or the TARGETS named) and compare what it holds
    with what the state says it was given: attributes changed there, accounts re-activated
    or deactivated there, accounts the provisioner does not own (unmanaged), accounts that
    vanished. Changes neither the state nor the targets.

    Exit codes: 0 no drift, 2 drift, 1 error (a target that cannot be read is named).

    \b
    Examples:
      provisioner drift --org orgs/riverside-health
      provisioner drift riverside-okta --org orgs/riverside-health --format github
    """
    from ..reconcile.check import as_document, drift_at
    from ..reconcile.driftrender import RENDERERS

    org, chosen = org_targets(org_dir, targets)
    if not chosen:
        fail(f"{org_dir} has no SCIM target to read back")
    backend = open_backend(org.id, state_url, create=False)
    try:
        reports = drift_at(chosen, backend)
    finally:
        backend.close()
    document = as_document(reports)
    click.echo(RENDERERS[fmt](document), nl=False)
    raise SystemExit(document["exit_code"])
