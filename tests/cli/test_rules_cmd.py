"""`provisioner rules` (provisioner/cli/rules_cmd.py) and the committed docs/rules.md."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from provisioner.cli import main
from provisioner.rules import all_rules
from provisioner.rules.reference import render_markdown

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args):
    return CliRunner().invoke(main, ["rules", *args])


def test_text_lists_every_rule_with_stage_and_source():
    result = invoke()
    assert result.exit_code == 0
    for rule in all_rules():
        assert rule.id in result.output
    assert "LIC001     error    config  Active users fit the default clinic's licences" in result.output
    assert "LIFE006    error    plan" in result.output
    assert "source: “Managing Users and Permissions (Large Organizations)” (docs/domain.md)" in result.output


def test_json_is_the_catalog():
    result = invoke("--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["format_version"] == "1"
    assert [r["id"] for r in doc["rules"]] == [r.id for r in all_rules()]
    lic = next(r for r in doc["rules"] if r["id"] == "LIC001")
    assert lic["severity"] == "error" and lic["stage"] == "config" and lic["checked_in_config"] is True


def test_markdown_has_a_section_per_rule():
    result = invoke("--format", "markdown")
    assert result.exit_code == 0
    assert result.output.startswith("# Rules reference")
    for rule in all_rules():
        assert f"\n### {rule.id}\n" in result.output
    assert "**Departing providers dispose of their open referrals** — error · config half checked" in result.output


def test_rule_ids_filter_and_unknown_id_is_a_usage_error():
    result = invoke("--format", "json", "lic001", "GOV006")
    assert [r["id"] for r in json.loads(result.output)["rules"]] == ["LIC001", "GOV006"]
    bad = invoke("NOPE001")
    assert bad.exit_code == 2 and "unknown rule id(s): NOPE001" in bad.output


def test_help_has_an_example():
    result = CliRunner().invoke(main, ["rules", "--help"])
    assert result.exit_code == 0
    assert "provisioner rules --format markdown > docs/rules.md" in result.output
    assert "rules" in CliRunner().invoke(main, ["--help"]).output


def test_committed_docs_rules_md_is_up_to_date():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "docs/rules.md is stale: run `make docs` and commit it"
