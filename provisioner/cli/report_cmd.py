"""`provisioner report`: the access document kept in the repository (ACCESS.md) and its
staleness check; sub-reports (terminations, html) hang off the same group."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from ..report.accessdoc import access_markdown
from .auditing import load_org
from .common import fail

REGENERATE = "provisioner report ORG_DIR --out ORG_DIR/ACCESS.md"


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no sub-command, goes to `default`."""

    default = "access"

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.group("report", cls=DefaultGroup)
def report_group() -> None:
    """Reports for auditors. `provisioner report ORG_DIR` is `provisioner report access
    ORG_DIR`: the access document (ACCESS.md).

    \b
    Examples:
      provisioner report orgs/riverside-health --out orgs/riverside-health/ACCESS.md
      provisioner report orgs/riverside-health --check      # in CI: exit 1 when stale
    """


@report_group.command("access")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the document here (default: print it; with --check: ORG_DIR/ACCESS.md).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff when --out is stale.")
def report_access(org_dir, out, check) -> None:
    """Write ORG_DIR's access document: each role's permission set (FO003), admin holders
    with approver and review dates, licence seats per clinic, waivers, when reviews fall
    due, people per office. Independent of today's date: it changes only with the config.

    \b
    Examples:
      provisioner report access orgs/riverside-health --out orgs/riverside-health/ACCESS.md
      provisioner report access orgs/riverside-health --check
    """
    validation = load_org(org_dir)
    text = access_markdown(validation.org, REGENERATE)
    if check:
        path = Path(out) if out else Path(org_dir) / "ACCESS.md"
        if not path.is_file():
            fail(f"{path} does not exist; write it with `provisioner report {org_dir} --out {path}`")
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {path}: {exc}")
        if old != text:
            diff = difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                        f"{path} (committed)", f"{path} (from the config)")
            click.echo("".join(diff), nl=False)
            fail(f"{path} is stale; regenerate it with `provisioner report {org_dir} --out {path}`")
        click.echo(f"{path} is up to date")
        return
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {out}")
