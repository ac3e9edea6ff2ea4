"""The example orgs validate with zero errors, and their findings are exactly the
deliberate ones the README lists."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from provisioner import vocabulary as V
from provisioner.pipeline import validate
from tests.conftest import TODAY

ORGS = Path(__file__).resolve().parent.parent / "orgs"

EXPECTED = {
    "riverside-health": {
        ("LIC003", "warning", False, "lakeview-neuro-rehab/therapist"),
        ("LIC003", "warning", True, "cedar-hills-spine/therapist"),
        ("GOV006", "warning", True, "linda-sato"),
        ("GRP003", "info", False, "cedar-hills-spine"),
    },
    "harbor-therapy": {
        ("GOV006", "warning", True, "hugo-lam"),
        ("GRP003", "info", False, "harbor-westside"),
        ("GRP003", "info", False, "harbor-bayview"),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_org_findings_are_the_deliberate_ones(name):
    result = validate(ORGS / name, today=TODAY)
    assert result.ok
    found = {(d.code, str(d.severity), d.waived_by is not None, d.subject) for d in result.diagnostics}
    assert found == EXPECTED[name]


def test_riverside_covers_the_vocabulary():
    org = validate(ORGS / "riverside-health", today=TODAY).org
    persons = list(org.persons.values())
    assert len(org.offices) >= 8 and any(o.call_center for o in org.offices.values())
    assert len(persons) >= 60
    assert {p.account_type for p in persons} == set(V.ACCOUNT_TYPES)
    assert {a for p in persons for a in p.admin} == set(V.ADMIN_ROLES)
    assert {p.front_office for p in persons} >= set(V.FRONT_OFFICE_ROLES)
    assert {prof.user_type for prof in org.profiles()} == set(V.USER_TYPES)
    assert any(len({V.DISCIPLINE_OF_USER_TYPE[p.user_type] for p in person.profiles}) >= 2 for person in persons)
    assert {g.role for g in org.groups.values()} >= {"sender", "receiver"}
    assert any(None in o.licenses.values() for o in org.offices.values())
    assert Counter(p.template is not None for p in persons)[True] >= 3
