"""GOV rules (provisioner/rules/governance.py)."""

from __future__ import annotations

import pytest

from provisioner.rules.governance import npi_valid
from tests.conftest import TODAY, found, run
from tests.rules.test_accounts import person
from tests.rules.test_emr import clinician

PROVIDER = "account_type: physician\noffices: [east]\nprofile_approved: true\n"


@pytest.mark.parametrize("npi, valid", [
    ("1234567893", True), ("1234567890", False), ("2234567891", True), ("2234567892", False), ("123456789", False),
    ("3234567893", False), ("12345678a3", False),
])
def test_GOV001_npi_luhn_with_80840_prefix(npi, valid):
    assert npi_valid(npi) is valid


def test_GOV001_fires_on_invalid_npi(make_org):
    path = make_org(case=person(body=PROVIDER + "npi: '1234567890'"))
    assert found(path, "GOV001") == [("case.yaml", 8, "case")]


def test_GOV001_fires_when_active_provider_has_no_npi(make_org):
    path = make_org(case=person(body=PROVIDER))
    assert found(path, "GOV001") == [("case.yaml", 5, "case")]


def test_GOV001_quiet_on_valid_npi_and_inactive_provider(make_org):
    gone = person("gone", PROVIDER + "status: inactive\nreferral_disposition: {action: decline}")
    path = make_org(case=person(body=PROVIDER + "npi: '1234567893'"), gone=gone)
    assert found(path, "GOV001") == []


def test_GOV002_fires_when_admin_has_no_approver(make_org):
    body = "account_type: office_staff\noffices: [east]\nadmin: [office_admin]\ngrants:\n  justification: manager"
    assert found(make_org(case=person(body=body)), "GOV002") == [("case.yaml", 8, "case")]


def test_GOV002_fires_on_admin_flag_without_grants(make_org):
    path = make_org(case=clinician(user_type="Clerical", extra="admin: true"))
    assert found(path, "GOV002") == [("case.yaml", 13, "case")]


def test_GOV002_quiet_when_justified_and_approved(make_org):
    body = ("account_type: office_staff\noffices: [east]\nadmin: [office_admin]\n"
            "grants: {justification: manager, approved_by: cmo@test.example, reviewed_on: 2026-10-01}")
    assert found(make_org(case=person(body=body)), "GOV002") == []


def test_GOV003_fires_when_end_date_passed_and_active(make_org):
    path = make_org(case=person(body="account_type: office_staff\noffices: [east]\nend_date: 2026-11-22"))
    assert found(path, "GOV003") == [("case.yaml", 7, "case")]


def test_GOV003_fires_for_a_profile_past_its_end_date(make_org):
    path = make_org(case=clinician(user_type="Clerical", extra="end_date: 2026-01-31"))
    assert found(path, "GOV003") == [("case.yaml", 13, "case/case-p")]


def test_GOV003_quiet_on_the_end_date_itself_and_when_inactive(make_org):
    today = person(body="account_type: office_staff\noffices: [east]\nend_date: 2026-11-23")
    gone = person("gone", "account_type: office_staff\noffices: [east]\nend_date: 2026-01-01\nstatus: inactive")
    assert found(make_org(case=today, gone=gone), "GOV003", TODAY) == []


def test_GOV004_fires_when_assistant_has_no_supervisor(make_org):
    assert found(make_org(case=clinician(user_type="PTA")), "GOV004") == [("case.yaml", 9, "case/case-p")]


def test_GOV004_fires_when_supervisor_not_a_therapist_at_the_clinic(make_org):
    path = make_org(case=clinician(user_type="COTA", extra="supervisor: olive"))
    assert found(path, "GOV004") == [("case.yaml", 13, "case/case-p")]


def test_GOV004_fires_when_student_has_no_end_date(make_org):
    path = make_org(case=clinician(user_type="SPT", extra="supervisor: dr-ana"))
    assert found(path, "GOV004") == [("case.yaml", 9, "case/case-p")]


