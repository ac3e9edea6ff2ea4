"""FO rules (provisioner/rules/front_office.py)."""

from __future__ import annotations

import dataclasses

from tests.conftest import found
from tests.rules.test_accounts import located_check, person
from tests.rules.test_emr import clinician


def test_FO001_fires_when_sub_role_unknown(make_org):
    path = make_org(case=person(body="account_type: office_staff\noffices: [east]\nfront_office: scheduler"))

    def mutate(org):
        p = dataclasses.replace(org.persons["case"], front_office="receptionist")
        return dataclasses.replace(org, persons={**org.persons, "case": p})

    assert located_check(path, "FO001", mutate) == [("case.yaml", 7, "case")]


def test_FO001_quiet_for_scheduler_and_biller(make_org):
    path = make_org(case=person(body="account_type: office_staff\noffices: [east]\nfront_office: biller"),
                   other=person("sched", "account_type: office_staff\noffices: [east]\nfront_office: scheduler"))
    assert found(path, "FO001") == []


def test_FO002_fires_when_front_office_only_account_holds_soap_permission(make_org):
    text = clinician(user_type="Clerical", extra="permissions:\n  - view_patients\n  - start_soap_notes")
    text = text.replace("offices: [east]\n", "offices: [east]\nfront_office: scheduler\n")
    assert found(make_org(case=text), "FO002") == [("case.yaml", 16, "case/case-p")]


def test_FO002_quiet_when_the_person_is_also_a_clinician(make_org):
    text = clinician(user_type="PTA", extra="permissions: [start_soap_notes]")
    text = text.replace("offices: [east]\n", "offices: [east]\nfront_office: biller\n")
    assert found(make_org(case=text), "FO002") == []
