"""The catalog (provisioner/rules/catalog.py): complete, documented, and tested."""

from __future__ import annotations

import re
from pathlib import Path

from provisioner.rules import all_rules, get

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_IDS = """
ACC001 ACC002 ADM001 ADM002 ADM003 ADM004 CC001 WQ001
LIFE001 LIFE002 LIFE003 LIFE004 LIFE005 LIFE006 LIFE007 LIFE008 GRP001 GRP002 GRP003
FO001 FO002 FO003 TYPE001 TYPE002 TYPE003 EMAIL001 LIC001 LIC002 LIC003
PERM001 PERM002 PERM003 PERM004 PERM005 GOV001 GOV002 GOV003 GOV004 GOV005 GOV006 GOV007 GOV008
NOTE001
""".split()
PLAN_IDS = {"LIFE001", "LIFE002", "LIFE004", "LIFE006", "LIFE007", "TYPE002", "NOTE001"}


def test_every_domain_rule_is_in_the_catalog_with_its_stage():
    for rule_id in DOMAIN_IDS:
        rule = get(rule_id)
        assert rule is not None, rule_id
        expected = "plan" if rule_id in PLAN_IDS else ("report" if rule_id == "FO003" else "config")
        assert rule.stage == expected, rule_id


def test_every_code_in_the_source_is_in_the_catalog():
    codes = set()
    for path in (ROOT / "provisioner").rglob("*.py"):
        codes |= set(re.findall(r'"([A-Z]{2,6}[0-9]{3})"', path.read_text()))
    assert codes, "the scan found nothing"
    assert sorted(c for c in codes if get(c) is None) == []


def test_every_rule_is_documented():
    for rule in all_rules():
        assert rule.title and rule.explanation and rule.source and rule.example_fix, rule.id
        assert rule.explanation.endswith((".", ")")), rule.id


def test_config_rules_have_checks_and_load_rules_none():
    for rule in all_rules():
        if rule.stage == "config" and not rule.id.startswith(("POL", "WAIVE")):
            assert rule.check is not None, rule.id
        if rule.stage in ("load", "report"):
            assert rule.check is None, rule.id


def test_every_checked_rule_has_a_firing_and_a_quiet_test():
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names |= set(re.findall(r"def (test_[A-Z]+[0-9]{3}_\w+)", path.read_text()))
    for rule in all_rules():
        if rule.check is None:
            continue
        mine = [n for n in names if n.startswith(f"test_{rule.id}_")]
        assert any("fires" in n for n in mine), f"{rule.id}: no firing test"
        assert any("quiet" in n for n in mine), f"{rule.id}: no near-miss test"
