"""Effective access (provisioner/access.py)."""

from __future__ import annotations

from provisioner.access import CALL_CENTER, MASTER_GROUP, OFFICES, OWN, effective_access
from provisioner.vocabulary import FRONT_OFFICE_PERMISSIONS, LIMITED_ADMIN_PERMISSIONS
from tests.conftest import run
from tests.rules.test_accounts import person
from tests.rules.test_emr import clinician

PAC = "kind: Office\nid: pac\nname: Patient Access\ncall_center: true\n"


def access(make_org, files=None, **named):
    result = run(make_org(files, **named))
    assert result.org is not None, result.diagnostics
    return result.org, effective_access(result.org)


def test_template_expansion_is_visible_as_the_source(make_org):
    _, acc = access(make_org, case=person(body="template: office-manager\noffices: [east]"))
    (ref,) = acc["case"].referral.grants
    assert (ref.kind, ref.offices) == (OFFICES, ("east",))
    assert ref.source == "template office-manager (account_type office_staff)"
    assert ref.origin.path == ("template",)
    (data,) = acc["case"].data_management.grants
    assert data.source == "template office-manager (admin office_admin)" and data.offices == ("east",)
    assert acc["case"].reporting.grants == acc["case"].data_management.grants


def test_explicit_fields_name_themselves(make_org):
    _, acc = access(make_org, case=person(body="account_type: office_staff\noffices: [east]\nadmin: [office_admin]"))
    assert acc["case"].referral.grants[0].source == "account_type office_staff"
    assert acc["case"].data_management.grants[0].source == "admin office_admin"
    assert acc["case"].data_management.grants[0].origin.path == ("admin", 0)


def test_physician_sees_own_referrals_only(make_org):
    _, acc = access(make_org, case=person(body="account_type: physician\noffices: [east]\nnpi: '1234567893'"))
    (ref,) = acc["case"].referral.grants
    assert ref.kind == OWN and not acc["case"].referral.whole_master_group


def test_call_center_designation_narrows_master_group_staff(make_org):
    _, acc = access(make_org, {"pac.yaml": PAC}, case=person(body="account_type: master_group_staff\ncall_center: pac"))
    scope = acc["case"].referral
    assert [(g.kind, g.offices, g.source) for g in scope.grants] == [(CALL_CENTER, ("pac",), "call_center pac")]
    assert scope.covers("pac") and not scope.covers("east")


def test_master_group_staff_without_designation_sees_the_whole_group(make_org):
    org, acc = access(make_org, {"pac.yaml": PAC}, case=person(body="account_type: master_group_staff"))
    assert acc["case"].referral.whole_master_group
    assert set(acc["case"].referral.offices(org.offices)) == {"east", "pac"}


def test_client_admin_gets_referrals_only_with_work_queue_chat(make_org):
    _, acc = access(make_org,
                    case=person(body="account_type: office_staff\noffices: [east]\nadmin: [client_admin_full]"),
                    wq=person("wq", "account_type: office_staff\noffices: [east]\nadmin: [client_admin_full]\n"
                              "work_queue_chat: true"))
    assert not acc["case"].referral.whole_master_group
    assert acc["wq"].referral.whole_master_group and acc["wq"].referral.grants[-1].kind == MASTER_GROUP
    assert acc["wq"].referral.grants[-1].source == "admin client_admin_full + work_queue_chat true"
    assert acc["case"].data_management.whole_master_group and acc["case"].reporting.whole_master_group


def test_reporting_admin_has_reporting_but_no_data_management(make_org):
    _, acc = access(make_org, case=person(body="account_type: master_group_staff\nadmin: [client_admin_reporting]"))
    assert acc["case"].data_management.empty
    assert acc["case"].reporting.whole_master_group


def test_biller_includes_every_scheduler_permission(make_org):
    _, acc = access(make_org, case=person(body="account_type: office_staff\noffices: [east]\nfront_office: biller"),
                    sched=person("sched", "account_type: office_staff\noffices: [east]\nfront_office: scheduler"))
    biller = {p.name for p in acc["case"].front_office}
    scheduler = {p.name for p in acc["sched"].front_office}
    assert scheduler == set(FRONT_OFFICE_PERMISSIONS["scheduler"]) and scheduler < biller
    assert {"take_payments", "enter_refunds", "enter_adjustments"} <= biller - scheduler
    assert {p.source for p in acc["case"].front_office} == {"front_office biller"}


def test_profile_admin_flag_expands_to_every_limited_admin_permission(make_org):
    _, acc = access(make_org, case=clinician(user_type="Clerical", extra="permissions: [view_patients]\nadmin: true"))
    (prof,) = acc["case"].profiles
    assert prof.names() == {"view_patients", *LIMITED_ADMIN_PERMISSIONS}
    flagged = [p for p in prof.permissions if p.source == "profile admin flag"]
    assert [p.name for p in flagged] == list(LIMITED_ADMIN_PERMISSIONS)
    assert flagged[0].origin.path == ("profiles", 0, "admin")
    assert prof.first("view_patients").origin.path == ("profiles", 0, "permissions", 0)


def test_licence_type_and_source(make_org):
    _, acc = access(make_org, case=clinician(user_type="COTA"))
    (prof,) = acc["case"].profiles
    assert (prof.license_type, prof.license_source) == ("assistant", "east")
