"""TYPE, EMAIL and PERM rules (provisioner/rules/emr.py)."""

from __future__ import annotations

import dataclasses

from tests.conftest import found, run
from tests.rules.test_accounts import located_check

# Lines: 1 kind, 2 id, 3 name, 4 email, 5 account_type, 6 offices, 7 profiles:, 8 "- id",
# 9 user_type, 10 email, 11 clinics, 12 default_clinic, then the extra profile lines from 13.
CLINICIAN = """\
kind: Person
id: {id}
name: Case Person
email: {id}@test.example
account_type: office_staff
offices: [east]
profiles:
  - id: {id}-p
    user_type: {user_type}
    email: {email}
    clinics: [east]
    default_clinic: east
"""


def clinician(id="case", user_type="PT", email=None, extra="", more_profiles=""):
    text = CLINICIAN.format(id=id, user_type=user_type, email=email or f"{id}.p@test.example")
    lines = [f"    {line}" for line in extra.strip("\n").splitlines()] if extra else []
    return text + "".join(line + "\n" for line in lines) + more_profiles


def test_TYPE001_fires_when_user_type_unknown(make_org):
    path = make_org(case=clinician(user_type="PTA"))

    def mutate(org):
        person = org.persons["case"]
        prof = dataclasses.replace(person.profiles[0], user_type="DPT")
        return dataclasses.replace(org, persons={**org.persons, "case": dataclasses.replace(person, profiles=(prof,))})

    assert located_check(path, "TYPE001", mutate) == [("case.yaml", 9, "case/case-p")]


def test_TYPE001_quiet_for_known_types_and_schema_refuses_unknown(make_org):
    assert found(make_org(case=clinician(user_type="DPT")), "SCHEMA001") == [("case.yaml", 9, "case")]
    assert found(make_org(case=clinician(user_type="COTA")), "TYPE001") == []


SECOND = """\
  - id: case-q
    user_type: {user_type}
    email: case.q@test.example
    clinics: [east]
    default_clinic: east
    status: {status}
"""


def test_TYPE003_fires_when_two_active_profiles_share_a_discipline(make_org):
    path = make_org(case=clinician(user_type="SPT", more_profiles=SECOND.format(user_type="PT", status="active")))
    assert found(path, "TYPE003") == [("case.yaml", 14, "case/case-q")]


def test_TYPE003_quiet_for_replaced_profile_and_for_two_disciplines(make_org):
    replaced = clinician(user_type="SPT", more_profiles=SECOND.format(user_type="PT", status="inactive"))
    two = clinician("two", user_type="PT", more_profiles=SECOND.format(user_type="OT", status="active")
                    .replace("case-q", "two-q").replace("case.q", "two.q"))
    assert found(make_org(case=replaced, two=two), "TYPE003") == []


def test_EMAIL001_fires_on_login_differing_only_in_case_even_if_inactive(make_org):
    dup = "kind: Person\nid: dup\nname: Dup\nemail: OLIVE@Test.Example\naccount_type: office_staff\n" \
          "offices: [east]\nstatus: inactive\n"
    # files load in name order, so the later file's copy is the one reported
    assert found(make_org(zz=dup), "EMAIL001") == [("zz.yaml", 4, "dup")]


def test_EMAIL001_fires_on_duplicate_profile_email(make_org):
    path = make_org(zz=clinician(email="Ana.PT@test.example"))
    assert found(path, "EMAIL001") == [("zz.yaml", 10, "case/case-p")]


def test_EMAIL001_quiet_when_login_equals_own_profile_email(make_org):
    path = make_org(case=clinician(email="case@test.example"))
    assert found(path, "EMAIL001") == []


def test_PERM001_fires_when_edit_users_without_view_users(make_org):
    path = make_org(case=clinician(user_type="Clerical", extra="permissions:\n  - view_patients\n  - edit_users"))
    assert found(path, "PERM001") == [("case.yaml", 15, "case/case-p")]


def test_PERM001_quiet_for_full_user_manager(make_org):
    path = make_org(case=clinician(user_type="Clerical", extra="permissions: [view_users, edit_users]"))
    assert found(path, "PERM001") == []


def test_PERM002_fires_when_assistant_finishes_notes_without_attestation(make_org):
    path = make_org(case=clinician(user_type="PTA", extra="permissions: [start_soap_notes, finish_soap_notes]"))
    assert found(path, "PERM002") == [("case.yaml", 13, "case/case-p")]


def test_PERM002_quiet_with_attestation_and_for_therapists(make_org):
    attested = clinician(user_type="COTA", extra="permissions: [finish_soap_notes]\n"
                         "attestation: {by: olive, date: 2026-03-01}")
    therapist = clinician("ther", user_type="OT", extra="permissions: [finish_soap_notes]\nsignature: drawn")
    assert found(make_org(case=attested, ther=therapist), "PERM002") == []


