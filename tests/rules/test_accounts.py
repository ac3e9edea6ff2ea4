"""ACC, ADM, CC and WQ rules (provisioner/rules/accounts.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from provisioner.locate import Locator
from provisioner.rules import context, get
from tests.conftest import TODAY, found, run

STAFF = """\
    kind: Person
    id: {id}
    name: Case Person
    email: {id}@test.example
    {body}
    """


def person(id: str = "case", body: str = "") -> str:
    lines = body.strip("\n").splitlines()
    return STAFF.format(id=id, body="\n    ".join(lines))


def located_check(path: Path, code: str, mutate):
    """Run one check on a model changed in memory (for values the schema already refuses)."""
    result = run(path)
    assert result.org is not None, result.diagnostics
    org = mutate(result.org)
    diags = list(get(code).check(context(org, TODAY)))
    located = Locator(result.source.documents).locate_all(diags)
    return [(Path(d.file).name, d.line, d.subject) for d in located]


def test_ACC001_fires_when_account_type_unknown(make_org):
    path = make_org(case=person(body="account_type: office_staff\noffices: [east]"))
    def mutate(org):
        p = dataclasses.replace(org.persons["case"], account_type="nurse")
        return dataclasses.replace(org, persons={**org.persons, "case": p})
    assert located_check(path, "ACC001", mutate) == [("case.yaml", 5, "case")]


def test_ACC001_schema_refuses_unknown_type_first(make_org):
    path = make_org(case=person(body="account_type: nurse\noffices: [east]"))
    assert found(path, "SCHEMA001") == [("case.yaml", 5, "case")]
    assert found(path, "ACC001") == []


def test_ACC001_quiet_for_known_types(make_org):
    path = make_org(case=person(body="account_type: master_group_staff"))
    assert found(path, "ACC001") == []


def test_ACC002_fires_when_office_staff_has_no_office(make_org):
    path = make_org(case=person(body="account_type: office_staff"))
    assert found(path, "ACC002") == [("case.yaml", 5, "case")]


def test_ACC002_points_at_template_when_it_supplied_the_type(make_org):
    path = make_org(case=person(body="template: referral-staff"))
    assert found(path, "ACC002") == [("case.yaml", 5, "case")]


def test_ACC002_quiet_for_master_group_staff_without_offices(make_org):
    path = make_org(case=person(body="account_type: master_group_staff"))
    assert found(path, "ACC002") == []


def test_ADM001_fires_when_office_admin_on_master_group_staff(make_org):
    path = make_org(case=person(body="account_type: master_group_staff\nadmin: [client_admin_reporting, office_admin]"
                               "\nwork_queue_chat: true"))
    assert found(path, "ADM001") == [("case.yaml", 6, "case")]


def test_ADM001_quiet_on_office_staff(make_org):
    path = make_org(case=person(body="account_type: office_staff\noffices: [east]\nadmin: [office_admin]"))
    assert found(path, "ADM001") == []


def test_ADM002_fires_when_client_admin_on_physician(make_org):
    path = make_org(case=person(body="account_type: physician\noffices: [east]\nnpi: '1234567893'\n"
                               "profile_approved: true\nadmin:\n  - client_admin_full\nwork_queue_chat: true"))
    assert found(path, "ADM002") == [("case.yaml", 10, "case")]


def test_ADM002_quiet_on_master_group_staff(make_org):
    path = make_org(case=person(body="account_type: master_group_staff\nadmin: [client_admin_full]\n"
                               "work_queue_chat: true"))
    assert found(path, "ADM002") == []


def test_ADM003_fires_when_admin_office_not_own(make_org):
    files = {"west.yaml": "kind: Office\nid: west\nname: West\n"}
    path = make_org(files, case=person(body="account_type: office_staff\noffices: [east]\nadmin: [office_admin]\n"
                                      "admin_offices: [east, west]"))
    assert found(path, "ADM003") == [("case.yaml", 8, "case")]


def test_ADM003_quiet_when_admin_offices_default_to_offices(make_org):
    path = make_org(case=person(body="account_type: office_staff\noffices: [east]\nadmin: [office_admin]"))
    assert found(path, "ADM003") == []


def _client_admins(n: int) -> str:
    return "---\n".join(person(f"adm{i}", "template: health-system-manager") for i in range(n))


def test_ADM004_fires_when_more_client_admins_than_limit(make_org):
    path = make_org(case=_client_admins(3))
    # third admin's `template:` line: documents of 5 lines, each followed by `---`
    assert found(path, "ADM004") == [("case.yaml", 17, "testorg")]


def test_ADM004_quiet_at_the_limit(make_org):
    path = make_org(case=_client_admins(2))
    assert found(path, "ADM004") == []


def test_ADM004_limit_comes_from_policy(make_org):
    org = "kind: Organization\nid: testorg\nname: Test Org\nmaster_group: testorg\npolicy: {max_client_admins: 3}\n"
    path = make_org({"organization.yaml": org}, case=_client_admins(3))
    assert found(path, "ADM004") == []


CALL_CENTER = "kind: Office\nid: pac\nname: Patient Access\ncall_center: true\n"


def test_CC001_fires_when_designation_on_office_staff(make_org):
    path = make_org({"pac.yaml": CALL_CENTER},
                   case=person(body="account_type: office_staff\noffices: [east]\ncall_center: pac"))
    assert found(path, "CC001") == [("case.yaml", 7, "case")]


def test_CC001_fires_when_office_is_not_a_call_center(make_org):
    path = make_org(case=person(body="account_type: master_group_staff\ncall_center: east"))
    assert found(path, "CC001") == [("case.yaml", 6, "case")]


def test_CC001_quiet_for_master_group_staff_at_a_call_center(make_org):
    path = make_org({"pac.yaml": CALL_CENTER}, case=person(body="account_type: master_group_staff\ncall_center: pac"))
    assert found(path, "CC001") == []


def test_WQ001_fires_when_client_admin_lacks_work_queue(make_org):
    path = make_org(case=person(body="account_type: master_group_staff\nadmin: [client_admin_reporting]"))
    assert found(path, "WQ001") == [("case.yaml", 6, "case")]


def test_WQ001_quiet_with_work_queue_chat(make_org):
    path = make_org(case=person(body="account_type: master_group_staff\nadmin: [client_admin_reporting]\n"
                               "work_queue_chat: true"))
    assert found(path, "WQ001") == []
