"""Lifecycle findings at plan time, through the CLI: LIFE002, LIFE004, LIFE006, LIFE007
(invitations and their expiry) and the mass-change guard."""

from __future__ import annotations

import datetime as dt
import json
import re

from tests.clihelp import actions, plan, plan_and_apply, run, snapshot
from tests.orgbuilder import edit, new_provider, write_org

from provisioner.pipeline import validate
from provisioner.plan import plan_changes


def test_provider_deactivation_without_disposition_is_refused_LIFE002(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/bob"]["status"] = "inactive"
    write_org(org_folder, docs)
    r = plan(org_folder, state_url, "--detailed-exitcode")
    assert r.exit_code == 1
    assert "error LIFE002" in r.output and "referral_disposition" in r.output
    assert "person-bob.yaml:" in r.output  # located at the person's status
    assert "Traceback" not in r.output


def test_provider_deactivation_with_disposition_removes_memberships_first(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/dan"]["status"] = "inactive"
    docs["person/dan"]["referral_disposition"] = {"action": "reassign", "to": "ann"}
    docs["group/east-ortho"]["members"] = ["ann"]
    write_org(org_folder, docs)
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    order = [c["address"] for c in doc["changes"]]
    assert actions(doc)["membership.dan@east"] == "delete"
    assert actions(doc)["group_member.east-ortho/dan"] == "delete"
    assert order.index("membership.dan@east") < order.index("person.dan")
    assert order.index("profile.dan-ot") < order.index("person.dan")
    state = snapshot(state_url).resources
    assert state["person.dan"].status == "inactive"
    assert state["person.dan"].attributes["referral_disposition"] == {"action": "reassign", "to": "ann"}


def test_provider_removed_from_config_is_an_error_LIFE002(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    del docs["person/cat"]
    docs["person/bob"]["offices"] = ["west", "north"]  # north keeps a provider
    docs["office/south"] = {"kind": "Office", "id": "south", "name": "South", "go_live": "2026-03-04",
                            "licenses": {"therapist": 2}}  # a located warning beside an unlocated error
    docs["person/bob"]["offices"].append("south")
    docs["person/hal"]["offices"] = ["east", "west", "south"]
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 1
    assert "org/org.yaml:1:1: error LIFE002" in r.output  # the person is gone: the org document
    assert "status: inactive" in r.output and "'cat'" in r.output
    assert "warning LIFE004" in r.output


def test_office_removal_stranding_a_provider_LIFE006(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    del docs["office/north"]
    docs["person/cat"]["offices"] = []
    docs["person/cat"]["profiles"][0].update(clinics=["east"], default_clinic="east")
    docs["person/gus"]["offices"] = ["east"]
    docs["person/gus"]["profiles"][0].update(clinics=["east"], default_clinic="east")
    write_org(org_folder, docs)
    # Judged without the rule catalog so that only the plan stage speaks.
    validation = validate(org_folder, today=dt.date(2026, 3, 1), rules=False)
    assert validation.ok, validation.diagnostics
    changes, _, findings = plan_changes(validation, snapshot(state_url), dt.date(2026, 3, 1))
    life006 = [d for d in findings if d.code == "LIFE006"]
    assert len(life006) == 1
    assert life006[0].subject == "cat" and "north" in life006[0].message
    assert life006[0].file.endswith("person-cat.yaml") and life006[0].line is not None
    assert {c.address: str(c.action) for c in changes}["office.north"] == "deactivate"
    # With another office for cat, nothing is stranded.
    docs["person/cat"]["offices"] = ["east"]
    write_org(org_folder, docs)
    validation = validate(org_folder, rules=False)
    _, _, findings = plan_changes(validation, snapshot(state_url), dt.date(2026, 3, 1))
    assert not [d for d in findings if d.code == "LIFE006"]


def test_office_going_live_within_a_week_warns_LIFE004(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["office/south"] = {"kind": "Office", "id": "south", "name": "South", "go_live": "2026-03-04",
                            "licenses": {"therapist": 2}}
    docs["office/far"] = {"kind": "Office", "id": "far", "name": "Far", "go_live": "2026-03-20",
                          "licenses": {"therapist": 2}}
    docs["person/hal"]["offices"] = ["east", "west", "south", "far"]  # staff and a provider (LIFE005)
    docs["person/ivy"] = new_provider("ivy", ["south", "far"])
    write_org(org_folder, docs)
    r = plan(org_folder, state_url, "--detailed-exitcode")
    assert r.exit_code == 2, r.output
    assert "warning LIFE004" in r.output and "'south'" in r.output and "office-south.yaml:" in r.output
    assert "'far'" not in r.output
    later = plan(org_folder, state_url, today="2026-02-01")
    assert "LIFE004" not in later.output


def test_mass_change_guard(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    for pid in ("eve", "fay", "gus"):
        docs[f"person/{pid}"]["status"] = "inactive"  # 3 of 8 people and 3 of 8 EMR profiles
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 1
    assert re.search(r"^org/org\.yaml:\d+:\d+: error MASS001", r.output, re.M)  # the org's policy
    assert "--allow-mass-change" in r.output and "3 of 8 active referral-platform accounts" in r.output and "3 of 8 active EMR profiles" in r.output
    allowed = plan(org_folder, state_url, "--allow-mass-change", "--detailed-exitcode")
    assert allowed.exit_code == 2, allowed.output
    assert "warning MASS001" in allowed.output
    docs["org"]["policy"] = {"mass_change_limit": 0.3}  # a written limit is where a finding points
    write_org(org_folder, docs)
    located = plan(org_folder, state_url)
    assert located.exit_code == 1 and "error MASS001" in located.output
    line = next(i for i, text in enumerate((org_folder / "org.yaml").read_text().splitlines(), 1)
                if "mass_change_limit" in text)
    assert f"org/org.yaml:{line}:" in located.output
    docs["org"]["policy"] = {"mass_change_limit": 0.5}  # the org's own limit
    write_org(org_folder, docs)
    assert plan(org_folder, state_url).exit_code == 0


def test_small_change_passes_mass_guard(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/eve"]["status"] = "inactive"  # 2 of 16
    write_org(org_folder, docs)
    assert plan(org_folder, state_url).exit_code == 0


def test_invitations_expire_two_days_after_apply_and_can_be_resent_LIFE007(org_folder, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json", today="2026-03-01")
    pending = run("invitations", "testorg", "--state", state_url, "--today", "2026-03-03", "--format", "json")
    assert pending.exit_code == 0
    rows = json.loads(pending.output)
    assert len(rows) == 16  # 8 persons + 8 profiles
    assert {r["status"] for r in rows} == {"pending"}
    assert {r["expires_on"] for r in rows} == {"2026-03-03"}
    assert "expires 2026-03-03" in run("invitations", "testorg", "--state", state_url, "--today", "2026-03-03").output
    expired = run("invitations", "testorg", "--state", state_url, "--today", "2026-03-04")
    assert "0 pending, 16 expired" in expired.output
    assert "expired 2026-03-03" in expired.output and "expires 2026-03-03" not in expired.output

    without = plan(org_folder, state_url, "--detailed-exitcode", today="2026-03-04")
    assert without.exit_code == 0  # expired invitations are not re-sent unless asked
    assert "16 invitation(s) expired unconfirmed (LIFE007)" in without.output and "--resend-expired" in without.output
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json", "--resend-expired", today="2026-03-04")
    assert set(actions(doc).values()) == {"update"}
    assert len(doc["changes"]) == 16
    assert "expired on 2026-03-03" in doc["changes"][0]["reason"]
    rows = json.loads(run("invitations", "testorg", "--state", state_url, "--today", "2026-03-05",
                          "--format", "json").output)
    assert {r["status"] for r in rows} == {"pending"}
    assert {r["expires_on"] for r in rows} == {"2026-03-06"}


def test_new_account_gets_invitation_in_plan(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/ivy"] = {"kind": "Person", "id": "ivy", "name": "Ivy", "email": "ivy@test.example",
                          "account_type": "office_staff", "offices": ["east"]}
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert "+ invitation.person.ivy" in r.output and "LIFE007" in r.output
    assert "(known after apply)" in r.output


def _south_office(docs, go_live="2026-03-04"):
    docs["office/south"] = {"kind": "Office", "id": "south", "name": "South", "go_live": go_live,
                            "licenses": {"therapist": 2}}
    docs["person/hal"]["offices"] = ["east", "west", "south"]
    docs["person/bob"]["offices"] = ["west", "south"]


def test_plan_stage_finding_can_be_waived(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    _south_office(docs)
    docs["waiver/south"] = {"kind": "Waiver", "rule": "LIFE004", "subject": "south",
                            "justification": "Emergency opening after the flood", "approved_by": "cmo@test.example",
                            "expires": "2026-04-01"}
    write_org(org_folder, docs)
    out = tmp_path / "p2.json"
    r = plan(org_folder, state_url, out=out)
    assert r.exit_code == 0, r.output
    assert "waived LIFE004" in r.output and "cmo@test.example" in r.output
    (d,) = [d for d in json.loads(out.read_text())["diagnostics"] if d["code"] == "LIFE004"]
    assert d["waived"] is True
    expired = plan(org_folder, state_url, today="2026-04-02")
    assert "warning LIFE004" not in expired.output  # 2026-04-02 is past go-live: no finding at all
    assert "waived LIFE004" not in expired.output


def test_org_can_raise_a_plan_stage_warning_to_an_error(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    _south_office(docs)
    docs["org"]["policy"]["severity"] = {"LIFE004": "error"}
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 1
    assert "error LIFE004" in r.output and "refused" in r.output


def test_invitation_of_a_deactivated_account_is_revoked(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/eve"]["status"] = "inactive"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    rows = json.loads(run("invitations", "testorg", "--state", state_url, "--today", "2026-03-02",
                          "--format", "json").output)
    status = {r["account"]: r["status"] for r in rows}
    assert status["person.eve"] == "revoked" and status["profile.eve-clerical"] == "revoked"
    assert status["person.ann"] == "pending"
    text = run("invitations", "testorg", "--state", state_url, "--today", "2026-03-02").output
    assert "14 pending, 0 expired, 2 revoked" in text
    resend = plan(org_folder, state_url, "--resend-expired", today="2026-03-10", out=tmp_path / "p3.json")
    doc = json.loads((tmp_path / "p3.json").read_text())
    assert resend.exit_code == 0 and "invitation.person.eve" not in actions(doc)
    assert len(doc["changes"]) == 14


def test_plan_errors_in_json_format_are_json(org_folder, org_docs, state_url):
    docs = edit(org_docs)
    docs["person/eve"]["offices"] = ["nowhere"]
    write_org(org_folder, docs)
    r = plan(org_folder, state_url, "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["valid"] is False and doc["diagnostics"][0]["code"] == "REF001"


def test_new_office_without_people_is_an_error_but_an_existing_one_only_warns_LIFE005(
        org_folder, org_docs, state_url, tmp_path):
    docs = edit(org_docs)
    docs["office/empty"] = {"kind": "Office", "id": "empty", "name": "Empty Clinic", "go_live": "2026-01-05"}
    write_org(org_folder, docs)
    assert "warning LIFE005" in run("validate", org_folder, "--today", "2026-03-01").output
    r = plan(org_folder, state_url)
    assert r.exit_code == 1
    assert "error LIFE005: new office has no active provider" in r.output
    assert "warning LIFE005" not in r.output
    del docs["office/empty"]
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs["office/empty"] = {"kind": "Office", "id": "empty", "name": "Empty Clinic", "go_live": "2026-01-05"}
    docs["person/bob"]["offices"] = docs["person/bob"]["offices"] + ["empty"]
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p2.json")  # staffed when created: fine
    docs["person/bob"]["offices"] = [o for o in docs["person/bob"]["offices"] if o != "empty"]
    write_org(org_folder, docs)
    later = plan(org_folder, state_url)
    assert later.exit_code == 0, later.output  # existing office: a warning, never a block
    assert "warning LIFE005" in later.output


def test_plan_findings_become_github_annotations_MASS001(org_folder, org_docs, sqlite_url, tmp_path):
    plan_and_apply(org_folder, sqlite_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    for pid in ("eve", "fay", "gus"):
        docs[f"person/{pid}"]["status"] = "inactive"
    docs["org"]["policy"] = {"mass_change_limit": 0.3}
    write_org(org_folder, docs)
    refused = plan(org_folder, sqlite_url, "--format", "github")
    assert refused.exit_code == 1
    assert "refused by rules checked at plan time, against the state (MASS001)" in refused.output
    assert run("validate", org_folder, "--today", "2026-03-01").exit_code == 0  # validate cannot see it: said so
    assert re.search(r"^::error file=org/org\.yaml,line=\d+,col=\d+,title=MASS001::MASS001: ", refused.output, re.M)
    allowed = plan(org_folder, sqlite_url, "--format", "github", "--allow-mass-change")
    assert allowed.exit_code == 0, allowed.output
    assert re.search(r"^::warning file=org/org\.yaml,.*title=MASS001::", allowed.output, re.M)
    assert "deactivate" in allowed.output  # the plan follows its annotations


def test_a_revoked_invitation_keeps_the_dates_it_was_sent_with(org_folder, org_docs, state_url, tmp_path):
    """LIFE007: revoking changes the status alone; the state and the audit log keep when the
    invitation was sent and when it would have expired (an auditor's record of it)."""
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json", today="2026-03-01")
    sent = snapshot(state_url).resources["invitation.person.eve"].attributes
    assert (sent["sent_on"], sent["expires_on"]) == ("2026-03-01", "2026-03-03")
    docs = edit(org_docs)
    docs["person/eve"]["status"] = "inactive"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p2.json", today="2026-03-20")
    revoked = snapshot(state_url).resources["invitation.person.eve"]
    assert revoked.status == "revoked"
    assert dict(revoked.attributes) == dict(sent)
