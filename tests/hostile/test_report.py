"""Bad inputs to the auditor's commands: each gets `error: …` naming the cause (and the
file:line when there is one), a non-zero exit, no traceback and no state written."""

from __future__ import annotations

import pytest

from .corpus import Case, check, ids

BROKEN_PERSON = {"people.yaml": """
    kind: Person
    id: ana-ruiz
    name: Ana Ruiz
    email: [not, an, email]
    account_type: physician_staff
    offices: [north]
    """}

CASES = [
    Case("access-nobody", args=("access", "{org}"), exit=2, expect=r"error: name one or more people"),
    Case("access-unknown-person", args=("access", "{org}", "zed"), expect=r"error: no person 'zed'"),
    Case("access-broken-org", args=("access", "{org}", "--all"), files=BROKEN_PERSON,
         expect=r"does not make an organization", located=r"people\.yaml:4"),
    Case("access-not-a-folder", args=("access", "{tmp}/nowhere", "--all"), expect=r"LOAD001|not a folder"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_report_inputs(case, tmp_path):
    check(case, tmp_path)
