"""`provisioner import`: write an org folder's people from the accounts a target holds (over
SCIM, or from a CSV export in the change-file layout), with a report of every account's
situation and of what a person must decide."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import click

from .common import fail, today_option


def _configured(out: Path, skip: Path):
    """The org in `out` as configured without the file this import (re)writes."""
    from ..pipeline import validate

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "org"
        shutil.copytree(out, copy, ignore=shutil.ignore_patterns(".*"))
        stale = copy / skip.relative_to(out)
        if stale.exists():
            stale.unlink()
        validation = validate(copy, rules=False)
    if validation.org is None:
        fail(f"{out} needs a valid Organization document (and, to import over SCIM, the Target) before importing; "
             f"run `provisioner validate {out}`")
    return validation.org


def _findings(out: Path, today) -> list[str]:
    """The errors of the written folder: its validation, then a first plan of it (an empty
    state), so that a plan-time finding (a new office without a provider, say) is listed too."""
    import datetime as dt

    from ..diagnostics import Severity
    from ..pipeline import validate
    from ..plan import make_plan
    from ..state import Snapshot

    validation = validate(out, today=today)
    diagnostics = list(validation.diagnostics)
    if validation.ok:
        planned = make_plan(out, snapshot=Snapshot(None, 0, {}), today=today or dt.date.today(),
                            validation=validation)
        diagnostics += [d for d in planned.diagnostics if d not in diagnostics]
    found = []
    for d in diagnostics:
        if d.severity is not Severity.ERROR:
            continue
        where = os.path.relpath(d.file, out) if d.file else ""
        found.append(f"{where}:{d.line}: {d.code} {d.message}" if where else f"{d.code} {d.message}")
    return found


@click.command("import")
@click.argument("target")
@click.option("--out", "out", required=True, type=click.Path(exists=True, file_okay=False),
              help="The org folder to write into (it holds the Organization and the Target).")
@click.option("--from-csv", "from_csv", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Read the accounts from this CSV export (change-file columns) instead of the target.")
@click.option("--account-type", default=None, metavar="TYPE",
              help="The account_type of accounts whose system does not say (a decision: otherwise each is a finding).")
@today_option
def import_command(target, out, from_csv, account_type, today) -> None:
    """Write the accounts TARGET holds into the org folder OUT: one Person per account no
    configured person claims (ids from the externalId, else the e-mail, collisions made
    `-2`, `-3` visibly), the Offices they name, in OUT/imported/TARGET.yaml, and a report
    OUT/imported/TARGET-import.md classifying every account (matched by externalId then
    normalised e-mail, disputed, unmatched, duplicates of one e-mail, and configured people
    missing there) with the
    findings a person must decide. Importing an unchanged target again writes the same bytes.

    Exit codes: 0 the folder validates, 2 it has findings to decide (listed), 1 error.

    \b
    Examples:
      provisioner import riverside-okta --out orgs/riverside-health
      provisioner import riverside-emr --out orgs/riverside-health --from-csv emr-users.csv
    """
    from ..model import Target
    from ..plan.resources import desired_resources
    from ..reconcile.adopt import expected_users
    from ..reconcile.csvsource import CsvImportError, users_from_csv
    from ..reconcile.importer import build, render_report, render_yaml
    from ..reconcile.match import classify
    from ..reconcile.readback import read_scim
    from ..targets.scim import TargetError

    folder = Path(out)
    if not __import__("re").match(r"^[a-z0-9][a-z0-9-]*$", target):
        fail(f"{target!r} is not a target id (lowercase letters, digits and dashes)")
    written = folder / "imported" / f"{target}.yaml"
    report_path = folder / "imported" / f"{target}-import.md"
    org = _configured(folder, written)
    started = time.monotonic()
    if from_csv:
        try:
            users, groups, pages, source = users_from_csv(Path(from_csv)), [], 0, f"the CSV export {Path(from_csv).name}"
        except CsvImportError as exc:
            fail(str(exc))
        chosen = org.targets.get(target) or Target(target, target, "changefile", ("referral_accounts",), False, {},
                                                   None)
    else:
        chosen = org.targets.get(target)
        if chosen is None or chosen.type != "scim":
            fail(f"{out} has no SCIM target {target}; describe it (kind: Target) or import from a CSV export "
                 "with --from-csv")
        try:
            held = read_scim(chosen, groups=True)
        except TargetError as exc:
            fail(str(exc))
        users, groups, pages, source = held.users, held.groups, held.pages, f"SCIM target {target}"
    resources, _ = desired_resources(org)
    matching = classify(expected_users(chosen, resources), users, {})
    imported = build(target, users, groups, matching, taken_ids=org.persons, offices=org.offices,
                     account_type=account_type)
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(render_yaml(imported, source), encoding="utf-8")
    findings = _findings(folder, today)
    report = render_report(imported, source, findings)
    report_path.write_text(report, encoding="utf-8")
    click.echo(report, nl=False)
    click.echo(f"Read {len(users)} accounts and {len(groups)} groups ({pages} pages) in "
               f"{time.monotonic() - started:.1f}s; wrote {written} and {report_path}.", err=True)
    raise SystemExit(2 if (imported.findings or findings) else 0)
