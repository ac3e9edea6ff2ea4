"""`provisioner who-can` (provisioner/report/whocan.py): holders of a permission, role or
scope in the example org, at an office, each with the provenance of the right."""

from __future__ import annotations

import json

import pytest

from provisioner.pipeline import validate
from provisioner.report.rights import org_rights
from provisioner.report.whocan import UnknownName, who_can

from .conftest import ORGS, cli, line_of


@pytest.fixture(scope="module")
def riverside_rights():
    return org_rights(validate(ORGS / "riverside-health", rules=False).org)


def test_who_can_finish_soap_notes_at_an_office_are_its_clinicians(riverside_rights):
    found = who_can(riverside_rights, "finish_soap_notes", "eastside-rehab")
    assert "maria-lopez" in found and "tyrone-jackson" not in found
    assert all(r.name == "finish_soap_notes" and r.covers("eastside-rehab") for rs in found.values() for r in rs)
    # a clinician of another office only is left out
    northgate = who_can(riverside_rights, "finish_soap_notes", "northgate-ortho")
    assert "maria-lopez" not in northgate and northgate


def test_client_admins_and_call_center_referrals(riverside_rights):
    assert set(who_can(riverside_rights, "client_admin")) == {"diane-foster", "keisha-morgan"}
    seeing = who_can(riverside_rights, "referrals", "riverside-access-center")
    assert {"tyrone-jackson", "keisha-morgan", "gabriel-stone"} <= set(seeing)
    assert "maria-lopez" not in seeing  # eastside-rehab only
    assert [r.name for r in seeing["tyrone-jackson"]] == ["call_center"]


def test_an_unknown_name_suggests_the_close_one(riverside_rights):
    with pytest.raises(UnknownName, match="finish_soap_notes"):
        who_can(riverside_rights, "finish_soap", None)


def test_cli_json_names_the_line_and_approver_of_each_holder():
    folder = ORGS / "riverside-health"
    r = cli("who-can", folder, "enter_refunds", "--no-git", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["query"] == {"permission": "enter_refunds", "office": None}
    (linda,) = doc["people"]
    assert linda["id"] == "linda-sato" and linda["grants"]["approved_by"] == "cfo@riverside.example"
    (right,) = linda["rights"]
    assert right["line"] == line_of(folder / "people" / "staff.yaml", "front_office: biller", after="id: linda-sato")


def test_cli_text_counts_and_errors():
    folder = ORGS / "riverside-health"
    r = cli("who-can", folder, "client_admin", "--no-git")
    assert r.exit_code == 0 and r.output.rstrip().endswith("2 people hold client_admin")
    r = cli("who-can", folder, "take_payments", "--office", "nowhere", "--no-git")
    assert r.exit_code == 1 and "no office 'nowhere'" in r.output
    r = cli("who-can", folder, "finish_soap", "--no-git")
    assert r.exit_code == 1 and "did you mean finish_soap_notes" in r.output
    assert "finish_soap_notes" in cli("who-can", folder, "--list").output.split()
