"""`provisioner validate`: check an org folder and report its findings."""

from __future__ import annotations

import click

from .. import collector
from ..pipeline import validate
from ..reporters import REPORTERS
from .common import cache_option, format_option, read_cache, today_option, use_colour, warn_about


@click.command("validate")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@format_option("text", "json", "github")
@today_option
@click.option("--quiet", "-q", is_flag=True, help="Text format: show errors only (the counts stay complete).")
@cache_option
@collector.paused()  # bulk work: see collector.py
def validate_command(org_dir: str, fmt: str, today, quiet: bool, cache_dir) -> None:
    """Validate ORG_DIR against the schemas and the domain rules.

    Exits 0 when there are no errors (warnings allowed), 1 when there are errors,
    2 on a usage error.

    \b
    Examples:
      provisioner validate orgs/riverside-health
      provisioner validate orgs/riverside-health --format json
      provisioner validate orgs/riverside-health --format github   # in CI
    """
    cache = read_cache(cache_dir)
    result = validate(org_dir, today=today, cache=cache)
    warn_about(cache)
    render = REPORTERS[fmt]
    if fmt == "text":
        click.echo(render(result.diagnostics, lines=result.source.lines, colour=use_colour(), quiet=quiet), nl=False)
    else:
        click.echo(render(result.diagnostics), nl=False)
    raise SystemExit(0 if result.ok else 1)


@click.command("validate-files")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=True))
@today_option
@click.option("--quiet", "-q", is_flag=True, help="Show errors only (the counts stay complete).")
def validate_files_command(files: tuple[str, ...], today, quiet: bool) -> None:
    """Validate the org folders that FILES belong to (what the pre-commit hook runs).

    A file's org folder is the nearest folder above it that directly holds the
    Organization document; each folder is validated once, whole. A file under no org
    folder is an error (ORG001). Exits 0 when no folder has errors, 1 otherwise.

    \b
    Example:
      provisioner validate-files orgs/riverside-health/people/staff.yaml orgs/harbor-therapy/offices.yaml
    """
    from ..orgfolders import org_folders

    folders, orphans = org_folders(list(files))
    ok = True
    for orphan in orphans:
        click.echo(f"error: {orphan}: no folder above it holds an Organization document (ORG001)", err=True)
        ok = False
    render = REPORTERS["text"]
    for folder in folders:
        if len(folders) > 1:
            click.echo(f"# provisioner validate {folder}")
        result = validate(folder, today=today)
        click.echo(render(result.diagnostics, lines=result.source.lines, colour=use_colour(), quiet=quiet), nl=False)
        ok = ok and result.ok
    raise SystemExit(0 if ok else 1)
