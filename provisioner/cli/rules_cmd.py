"""`provisioner rules`: print the rule catalog (every code a diagnostic can carry)."""

from __future__ import annotations

import click

from ..rules import all_rules
from ..rules.reference import RENDERERS
from .common import format_option


@click.command("rules")
@format_option("text", "json", "markdown")
@click.argument("rule_ids", nargs=-1, metavar="[RULE_ID]...")
def rules_command(fmt: str, rule_ids: tuple[str, ...]) -> None:
    """List the rules: id, default severity, stage, explanation, source and an example fix.

    Give rule ids to show only those. Stages: `load` (files and schemas), `config` (checked by
    validate), `plan` (needs the current state), `report` (access report duties).

    \b
    Examples:
      provisioner rules
      provisioner rules LIC001 GOV006
      provisioner rules --format markdown > docs/rules.md
    """
    rules = all_rules()
    if rule_ids:
        wanted = {r.upper() for r in rule_ids}
        unknown = sorted(wanted - {r.id for r in rules})
        if unknown:
            raise click.BadParameter(f"unknown rule id(s): {', '.join(unknown)}", param_hint="RULE_ID")
        rules = [r for r in rules if r.id in wanted]
    click.echo(RENDERERS[fmt](rules), nl=False)
