"""`provisioner access`: people's effective access, each right with its provenance."""

from __future__ import annotations

import click

from ..report.inputs import sources_for
from ..report.provenance import access_document
from ..report.render import RENDERERS
from .auditing import load_org, no_git_option, read_state, settled, unknown_people
from .common import fail, format_option, state_option


@click.command("access")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.argument("people", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="Every person of the org.")
@format_option("text", "json", "markdown")
@state_option
@no_git_option
def access_command(org_dir, people, everyone, fmt, state_url, no_git) -> None:
    """Show the effective access of PEOPLE (person ids) in ORG_DIR, or of everyone with
    --all: referral, data-management and reporting scopes, admin roles, front-office and
    EMR permissions, licences. Each right says why: the file:line or role template that
    grants it, the approver, justification and last review, the git commit of that line,
    the audit row that applied it (with the plan digest) and the targets that hold it.

    \b
    Examples:
      provisioner access orgs/riverside-health maria-lopez
      provisioner access orgs/riverside-health --all --format markdown
    """
    if not people and not everyone:
        fail("name one or more people (person ids), or pass --all", code=2)
    validation = load_org(org_dir)
    unknown_people(validation, people)
    backend = read_state(validation.org.id, state_url, org_dir)
    try:
        src = sources_for(validation, backend, git=not no_git)
    finally:
        if backend is not None:
            backend.close()
    ids = list(validation.org.persons) if everyone else list(dict.fromkeys(people))
    with settled():
        click.echo(RENDERERS[fmt](access_document(validation.org, ids, src)))
