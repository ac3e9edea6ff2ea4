"""Import → validate → adopt → plan → drift against real SCIM servers seeded with a few
hundred hand-made accounts (near-duplicates, case-variant e-mails, inactive accounts,
groups): the org folder validates with the findings listed, a re-import writes the same
bytes, adopt links without creating, the plan is then empty, drift names what is edited."""

from __future__ import annotations

import json

from .harness.direct import direct_patch
from .scimorg import TODAY, cli, outbox, sync
from .seed import empty_org, seed


def test_import_adopt_plan_drift_round_trip(scim_server, tmp_path):
    made = seed(scim_server, 200)
    org = empty_org(tmp_path / "org", scim_server.base_url)
    state = f"sqlite:///{tmp_path}/state.db"
    first = cli("import", "idp", "--out", org, "--today", TODAY, "--account-type", "office_staff",
                token=scim_server.token)
    assert first.exit_code == 2, first.output  # findings to decide, each listed
    people = (org / "imported" / "idp.yaml").read_bytes()
    report = (org / "imported" / "idp-import.md").read_text()
    assert "| unmatched | 213 |" in report and "| duplicate | 5 |" in report
    for dup in made["case_variant"]:
        assert f"account {dup['id']} ({dup['userName']}) shares an e-mail with account" in report
    assert "became maria-lopez0-2" in report
    assert "(Ortho Senders) is not imported" in report
    assert people.count(b"kind: Person") == 208 and people.count(b"status: inactive") == 20
    again = cli("import", "idp", "--out", org, "--today", TODAY, "--account-type", "office_staff",
                token=scim_server.token)
    assert again.exit_code == 2
    assert (org / "imported" / "idp.yaml").read_bytes() == people  # byte-identical
    assert (org / "imported" / "idp-import.md").read_text() == report
    assert cli("validate", org, "--today", TODAY).exit_code == 0

    before = {u["id"] for u in scim_server.users()}
    adopted = cli("adopt", "idp", "--org", org, "--state", state, "--today", TODAY, "--format", "json",
                  token=scim_server.token)
    assert adopted.exit_code == 0, adopted.output
    counts = json.loads(adopted.stdout)["counts"]
    assert counts == {"linked": 0, "matched": 208, "disputed": 5, "unmatched": 0}
    plan = cli("plan", org, "--state", state, "--today", TODAY, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    s = sync(org, state, scim_server.token)
    assert s.exit_code == 0, s.output
    assert {u["id"] for u in scim_server.users()} == before  # nothing created
    d = cli("drift", "--org", org, "--state", state, "--format", "json", token=scim_server.token)
    kinds = [f["kind"] for t in json.loads(d.stdout)["targets"] for f in t["findings"]]
    assert kinds == ["unmanaged"] * 5  # the duplicates, never adopted
    _, shadows = outbox(state)
    edited = shadows["person.user1"].remote_id
    direct_patch(scim_server, edited, [{"op": "replace", "path": "displayName", "value": "Renamed By Hand"}])
    d = cli("drift", "--org", org, "--state", state, "--format", "json", token=scim_server.token)
    found = [(f["kind"], f["key"]) for t in json.loads(d.stdout)["targets"] for f in t["findings"]
             if f["kind"] != "unmanaged"]
    assert d.exit_code == 2 and found == [("changed", "person.user1")]
    a = cli("apply", org, "--state", state, "--today", TODAY, "--refresh", "--auto-approve", token=scim_server.token)
    assert a.exit_code == 0, a.output
    assert "~ update person.user1: changed at idp (displayName" in a.output
    d = cli("drift", "--org", org, "--state", state, "--format", "json", token=scim_server.token)
    assert [f["kind"] for t in json.loads(d.stdout)["targets"] for f in t["findings"]] == ["unmanaged"] * 5


def test_import_from_a_change_file_csv(tmp_path):
    org = empty_org(tmp_path / "org", "http://127.0.0.1:9/v2")
    export = tmp_path / "emr.csv"
    export.write_text("user_name,display_name,active,account_type,offices,external_id\n"
                      "ann@x.example,Ann Lee,true,office_staff,east;west,\n"
                      "Ann@X.example,Ann Lee,false,office_staff,east,\n"
                      "bo@x.example,Bo Chen,true,'=cmd,east,bo-chen\n", encoding="utf-8")
    r = cli("import", "emr", "--out", org, "--from-csv", export, "--today", TODAY)
    assert r.exit_code == 2, r.output
    text = (org / "imported" / "emr.yaml").read_text()
    assert "id: ann\n" in text and "offices:\n- east\n- west" in text and "id: bo-chen" in text
    assert "account line-3 (Ann@X.example) shares an e-mail with account line-2" in r.output
    assert "account_type" in r.output  # '=cmd is not an account type: a finding, located
    bad = tmp_path / "bad.csv"
    bad.write_text("login\nx@y.example\n", encoding="utf-8")
    r = cli("import", "emr", "--out", org, "--from-csv", bad)
    assert r.exit_code == 1 and f"error: {bad}:1: no user_name column" in r.output


def test_import_reads_a_change_file_this_tool_wrote(tmp_path):
    """The referral platform's own change file (groups and call centers included) imports:
    group rows are passed over, a call center is an office id, every person comes back."""
    import csv

    from tests.exampleorgs import copy_example

    source = copy_example("riverside-health", tmp_path / "riverside")
    state = f"sqlite:///{tmp_path}/state.db"
    applied = cli("apply", source, "--auto-approve", "--state", state, "--today", TODAY)
    assert applied.exit_code in (0, 3), applied.output
    export = next((source / "out" / "changes" / "riverside-referrals").glob("*.csv"))
    rows = list(csv.DictReader(export.open(encoding="utf-8")))
    assert any(r["object"] == "group" for r in rows) and any(r["call_center"] for r in rows)
    org = empty_org(tmp_path / "org", "http://127.0.0.1:9/v2")
    r = cli("import", "referrals", "--out", org, "--from-csv", export, "--today", TODAY)
    assert r.exit_code in (0, 2), r.output
    text = (org / "imported" / "referrals.yaml").read_text()
    users = [x for x in rows if x["object"] == "user"]
    assert text.count("kind: Person") == len(users)
    center = next(x for x in users if x["call_center"])
    assert f"call_center: {center['call_center']}" in text
