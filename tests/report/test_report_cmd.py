"""`provisioner report` (ACCESS.md, provisioner/report/accessdoc.py): the example orgs'
committed documents are current, a stale one fails `--check` with a diff, and the content
names the facts an auditor looks for."""

from __future__ import annotations


import pytest

from provisioner.pipeline import validate
from provisioner.plan.planfile import config_digest
from provisioner.report.accessdoc import access_markdown

from tests.exampleorgs import copy_example

from .conftest import ORGS, cli


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy"])
def test_the_example_orgs_commit_a_current_access_document(org):
    r = cli("report", ORGS / org, "--check")
    assert r.exit_code == 0, r.output
    assert "is up to date" in r.output


def test_a_stale_document_fails_check_with_a_diff(tmp_path):
    folder = tmp_path / "harbor"
    copy_example("harbor-therapy", folder)
    before = config_digest(folder)
    staff = folder / "people" / "staff.yaml"
    staff.write_text(staff.read_text(encoding="utf-8").replace("front_office: biller", "front_office: scheduler"),
                     encoding="utf-8")
    r = cli("report", folder, "--check")
    assert r.exit_code == 1
    assert "ACCESS.md is stale" in r.output and "(committed)" in r.output
    assert any(l.startswith("-| biller | 27 | hugo-lam") for l in r.output.splitlines())
    assert cli("report", folder, "--out", folder / "ACCESS.md").exit_code == 0
    assert cli("report", folder, "--check").exit_code == 0
    (folder / "ACCESS.md").unlink()
    assert config_digest(folder) != before  # the edit, not the document, moved the digest
    r = cli("report", folder, "--check")
    assert r.exit_code == 1 and "does not exist" in r.output


def test_the_document_names_role_sets_admins_seats_waivers_and_reviews():
    text = access_markdown(validate(ORGS / "riverside-health", rules=False).org, "regen")
    assert "| `take_payments` | Enter/take payments for all clients | no | yes |" in text
    assert "| biller | 27 | linda-sato |" in text
    assert ("| diane-foster | client_admin_full | cio@riverside.example | Director of Access and Referral "
            "Operations; the system's par8o manager | 2026-10-01 | 2026-12-30 |") in text
    assert "| lakeview-neuro-rehab | therapist | 5 | 3 | 2 |" in text
    assert "| LIC003 | cedar-hills-spine/therapist | cfo@riverside.example | 2027-06-30 |" in text
    assert "| gabriel-stone | user | 365 | 2026-02-09 | 2027-02-09 | diane.foster@riverside.example (approver) |" in text


def test_writing_the_document_leaves_plans_current(tmp_path):
    folder = tmp_path / "harbor"
    copy_example("harbor-therapy", folder)
    before = config_digest(folder)
    (folder / "ACCESS.md").write_text("changed\n", encoding="utf-8")
    assert config_digest(folder) == before
