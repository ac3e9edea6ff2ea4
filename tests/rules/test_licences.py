"""LIC rules (provisioner/rules/licences.py) over provisioner/licence_pools.py."""

from __future__ import annotations

from tests.conftest import found
from tests.rules.test_emr import clinician


def office(licenses: str) -> str:
    return f"kind: Office\nid: east\nname: East Clinic\nmips: individual\nvirtual_visits: true\nlicenses: {licenses}\n"


def test_LIC001_fires_when_default_clinic_over_seats(make_org):
    # dr-ana (base) and case are both active therapists defaulting to east, which has 1 seat
    path = make_org(case=clinician(user_type="OT"))
    assert found(path, "LIC001") == [("offices.yaml", 6, "east/therapist")]


def test_LIC001_points_at_licenses_key_when_type_not_bought(make_org):
    path = make_org(case=clinician(user_type="SPT"))
    assert found(path, "LIC001") == [("offices.yaml", 6, "east/student")]


def test_LIC001_quiet_when_unlimited_or_clerical_or_inactive(make_org):
    path = make_org({"offices.yaml": office("{therapist: unlimited}")}, case=clinician(user_type="OT"),
                   clerk=clinician("clerk", user_type="Biller"),
                   gone=clinician("gone", user_type="PT", extra="status: inactive"))
    assert found(path, "LIC001") == []


def test_LIC001_quiet_when_whole_clinic_unlimited(make_org):
    path = make_org({"offices.yaml": office("unlimited")}, case=clinician(user_type="SPT"))
    assert found(path, "LIC001") == []


def test_LIC001_counts_the_default_clinic_only(make_org):
    west = "kind: Office\nid: west\nname: West\nlicenses: {therapist: 1}\n"
    text = clinician(user_type="OT").replace("clinics: [east]", "clinics: [east, west]").replace(
        "default_clinic: east", "default_clinic: west")
    path = make_org({"west.yaml": west}, case=text)
    assert found(path, "LIC001") == []


def test_LIC002_fires_when_default_clinic_not_among_clinics(make_org):
    west = "kind: Office\nid: west\nname: West\nlicenses: {therapist: 1}\n"
    text = clinician().replace("default_clinic: east", "default_clinic: west")
    assert found(make_org({"west.yaml": west}, case=text), "LIC002") == [("case.yaml", 12, "case/case-p")]


def test_LIC002_quiet_when_default_is_a_clinic(make_org):
    assert found(make_org(case=clinician(user_type="Clerical")), "LIC002") == []


def test_LIC003_fires_when_seats_unused(make_org):
    path = make_org({"offices.yaml": office("\n  therapist: 1\n  assistant: 2")},
                   case=clinician(user_type="PTA"))
    assert found(path, "LIC003") == [("offices.yaml", 8, "east/assistant")]


def test_LIC003_quiet_when_all_seats_used_or_unlimited(make_org):
    path = make_org({"offices.yaml": office("{therapist: 1, assistant: 1, student: unlimited}")},
                   case=clinician(user_type="PTA"))
    assert found(path, "LIC003") == []
