"""`provisioner validate`: check an org folder and report its findings."""

from __future__ import annotations

import click

from ..pipeline import validate
from ..reporters import REPORTERS
from .common import format_option, today_option, use_colour


@click.command("validate")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@format_option("text", "json", "github")
@today_option
@click.option("--quiet", "-q", is_flag=True, help="Text format: show errors only (the counts stay complete).")
def validate_command(org_dir: str, fmt: str, today, quiet: bool) -> None:
    """Validate ORG_DIR against the schemas and the domain rules.

    Exits 0 when there are no errors (warnings allowed), 1 when there are errors,
    2 on a usage error.

    \b
    Examples:
      provisioner validate orgs/riverside-health
      provisioner validate orgs/riverside-health --format json
      provisioner validate orgs/riverside-health --format github   # in CI
    """
    result = validate(org_dir, today=today)
    render = REPORTERS[fmt]
    if fmt == "text":
        click.echo(render(result.diagnostics, lines=result.source.lines, colour=use_colour(), quiet=quiet), nl=False)
    else:
        click.echo(render(result.diagnostics), nl=False)
    raise SystemExit(0 if result.ok else 1)
