"""`provisioner report`: the access document kept in the repository (ACCESS.md) and its
staleness check; sub-reports (terminations, html) hang off the same group."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from ..privatefile import write_private
from ..report.accessdoc import access_markdown
from .auditing import DefaultGroup, load_org, read_state
from .common import DATE, echo_or_write, fail, format_option, state_option, today_option

REGENERATE = "provisioner report ORG_DIR --out ORG_DIR/ACCESS.md"


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
    if echo_or_write(text, out):
        click.echo(f"wrote {out}")


class InstantParam(click.ParamType):
    name = "TIME"

    def convert(self, value, param, ctx):
        import datetime as dt

        if isinstance(value, dt.datetime):
            return value
        try:
            t = dt.datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a time written YYYY-MM-DD or YYYY-MM-DDTHH:MM", param, ctx)
        return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


@report_group.command("terminations")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option("--since", type=DATE, default=None, metavar="DATE", help="Departures whose clock starts on or after DATE.")
@click.option("--as-of", "as_of", type=InstantParam(), default=None,
              help="Judge open deactivations as of this time (default: now, UTC).")
@click.option("--fail-on-late", is_flag=True, help="Exit 1 when any departure is late.")
@state_option
@format_option("text", "json")
def report_terminations(org_dir, since, as_of, fail_on_late, state_url, fmt) -> None:
    """List each departure of ORG_DIR (an end date, or a removal from the config) with the
    hours it took until the deactivation was applied and until each target received it,
    against policy.deprovision_within_hours (default 24); late ones are flagged.

    \b
    Examples:
      provisioner report terminations orgs/riverside-health --since 2026-01-01
      provisioner report terminations orgs/riverside-health --format json --fail-on-late
    """
    import datetime as dt
    import json

    from ..report.terminations import departures, text

    validation = load_org(org_dir)
    org = validation.org
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    backend = read_state(org.id, state_url, org_dir)
    if backend is None:
        rows = []
    else:
        try:
            rows = departures(org, backend.read().resources, backend.audit(), backend.operations(), as_of, since)
        finally:
            backend.close()
    if fmt == "json":
        click.echo(json.dumps({"policy_hours": org.policy.deprovision_within_hours, "as_of": as_of.isoformat(),
                               "departures": [d.to_dict() for d in rows]}, indent=2))
    else:
        click.echo(text(rows, org.policy.deprovision_within_hours, since))
    if fail_on_late and any(d.late for d in rows):
        raise SystemExit(1)


@report_group.command("html")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@state_option
@today_option
def report_html(org_dir, out, state_url, today) -> None:
    """Write the HTML report of ORG_DIR: one static file with charts (licence use per
    clinic, admin holders over time, review status, time to deprovision), waivers, role
    sets and a table per person. Opens offline in any browser.

    \b
    Example:
      provisioner report html orgs/riverside-health --out access.html
    """
    import datetime as dt

    from ..report.htmldata import report_data
    from ..report.htmlreport import render_html
    from ..report.terminations import departures

    validation = load_org(org_dir)
    org = validation.org
    today = today or dt.date.today()
    audit, departed = [], []
    backend = read_state(org.id, state_url, org_dir)
    if backend is not None:
        try:
            audit = backend.audit()
            now = dt.datetime.now(dt.timezone.utc)
            departed = departures(org, backend.read().resources, audit, backend.operations(), now)
        finally:
            backend.close()
    try:
        write_private(Path(out), render_html(report_data(org, today, audit, departed)))  # personal data: 0600
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {out}")
