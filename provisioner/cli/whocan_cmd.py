"""`provisioner who-can`: the people who hold a permission, role or scope, with provenance."""

from __future__ import annotations

import click

from ..report.inputs import sources_for
from ..report.provenance import access_document
from ..report.render import RENDERERS
from ..report.rights import org_rights
from ..report.whocan import UnknownName, known_names, who_can
from .auditing import load_org, no_git_option, read_state, settled
from .common import fail, format_option, state_option


@click.command("who-can")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.argument("permission", required=False)
@click.option("--office", default=None, metavar="OFFICE", help="Only rights that reach this office.")
@click.option("--list", "list_names", is_flag=True, help="List the names PERMISSION may be.")
@format_option("text", "json", "markdown")
@state_option
@no_git_option
def whocan_command(org_dir, permission, office, list_names, fmt, state_url, no_git) -> None:
    """List who in ORG_DIR holds PERMISSION (an EMR or front-office permission, an admin
    role, a licence type, or referrals / data_management / reporting / client_admin /
    admin), optionally at one --office, each holder with the provenance of the right.

    \b
    Examples:
      provisioner who-can orgs/riverside-health finish_soap_notes --office eastside-rehab
      provisioner who-can orgs/riverside-health client_admin
      provisioner who-can orgs/riverside-health enter_refunds
      provisioner who-can orgs/riverside-health referrals --office riverside-access-center
    """
    if list_names:
        click.echo("\n".join(known_names()))
        return
    if not permission:
        fail("name a PERMISSION (see `provisioner who-can ORG_DIR --list`)", code=2)
    validation = load_org(org_dir)
    org = validation.org
    if office is not None and office not in org.offices:
        fail(f"no office {office!r} in {org_dir} (offices: {', '.join(org.offices)})")
    try:
        holders = who_can(org_rights(org), permission, office)
    except UnknownName as exc:
        fail(str(exc))
    backend = read_state(org.id, state_url, org_dir)
    try:
        src = sources_for(validation, backend, git=not no_git)
    finally:
        if backend is not None:
            backend.close()
    with settled():
        doc = access_document(org, holders, src, rights=holders)
    doc["query"] = {"permission": permission, "office": office}
    click.echo(RENDERERS[fmt](doc))
    if fmt == "text":
        at = f" at {office}" if office else ""
        click.echo(f"{len(holders)} {'person holds' if len(holders) == 1 else 'people hold'} {permission}{at}")
