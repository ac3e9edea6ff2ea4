"""Identities across plans, through the CLI: renames as moves (ID001, `previously:`), e-mail
reuse against the applied state (EMAIL001), profiles replaced twice (TYPE002), invitations
revoked in the plan (LIFE007) and the call-center note (NOTE001)."""

from __future__ import annotations

import json

from tests.clihelp import actions, plan, plan_and_apply, run, snapshot
from tests.orgbuilder import edit, new_provider, write_org

from provisioner.state import open_state


def _rename(docs, old="gus", new="gus-stone", previously=True):
    person = docs.pop(f"person/{old}")
    person["id"] = new
    if previously:
        person["previously"] = old
    docs[f"person/{new}"] = person
    return docs


def test_ID001_a_rename_with_previously_is_a_move_and_apply_re_addresses_the_account(
        org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    write_org(org_folder, _rename(edit(org_docs)))
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    acts = actions(doc)
    assert acts["person.gus-stone"] == "move" and "person.gus" not in acts
    assert acts["invitation.person.gus-stone"] == "move"
    assert acts["profile.gus-clerical"] == "update"  # its `person` now names the new id
    assert "deactivate" not in acts.values() and doc["summary"]["move"] == 2
    move = next(c for c in doc["changes"] if c["address"] == "person.gus-stone")
    assert move["moved_from"] == "person.gus" and "previously: gus" in move["reason"]
    state = snapshot(state_url).resources
    assert "person.gus" not in state and state["person.gus-stone"].active
    assert state["invitation.person.gus-stone"].attributes["account"] == "person.gus-stone"
    backend = open_state(None, state_url)
    try:
        moves = [(r.address, r.action) for r in backend.audit() if r.action == "move"]
        assert ("person.gus", "move") in moves and ("person.gus-stone", "move") in moves
        assert backend.verify() == []
    finally:
        backend.close()
    again = plan(org_folder, state_url, "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # nothing left to do: the move was the whole change


def test_EMAIL001_an_unannounced_rename_is_refused_naming_the_deactivated_holder(
        org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    write_org(org_folder, _rename(edit(org_docs), previously=False))
    r = plan(org_folder, state_url)
    assert r.exit_code == 1
    assert "error EMAIL001" in r.output and "deactivated account person.gus in the state" in r.output
    assert "previously: gus" in r.output and "person-gus-stone.yaml:4" in r.output


def test_EMAIL001_quiet_when_the_address_is_new(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = _rename(edit(org_docs), previously=False)
    docs["person/gus-stone"]["email"] = "gus.stone@test.example"
    docs["person/gus-stone"]["profiles"][0]["email"] = "gus.stone.emr@test.example"
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 0 and "EMAIL001" not in r.output


def test_TYPE002_a_profile_replaced_twice_keeps_unique_marked_emails(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    prof = docs["person/ann"]["profiles"][0]
    for n, user_type in enumerate(("OT", "PT", "OT"), 2):  # replaced in place three times
        prof["user_type"] = user_type
        write_org(org_folder, docs)
        plan_and_apply(org_folder, state_url, tmp_path / f"p{n}.json", "--allow-mass-change")
    state = snapshot(state_url).resources
    marked = sorted(r.attributes["email"] for a, r in state.items() if a.startswith("profile.ann-pt~"))
    assert marked == ["x-ann.emr@test.example", "x2-ann.emr@test.example", "x3-ann.emr@test.example"]
    assert state["profile.ann-pt"].attributes["email"] == "ann.emr@test.example"


def test_TYPE002_a_new_profile_of_another_person_never_replaces_by_email(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    taken = docs["person/eve"]["profiles"].pop()  # eve's clerical profile leaves the config
    docs["person/fay"]["profiles"].append({**taken, "id": "fay-biller", "user_type": "Biller",
                                           "clinics": ["west"], "default_clinic": "west"})
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 1, r.output
    assert "error EMAIL001" in r.output and "deactivated account profile.eve-clerical" in r.output


def test_LIFE007_a_deactivation_revokes_the_pending_invitation_in_the_plan(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/eve"]["status"] = "inactive"
    write_org(org_folder, docs)
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    by = {c["address"]: c for c in doc["changes"]}
    assert by["invitation.person.eve"]["action"] == "deactivate"
    assert by["invitation.person.eve"]["after"]["status"] == "revoked"
    listed = dict(line.split("\t") for line in run("state", "list", "testorg", "--state", state_url,
                                                   "--kind", "invitation").output.splitlines() if "\t" in line)
    rows = json.loads(run("invitations", "testorg", "--state", state_url, "--today", "2026-03-02",
                          "--format", "json").output)
    assert {r["address"]: r["status"] for r in rows} == listed  # the two views agree
    assert listed["invitation.person.eve"] == "revoked" and listed["invitation.profile.eve-clerical"] == "revoked"


def test_MASS001_fires_per_kind_when_profiles_go_but_people_stay(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    for pid in ("eve", "fay", "gus"):
        docs[f"person/{pid}"]["profiles"] = []  # 3 of 8 profiles, 0 of 8 people
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 1 and "3 of 8 active EMR profiles" in r.output
    assert "referral-platform accounts" not in r.output


def _with_call_center(docs):
    docs["office/center"] = {"kind": "Office", "id": "center", "name": "Access Center", "call_center": True}
    docs["person/cc-lead"] = {"kind": "Person", "id": "cc-lead", "name": "Lead", "email": "lead@test.example",
                              "template": "call-center-manager", "call_center": "center", "work_queue_chat": True}
    return docs


def test_NOTE001_fires_for_a_provider_added_at_an_office_a_call_center_serves(org_folder, org_docs, state_url, tmp_path):
    docs = _with_call_center(edit(org_docs))
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs["person/zed"] = new_provider("zed", ["east"])
    write_org(org_folder, docs)
    r = plan(org_folder, state_url)
    assert r.exit_code == 0, r.output
    assert "info NOTE001" in r.output and "zed added at east" in r.output and "cc-lead" in r.output


def test_NOTE001_quiet_on_the_first_apply_and_without_provider_changes(org_folder, org_docs, state_url, tmp_path):
    docs = _with_call_center(edit(org_docs))
    write_org(org_folder, docs)
    first = plan(org_folder, state_url)
    assert first.exit_code == 0 and "info NOTE001" not in first.output
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs["person/eve"]["name"] = "Eve Renamed"
    _rename(docs, "cat", "cat-lee")  # a provider renamed at the same office is no provider change
    write_org(org_folder, docs)
    quiet = plan(org_folder, state_url)
    assert quiet.exit_code == 0 and "will move" in quiet.output and "info NOTE001" not in quiet.output