def test_GOV004_quiet_for_supervised_student_with_end_date(make_org):
    path = make_org(case=clinician(user_type="SPT", extra="supervisor: dr-ana\nend_date: 2027-05-31"))
    assert found(path, "GOV004") == []


def test_GOV005_fires_when_review_older_than_period(make_org):
    body = "account_type: office_staff\noffices: [east]\ngrants:\n  reviewed_on: 2025-11-22"
    assert found(make_org(case=person(body=body)), "GOV005") == [("case.yaml", 8, "case")]


def test_GOV005_fires_for_admins_after_90_days(make_org):
    body = ("account_type: office_staff\noffices: [east]\nadmin: [office_admin]\n"
            "grants: {approved_by: a@test.example, justification: j, reviewed_on: 2026-08-01}")
    assert found(make_org(case=person(body=body)), "GOV005") == [("case.yaml", 8, "case")]


def test_GOV005_quiet_within_period(make_org):
    body = "account_type: office_staff\noffices: [east]\ngrants:\n  reviewed_on: 2025-11-23"
    assert found(make_org(case=person(body=body)), "GOV005") == []


def test_GOV006_fires_for_edit_users_with_billing_report_admin(make_org):
    path = make_org(case=clinician(user_type="Biller", extra="permissions: [view_users, edit_users]\nadmin: true"))
    assert found(path, "GOV006") == [("case.yaml", 14, "case")]


def test_GOV006_fires_for_a_biller_taking_payments_and_refunds(make_org):
    body = "account_type: office_staff\noffices: [east]\nfront_office: biller"
    path = make_org(case=person(body=body))
    assert found(path, "GOV006") == [("case.yaml", 7, "case")]
    (d,) = [d for d in run(path).diagnostics if d.code == "GOV006"]
    assert "take_payments (front_office biller) with enter_refunds" in d.message
    assert "take_payments (front_office biller) with enter_adjustments" in d.message


def test_GOV006_quiet_for_scheduler_and_policy_pairs(make_org):
    sched = person(body="account_type: office_staff\noffices: [east]\nfront_office: scheduler")
    org = "kind: Organization\nid: testorg\nname: T\nmaster_group: t\npolicy: {separation_of_duties: []}\n"
    biller = person("bil", "account_type: office_staff\noffices: [east]\nfront_office: biller")
    assert found(make_org({"organization.yaml": org}, case=sched, bil=biller), "GOV006") == []


def test_GOV007_fires_when_two_active_people_share_an_npi(make_org):
    twin = person("twin", PROVIDER + "npi: '1234567893'")  # dr-ana's NPI
    diags = [d for d in run(make_org(case=twin)).diagnostics if d.code == "GOV007"]
    # case.yaml is read before people.yaml: the second holder met is dr-ana
    assert [(d.line, d.subject) for d in diags] == [(7, "dr-ana")]
    assert "already belongs to person 'twin' (" in diags[0].message and "case.yaml:8)" in diags[0].message


def test_GOV007_quiet_when_the_other_holder_is_inactive(make_org):
    gone = person("gone", PROVIDER + "npi: '1234567893'\nstatus: inactive\nreferral_disposition: {action: decline}")
    assert found(make_org(case=gone), "GOV007") == []


def test_GOV008_fires_when_no_active_client_admin(make_org):
    assert found(make_org(), "GOV008") == [("organization.yaml", 1, "testorg")]


def test_GOV008_quiet_with_one_client_admin(make_org):
    body = ("template: health-system-manager\n"
            "grants: {justification: it, approved_by: cmo@test.example, reviewed_on: 2026-11-01}")
    assert found(make_org(case=person(body=body)), "GOV008") == []


def test_GOV006_fires_on_view_users_with_billing_report_admin(make_org):
    path = make_org(case=clinician(user_type="Clerical", extra="permissions: [view_users, billing_report_admin]"))
    [d] = [d for d in run(path).diagnostics if d.code == "GOV006"]
    assert "user_management (view_users" in d.message


def test_GOV006_quiet_on_view_users_alone(make_org):
    path = make_org(case=clinician(user_type="Clerical", extra="permissions: [view_users]"))
    assert found(path, "GOV006") == []
