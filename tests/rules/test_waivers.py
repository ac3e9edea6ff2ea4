"""Severity raises and waivers (provisioner/rules/waivers.py), through the real pipeline."""

from __future__ import annotations

from pathlib import Path

from provisioner.diagnostics import Severity
from tests.conftest import found, run
from tests.rules.test_accounts import person

BILLER = person(body="account_type: office_staff\noffices: [east]\nfront_office: biller")
# Lines: 1 kind, 2 rule, 3 subject, 4 justification, 5 approved_by, 6 expires
WAIVER = """\
kind: Waiver
rule: {rule}
subject: {subject}
justification: two-person clinic
approved_by: cmo@test.example
expires: {expires}
"""


def waiver(rule="GOV006", subject="case", expires="2026-12-31") -> str:
    return WAIVER.format(rule=rule, subject=subject, expires=expires)


def _by_code(path: Path, code: str):
    return [d for d in run(path).diagnostics if d.code == code]


def test_waiver_marks_matching_findings_waived(make_org):
    path = make_org(case=BILLER, waivers=waiver())
    result = run(path)
    gov = [d for d in result.diagnostics if d.code == "GOV006"]
    assert [d.waived_by for d in gov] == ["cmo@test.example until 2026-12-31: two-person clinic"]
    others = [d.code for d in result.diagnostics if d.code != "GOV006"]
    assert result.summary.waived == 1 and result.summary.warnings == len(others) and "GOV006" not in others


def test_waiver_applies_on_its_expiry_day(make_org):
    path = make_org(case=BILLER, waivers=waiver(expires="2026-11-23"))
    assert all(d.waived_by for d in _by_code(path, "GOV006"))
    assert found(path, "WAIVE001") == []


def test_waived_error_does_not_block(make_org):
    path = make_org(case=person(body="account_type: office_staff"), waivers=waiver("ACC002", "case"))
    result = run(path)
    assert [d.code for d in result.diagnostics if d.waived_by] == ["ACC002"]
    assert result.ok


def test_WAIVE001_expired_waiver_stops_applying_and_warns(make_org):
    path = make_org(case=BILLER, waivers=waiver(expires="2026-11-22"))
    assert not any(d.waived_by for d in _by_code(path, "GOV006"))
    assert found(path, "WAIVE001") == [("waivers.yaml", 6, "case")]
    assert _by_code(path, "WAIVE001")[0].severity is Severity.WARNING


def test_WAIVE002_waiver_matching_no_finding(make_org):
    path = make_org(case=BILLER, waivers=waiver("GOV006", "olive"))
    assert found(path, "WAIVE002") == [("waivers.yaml", 2, "olive")]


def test_WAIVE002_names_an_unknown_rule(make_org):
    path = make_org(case=BILLER, waivers=waiver("GOV066", "case"))
    (d,) = [d for d in run(path).diagnostics if d.code == "WAIVE002"]
    assert "GOV066 is not a known rule" in d.message


def test_WAIVE002_quiet_when_waiver_is_used(make_org):
    assert found(make_org(case=BILLER, waivers=waiver()), "WAIVE002") == []


def test_WAIVE002_quiet_for_plan_stage_rules(make_org):
    assert found(make_org(waivers=waiver("LIFE004", "east")), "WAIVE002") == []


ORG = "kind: Organization\nid: testorg\nname: Test Org\nmaster_group: testorg\npolicy:\n  severity:\n    {entry}\n"


def test_policy_severity_raises_a_warning_to_an_error(make_org):
    path = make_org({"organization.yaml": ORG.format(entry="WQ001: error")},
                   case=person(body="account_type: master_group_staff\nadmin: [client_admin_reporting]"))
    (wq,) = _by_code(path, "WQ001")
    assert wq.severity is Severity.ERROR
    assert not run(path).ok


def test_POL001_policy_cannot_lower_a_rule(make_org):
    path = make_org({"organization.yaml": ORG.format(entry="ACC002: warning")},
                   case=person(body="account_type: office_staff"))
    (acc,) = _by_code(path, "ACC002")
    assert acc.severity is Severity.ERROR
    assert found(path, "POL001") == [("organization.yaml", 7, "testorg")]


def test_POL001_quiet_for_a_raise(make_org):
    path = make_org({"organization.yaml": ORG.format(entry="LIC003: error")})
    assert found(path, "POL001") == []


def test_POL002_policy_names_unknown_rule(make_org):
    path = make_org({"organization.yaml": ORG.format(entry="LIC033: error")})
    assert found(path, "POL002") == [("organization.yaml", 7, "testorg")]


def test_POL002_quiet_for_known_rule(make_org):
    path = make_org({"organization.yaml": ORG.format(entry="GOV006: error")})
    assert found(path, "POL002") == []
