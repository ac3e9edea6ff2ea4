"""`provisioner review`: an access-review campaign (grants due, by reviewer) and its completion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..report.campaign import CampaignError, campaign, markdown, parse_window, progress, progress_text, to_csv
from .auditing import load_org
from .common import echo_or_write, fail, format_option, today_option


@click.command("review")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option("--due-within", "window", default="30d", show_default=True, metavar="WINDOW",
              help="Grants due within this many days (30d, 6w); overdue and never-reviewed ones included.")
@click.option("--campaign", "campaign_file", type=click.Path(dir_okay=False), default=None,
              help="Instead: show the completion of a campaign saved as CSV.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the campaign here.")
@format_option("markdown", "csv", default="markdown")
@today_option
def review_command(org_dir, window, campaign_file, out, fmt, today) -> None:
    """List the access grants of ORG_DIR due for review (GOV005) within --due-within,
    grouped by reviewer: the grant's approver, else an office admin of the person's
    office, else a client admin. Save it as CSV to track the campaign; a review is
    recorded by a config change (a new grants.reviewed_on, or a removal).

    \b
    Examples:
      provisioner review orgs/riverside-health --due-within 30d
      provisioner review orgs/riverside-health --due-within 45d --format csv --out reviews/2026-12.csv
      provisioner review orgs/riverside-health --campaign reviews/2026-12.csv
    """
    validation = load_org(org_dir, today=today)
    org = validation.org
    try:
        if campaign_file:
            try:
                text = Path(campaign_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"cannot read {campaign_file}: {getattr(exc, 'strerror', None) or exc}")
            click.echo(progress_text(progress(org, text)))
            return
        c = campaign(org, today or dt.date.today(), parse_window(window))
    except CampaignError as exc:
        fail(f"{campaign_file + ': ' if campaign_file else ''}{exc}")
    text = to_csv(c, org) if fmt == "csv" else markdown(c, org)
    if echo_or_write(text, out):
        click.echo(f"wrote {out}: {len(c.items)} grants for {len(c.by_reviewer())} reviewers")
