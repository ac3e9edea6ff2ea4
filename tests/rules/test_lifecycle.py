"""LIFE and GRP rules (provisioner/rules/lifecycle.py)."""

from __future__ import annotations

from tests.conftest import found
from tests.rules.test_accounts import person

PROVIDER = "account_type: physician\noffices: [east]\nnpi: '1234567893'\nprofile_approved: true\n"


def test_LIFE002_fires_when_inactive_provider_has_no_disposition(make_org):
    path = make_org(case=person(body=PROVIDER + "status: inactive"))
    assert found(path, "LIFE002") == [("case.yaml", 9, "case")]


def test_LIFE002_fires_when_referrals_go_to_an_inactive_provider(make_org):
    gone = person("gone", PROVIDER + "status: inactive\nreferral_disposition: {action: decline}")
    case = person(body=PROVIDER + "status: inactive\nreferral_disposition:\n  action: reassign\n  to: gone")
    path = make_org(case=case, gone=gone)
    assert found(path, "LIFE002") == [("case.yaml", 12, "case")]


def test_LIFE002_fires_when_forward_has_no_target(make_org):
    path = make_org(case=person(body=PROVIDER + "status: inactive\nreferral_disposition:\n  action: forward"))
    assert found(path, "LIFE002") == [("case.yaml", 11, "case")]


def test_LIFE002_quiet_when_reassigned_to_an_active_provider(make_org):
    case = person(body=PROVIDER + "status: inactive\nreferral_disposition: {action: reassign, to: dr-ana}")
    assert found(make_org(case=case), "LIFE002") == []


def test_LIFE003_fires_when_provider_not_approved(make_org):
    path = make_org(case=person(body=PROVIDER.replace("true", "false")))
    assert found(path, "LIFE003") == [("case.yaml", 8, "case")]


def test_LIFE003_fires_at_id_when_approval_missing(make_org):
    path = make_org(case=person(body="account_type: physician\noffices: [east]\nnpi: '1234567893'"))
    assert found(path, "LIFE003") == [("case.yaml", 2, "case")]


def test_LIFE003_quiet_for_approved_and_for_staff(make_org):
    path = make_org(case=person(body=PROVIDER), staff=person("stf", "account_type: office_staff\noffices: [east]"))
    assert found(path, "LIFE003") == []


def test_LIFE005_fires_when_office_has_no_provider(make_org):
    west = "kind: Office\nid: west\nname: West\n"
    path = make_org({"west.yaml": west}, case=person(body="account_type: office_staff\noffices: [west]"))
    assert found(path, "LIFE005") == [("west.yaml", 2, "west")]


def test_LIFE005_fires_when_office_has_no_referral_staff(make_org):
    west = "kind: Office\nid: west\nname: West\n"
    path = make_org({"west.yaml": west}, case=person(body=PROVIDER.replace("[east]", "[west]")))
    assert found(path, "LIFE005") == [("west.yaml", 2, "west")]


def test_LIFE005_quiet_when_master_group_staff_covers_it_and_call_center_needs_no_provider(make_org):
    pac = "kind: Office\nid: pac\nname: Patient Access\ncall_center: true\n"
    path = make_org({"pac.yaml": pac}, case=person(body="account_type: master_group_staff"))
    assert found(path, "LIFE005") == []


def test_LIFE008_fires_when_insurance_reviewed_last_year(make_org):
    body = PROVIDER + "insurance:\n  plans: []\n  reviewed_on: 2025-12-31"
    path = make_org(case=person(body=body))
    assert found(path, "LIFE008") == [("case.yaml", 11, "case")]


def test_LIFE008_quiet_when_reviewed_this_year(make_org):
    body = PROVIDER + "insurance:\n  plans: []\n  reviewed_on: 2026-01-02"
    assert found(make_org(case=person(body=body)), "LIFE008") == []


GROUP = """\
    kind: Group
    id: ortho
    office: east
    specialty: orthopedics
    role: receiver
    members:
      - dr-ana
      - {member}
    staff: [{staff}]
    """


def test_GRP001_fires_when_member_is_not_a_provider(make_org):
    path = make_org(group=GROUP.format(member="olive", staff="olive"))
    assert found(path, "GRP001") == [("group.yaml", 8, "ortho")]


def test_GRP001_fires_when_member_practises_elsewhere(make_org):
    west = "kind: Office\nid: west\nname: West\n"
    path = make_org({"west.yaml": west}, group=GROUP.format(member="case", staff="olive"),
                   case=person(body=PROVIDER.replace("[east]", "[west]")))
    assert found(path, "GRP001") == [("group.yaml", 8, "ortho")]


def test_GRP001_quiet_for_providers_at_the_office(make_org):
    path = make_org(group=GROUP.format(member="case", staff="olive"), case=person(body=PROVIDER))
    assert found(path, "GRP001") == []


def test_GRP002_fires_when_group_staff_are_inactive(make_org):
    path = make_org(group=GROUP.format(member="case", staff="gone"), case=person(body=PROVIDER),
                   gone=person("gone", "account_type: office_staff\noffices: [east]\nstatus: inactive"))
    assert found(path, "GRP002") == [("group.yaml", 9, "ortho")]


def test_GRP002_fires_at_group_start_when_staff_missing(make_org):
    path = make_org(group=GROUP.format(member="case", staff="olive").replace("staff: [olive]\n", ""),
                   case=person(body=PROVIDER))
    assert found(path, "GRP002") == [("group.yaml", 1, "ortho")]


def test_GRP002_quiet_with_active_staff(make_org):
    path = make_org(group=GROUP.format(member="case", staff="olive"), case=person(body=PROVIDER))
    assert found(path, "GRP002") == []


def test_GRP003_fires_when_two_providers_share_a_specialty_without_group(make_org):
    path = make_org(case=person(body=PROVIDER + "specialty: orthopedics"))
    assert found(path, "GRP003") == [("offices.yaml", 2, "east")]


def test_GRP003_quiet_when_a_group_covers_them(make_org):
    path = make_org(case=person(body=PROVIDER + "specialty: orthopedics"),
                   group=GROUP.format(member="case", staff="olive"))
    assert found(path, "GRP003") == []


def test_GRP003_quiet_for_different_specialties(make_org):
    path = make_org(case=person(body=PROVIDER + "specialty: neurology"))
    assert found(path, "GRP003") == []
