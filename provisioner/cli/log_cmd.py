"""`provisioner log`: the audit log, filtered and paged."""

from __future__ import annotations

import json

import click

from ..report.auditlog import Filter, page, row_dict, select, summary
from .common import DATE, fail, format_option, open_backend, org_folder, org_id_of, state_option


@click.command("log")
@click.argument("org", required=False)
@state_option
@click.option("--person", "people", multiple=True, metavar="ID", help="Rows about this person (repeatable).")
@click.option("--address", default=None, help="Rows of this address, or a glob such as 'profile.maria-*'.")
@click.option("--actor", default=None, help="Rows written by this actor.")
@click.option("--since", type=DATE, default=None, metavar="DATE", help="Rows on or after DATE (YYYY-MM-DD).")
@click.option("--until", type=DATE, default=None, metavar="DATE", help="Rows on or before DATE.")
@click.option("--plan", default=None, metavar="DIGEST", help="Rows of the plan whose digest starts so.")
@click.option("--page", "page_no", type=int, default=1, show_default=True,
              help="Page to show; -1 is the last.")
@click.option("--per-page", type=click.IntRange(1, 100_000), default=50, show_default=True)
@format_option("text", "json")
def log_command(org, state_url, people, address, actor, since, until, plan, page_no, per_page, fmt) -> None:
    """Show the audit log of ORG (an org id or folder): every applied change and delivery
    result, oldest first, with its actor, plan digest and hash. Filters combine.

    \b
    Examples:
      provisioner log riverside-health --person maria-lopez
      provisioner log riverside-health --since 2026-11-01 --until 2026-11-30 --page -1
      provisioner log riverside-health --plan sha256:3f2a --format json
    """
    if since and until and since > until:
        fail(f"--since {since} is after --until {until}", code=2)
    backend = open_backend(org_id_of(org), state_url, create=False)
    try:
        broken = _verification(backend, org)
        rows = backend.audit()
    finally:
        backend.close()
    if broken:  # shown all the same (the log is where an investigation starts), flagged first
        click.echo(f"warning: {broken}", err=True)
    _show(rows, people, address, actor, since, until, plan, page_no, per_page, fmt)
    if broken:
        fail("the log above is read from a state that fails verification: a row may have been edited; run "
             "`provisioner state verify`")


def _verification(backend, org) -> str | None:
    """Why the state fails verification (the anchor checked when ORG is a folder), or None."""
    from ..plan.statecheck import check_state
    from ..state import StateError

    try:
        check_state(backend, org_folder(org), writing=False)
    except StateError as exc:
        return str(exc)
    return None


def _show(rows, people, address, actor, since, until, plan, page_no, per_page, fmt) -> None:
    chosen = select(rows, Filter(tuple(people), address, actor, since, until, plan))
    p = page(chosen, page_no, per_page)
    if fmt == "json":
        click.echo(json.dumps({"total": p.total, "page": p.number, "pages": p.pages, "per_page": per_page,
                               "rows": [row_dict(r) for r in p.rows]}, indent=2, ensure_ascii=False))
        return
    for r in p.rows:
        click.echo(f"{r.seq:>6}  {r.at}  {r.actor}  {r.action:<18} {r.address}  {summary(r)}".rstrip())
        click.echo(f"        plan {r.plan_digest or '(none: not an apply)'}  hash {r.hash[:16]}")
    last = p.first + len(p.rows) - 1
    more = f"; next: --page {p.number + 1}" if p.number < p.pages else ""
    shown = f"rows {p.first}-{last} of {p.total}" if p.rows else (f"no rows of {p.total}" if p.total else "no rows")
    click.echo(f"page {p.number} of {p.pages} ({shown} matching, {len(rows)} in the log){more}")
