"""Findings are not repeated: one per rule, subject and severity (one mistake, one finding)."""

from __future__ import annotations

from collections import Counter

from provisioner.diagnostics import Origin, warning
from provisioner.rules import one_per_subject
from tests.conftest import run
from tests.rules.test_emr import clinician


def test_later_findings_fold_into_the_first_of_their_subject():
    a = warning("GOV004", "PTA has no `supervisor`", origin=Origin("f", 0, ("a",)), subject="p/q")
    b = warning("GOV004", "SPT profile has no `end_date`", origin=Origin("f", 0, ("b",)), subject="p/q")
    c = warning("GOV004", "other", subject="r/s")
    merged = one_per_subject([a, b, c, b])
    assert [d.subject for d in merged] == ["p/q", "r/s"]
    assert merged[0].message == "PTA has no `supervisor`; SPT profile has no `end_date`"
    assert merged[0].origin == a.origin


def test_a_profile_with_many_mistakes_gets_one_finding_per_rule(make_org):
    messy = clinician(user_type="SPT", extra="permissions: [start_soap_notes, forward_soap_notes, "
                      "finish_soap_notes]\nmips: true\nadmin: true")
    clerks = "".join("---\n" + clinician(f"c{i}", user_type="Clerical", extra="admin: true") for i in range(3))
    result = run(make_org(case=messy.replace("account_type: office_staff", "account_type: office_staff\n"
                                             "front_office: scheduler") + clerks))
    counts = Counter((d.code, d.subject, d.severity) for d in result.diagnostics)
    assert counts and max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert {"GOV004", "PERM003", "PERM004"} <= {d.code for d in result.diagnostics}
