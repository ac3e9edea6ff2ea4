"""The `provisioner` command line: a thin layer that parses arguments, calls the library
and hands results to a reporter. No domain logic lives here.
"""

from __future__ import annotations

import click

from .. import __version__
from .access_cmd import access_command
from .adopt_cmd import adopt_command
from .apply_cmd import apply_command
from .drift_cmd import drift_command
from .edges import Edges
from .evidence_cmd import evidence_group
from .import_cmd import import_command
from .log_cmd import log_command
from .plan_cmd import plan_command, show_command
from .report_cmd import report_group
from .review_cmd import review_command
from .rules_cmd import rules_command
from .state_cmd import invitations_command, state_group
from .targets_cmd import confirm_command, pending_command, sync_command
from .validate_cmd import validate_command, validate_files_command
from .whocan_cmd import whocan_command


@click.group(cls=Edges, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="provisioner")
def main() -> None:
    """Access as code for health systems and clinics.

    Describe offices, staff, providers, groups and licences in YAML under orgs/, then
    validate, plan and apply them.

    \b
    Example:
      provisioner validate orgs/riverside-health
      provisioner plan orgs/riverside-health --out plans/next.json
      provisioner apply plans/next.json
    """


main.add_command(validate_command)
main.add_command(validate_files_command)
main.add_command(rules_command)
main.add_command(plan_command)
main.add_command(show_command)
main.add_command(apply_command)
main.add_command(state_group)
main.add_command(invitations_command)
main.add_command(sync_command)
main.add_command(pending_command)
main.add_command(confirm_command)
main.add_command(access_command)
main.add_command(whocan_command)
main.add_command(report_group)
main.add_command(log_command)
main.add_command(review_command)
main.add_command(evidence_group)
main.add_command(drift_command)
main.add_command(adopt_command)
main.add_command(import_command)