def test_PERM003_fires_on_third_holder_via_admin_flag(make_org):
    holders = "---\n".join(clinician(f"adm{i}", user_type="Clerical", extra="admin: true") for i in range(3))
    # third document starts at line 1 + 2 * (13 + 1); its `admin: true` is its line 13
    # one flag, one mistake: a single finding names the five permissions it put over the limit
    assert found(make_org(case=holders), "PERM003") == [
        ("case.yaml", 41, "calendar_admin+clinic_admin+company_admin+billing_report_admin+insurance_admin")]


def test_PERM003_quiet_when_policy_raises_the_limit(make_org):
    org = "kind: Organization\nid: testorg\nname: T\nmaster_group: t\npolicy:\n  permission_limits: {clinic_admin: 3}\n"
    holders = "---\n".join(clinician(f"adm{i}", user_type="Clerical", extra="permissions: [clinic_admin]")
                           for i in range(3))
    assert found(make_org({"organization.yaml": org}, case=holders), "PERM003") == []


def test_PERM004_fires_when_virtual_visits_not_enabled_at_default_clinic(make_org):
    west = "kind: Office\nid: west\nname: West\nmips: group\n"
    text = clinician(extra="mips: true\nvirtual_visits: true").replace("[east]", "[west]").replace(
        "clinic: east", "clinic: west")
    # line 13: mips at a group-reporting clinic (a warning); line 14: virtual visits (an error)
    assert found(make_org({"west.yaml": west}, case=text), "PERM004") == [
        ("case.yaml", 13, "case/case-p"), ("case.yaml", 14, "case/case-p")]


def test_PERM004_fires_as_a_warning_for_mips_at_a_group_reporting_clinic(make_org):
    west = "kind: Office\nid: west\nname: West\nmips: group\n"
    text = clinician(extra="mips: true").replace("[east]", "[west]").replace("clinic: east", "clinic: west")
    [d] = [d for d in run(make_org({"west.yaml": west}, case=text)).diagnostics if d.code == "PERM004"]
    assert (d.line, str(d.severity)) == (13, "warning") and "as a group" in d.message


def test_PERM004_fires_on_mips_of_a_clerical_or_student_profile(make_org):
    clerk = clinician(user_type="Clerical", extra="mips: true")
    student = clinician("stu", user_type="SPT", extra="mips: true\nsupervisor: dr-ana\nend_date: 2027-01-01")
    diags = [d for d in run(make_org(case=clerk, stu=student)).diagnostics if d.code == "PERM004"]
    assert [(d.subject, str(d.severity)) for d in diags] == [("case/case-p", "error"), ("stu/stu-p", "error")]
    assert all("clinician's flag" in d.message for d in diags)


def test_PERM004_quiet_for_an_assistant_at_an_individual_reporting_clinic(make_org):
    path = make_org(case=clinician(user_type="PTA", extra="mips: true\nsupervisor: dr-ana"))
    assert found(path, "PERM004") == []


def test_PERM004_quiet_when_clinic_has_both(make_org):
    path = make_org(case=clinician(extra="mips: true\nvirtual_visits: true\nsignature: drawn"))
    assert found(path, "PERM004") == []


def test_PERM005_fires_when_therapist_finishes_notes_without_signature(make_org):
    path = make_org(case=clinician(user_type="SLP", extra="permissions: [start_soap_notes, finish_soap_notes]"))
    assert found(path, "PERM005") == [("case.yaml", 13, "case/case-p")]


def test_PERM005_quiet_with_signature(make_org):
    path = make_org(case=clinician(user_type="SLP", extra="permissions: [finish_soap_notes]\nsignature: uploaded"))
    assert found(path, "PERM005") == []


def test_EMAIL001_fires_after_nfkc_and_case_folding_and_names_the_first_holder(make_org):
    first = clinician("aaa", email="sam@test.example")
    second = clinician("bbb", email='"\\uff33AM@test.example"')  # fullwidth S, upper case
    diags = [d for d in run(make_org(case=first + "---\n" + second)).diagnostics if d.code == "EMAIL001"]
    assert [(d.line, d.subject) for d in diags] == [(23, "bbb/bbb-p")]
    assert "by profile 'aaa/aaa-p' (" in diags[0].message and "case.yaml:10)" in diags[0].message


def test_EMAIL001_quiet_for_distinct_addresses_that_only_look_alike_after_plus(make_org):
    first = clinician("aaa", email="sam@test.example")
    second = clinician("bbb", email="sam+ot@test.example")
    assert found(make_org(case=first + "---\n" + second), "EMAIL001") == []


def test_EMAIL002_fires_on_a_mixed_script_address(make_org):
    path = make_org(case=clinician(email='"s\\u0430m@test.example"'))  # Cyrillic a
    [d] = [d for d in run(path).diagnostics if d.code == "EMAIL002"]
    assert (d.line, d.subject) == (10, "case/case-p") and "Latin, Cyrillic" in d.message


def test_EMAIL002_quiet_on_one_script_with_accents(make_org):
    path = make_org(case=clinician(email='"jos\\u00e9@test.example"'))
    assert found(path, "EMAIL002") == []
