"""`plan --refresh` / `apply --refresh` against real SCIM servers: the targets are read
first, the plan names what brings them back (with the date the service gives), applying
restores them, and a second drift is clean but for the unmanaged account; the org's
policy may deactivate unmanaged accounts, under the mass-change guard."""

from __future__ import annotations

from .harness.direct import direct_create, direct_patch
from .scimorg import TODAY, apply, cli, write_org


def test_plan_refresh_brings_the_target_back_and_a_second_drift_is_clean(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=4)
    assert apply(org, state, scim_server.token).exit_code == 0
    ids = {u["externalId"]: u["id"] for u in scim_server.users()}
    direct_patch(scim_server, ids["staff-0"], [{"op": "replace", "path": "displayName", "value": "Hand Edit"}])
    direct_patch(scim_server, ids["staff-1"], [{"op": "replace", "path": "active", "value": False}])
    assert scim_server.client().delete(f"/Users/{ids['staff-2']}").status_code == 204
    stranger = direct_create(scim_server, {"userName": "temp@agency.example", "active": True})

    offline = cli("plan", org, "--state", state, "--today", TODAY, "--detailed-exitcode")
    assert offline.exit_code == 0, offline.output  # without --refresh: from the state alone
    p = cli("plan", org, "--state", state, "--today", TODAY, "--refresh", "--detailed-exitcode",
            token=scim_server.token)
    assert p.exit_code == 2, p.output
    assert "idp: 5 accounts (1 pages read): 3 to bring back to the config" in p.output
    assert "~ update person.staff-0: changed at idp (displayName) on 20" in p.output
    assert "(lastModified 20" in p.output
    assert "~ reactivate person.staff-1: deactivated at idp on 20" in p.output
    assert "~ recreate person.staff-2: vanished from idp" in p.output
    assert stranger["id"] not in p.output  # reported by drift, never touched
    saved = tmp_path / "refresh.json"
    assert cli("plan", org, "--state", state, "--today", TODAY, "--refresh", "--out", saved,
               token=scim_server.token).exit_code == 0
    for fmt in ("text", "markdown"):  # the PR comment shows what apply will send, as plan did
        shown = cli("show", saved, "--format", fmt)
        assert shown.exit_code == 0, shown.output
        assert "3 to bring back to the config" in shown.output and "recreate person.staff-2" in shown.output

    a = cli("apply", org, "--state", state, "--today", TODAY, "--refresh", "--auto-approve", token=scim_server.token)
    assert a.exit_code == 0, a.output
    held = {u.get("externalId"): u for u in scim_server.users()}
    assert held["staff-0"]["displayName"] == "Staff Member0"
    assert held["staff-1"]["active"] is True
    assert held["staff-2"]["active"] is True and held["staff-2"]["id"] != ids["staff-2"]
    assert held[None]["id"] == stranger["id"] and held[None]["active"] is True
    d = cli("drift", "--org", org, "--state", state, "--format", "json", token=scim_server.token)
    assert d.exit_code == 2 and d.stdout.count('"kind": "unmanaged"') == 1 and d.stdout.count('"kind"') == 1
    again = cli("plan", org, "--state", state, "--today", TODAY, "--refresh", "--detailed-exitcode",
                token=scim_server.token)
    assert again.exit_code == 0, again.output


def test_policy_deactivates_unmanaged_accounts_under_the_mass_change_guard(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=4)
    assert apply(org, state, scim_server.token).exit_code == 0
    strangers = [direct_create(scim_server, {"userName": f"temp{i}@agency.example", "active": True}) for i in range(2)]
    text = (org / "org.yaml").read_text()
    (org / "org.yaml").write_text(text.replace("policy: {mass_change_limit: 1.0}",
                                               "policy: {mass_change_limit: 0.25, unmanaged_accounts: deactivate}"))
    refused = cli("plan", org, "--state", state, "--today", TODAY, "--refresh", token=scim_server.token)
    assert refused.exit_code == 1
    assert "MASS001 the refresh deactivates 2 unmanaged accounts of 7 active at idp (29%)" in refused.output
    a = cli("apply", org, "--state", state, "--today", TODAY, "--refresh", "--auto-approve", "--allow-mass-change",
            token=scim_server.token)
    assert a.exit_code == 0, a.output
    held = {u["id"]: u for u in scim_server.users()}
    assert [held[s["id"]]["active"] for s in strangers] == [False, False]
    assert all(u["active"] for u in held.values() if u.get("externalId"))


def test_a_group_deleted_at_the_server_is_recreated_by_a_refresh(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=2, groups=True)
    assert apply(org, state, scim_server.token).exit_code == 0
    (group,) = scim_server.groups()
    assert scim_server.client().delete(f"/Groups/{group['id']}").status_code == 204
    a = cli("apply", org, "--state", state, "--today", TODAY, "--refresh", "--auto-approve", token=scim_server.token)
    assert a.exit_code == 0, a.output
    assert "~ recreate office.east: vanished from idp" in a.output
    (again,) = scim_server.groups()
    assert again["id"] != group["id"] and len(again["members"]) == 3
    assert cli("drift", "--org", org, "--state", state, token=scim_server.token).exit_code == 0


def test_a_saved_refresh_is_read_from_the_targets_again_and_an_edited_one_is_refused(scim_server, tmp_path):
    """The checksum proves a plan file whole, not who wrote it: a refresh entry added by hand
    (deactivate an account we do not own) and re-sealed is refused, nothing is sent; the
    genuine saved refresh applies."""
    import json

    from provisioner.plan.planfile import checksum, dumps

    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=2)
    assert apply(org, state, scim_server.token).exit_code == 0
    ids = {u["externalId"]: u["id"] for u in scim_server.users()}
    direct_patch(scim_server, ids["staff-0"], [{"op": "replace", "path": "displayName", "value": "Hand Edit"}])
    stranger = direct_create(scim_server, {"userName": "breakglass@agency.example", "active": True})
    saved = tmp_path / "refresh.json"
    p = cli("plan", org, "--state", state, "--today", TODAY, "--refresh", "--out", saved, token=scim_server.token)
    assert p.exit_code == 0, p.output

    doc = json.loads(saved.read_text())
    doc["refresh"]["idp"]["entries"].append(
        {"target": "idp", "key": f"unmanaged.{stranger['id']}", "object": "user", "action": "deactivate",
         "remote_id": stranger["id"], "login": "breakglass@agency.example", "version": None, "reason": "routine"})
    doc["checksum"] = checksum(doc)
    forged = tmp_path / "forged.json"
    forged.write_text(dumps(doc))
    r = cli("apply", forged, "--state", state, "--auto-approve", token=scim_server.token)
    assert r.exit_code == 1 and "the plan's refresh is not what the targets need now" in r.output, r.output
    held = {u["id"]: u for u in scim_server.users()}
    assert held[stranger["id"]]["active"] is True and held[ids["staff-0"]]["displayName"] == "Hand Edit"

    a = cli("apply", saved, "--state", state, "--auto-approve", token=scim_server.token)
    assert a.exit_code == 0, a.output
    held = {u["id"]: u for u in scim_server.users()}
    assert held[ids["staff-0"]]["displayName"] == "Staff Member0" and held[stranger["id"]]["active"] is True


def test_a_refresh_of_an_org_without_scim_targets_says_so(make_org, tmp_path):
    org = make_org()
    p = cli("plan", org, "--state", f"sqlite:///{tmp_path}/s.db", "--today", TODAY, "--refresh")
    assert p.exit_code == 0, p.output
    assert p.output.rstrip().endswith("Targets read just now (--refresh):\n\n  none: this org has no SCIM target to read")


def test_a_refused_refresh_after_the_plans_changes_were_committed_still_delivers_and_anchors_them(
        scim_server, tmp_path):
    import json

    from provisioner.plan.planfile import checksum, dumps

    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=2)
    assert apply(org, state, scim_server.token).exit_code == 0
    stranger = direct_create(scim_server, {"userName": "breakglass@agency.example", "active": True})
    text = (org / "org.yaml").read_text()
    (org / "org.yaml").write_text(text.replace("name: Staff Member1\n", "name: Staff Renamed\n"))
    saved = tmp_path / "refresh.json"
    assert cli("plan", org, "--state", state, "--today", TODAY, "--refresh", "--out", saved,
               token=scim_server.token).exit_code == 0
    doc = json.loads(saved.read_text())
    doc["refresh"]["idp"]["entries"].append(
        {"target": "idp", "key": f"unmanaged.{stranger['id']}", "object": "user", "action": "deactivate",
         "remote_id": stranger["id"], "login": "breakglass@agency.example", "version": None, "reason": "routine"})
    doc["checksum"] = checksum(doc)
    saved.write_text(dumps(doc))
    r = cli("apply", saved, "--state", state, "--auto-approve", token=scim_server.token)
    assert r.exit_code == 1 and "its refresh was not" in r.output and "Anchored in" in r.output, r.output
    held = {u["id"]: u for u in scim_server.users()}
    assert held[stranger["id"]]["active"] is True
    assert any(u.get("displayName") == "Staff Renamed" for u in held.values())  # the plan's own change delivered
    assert cli("state", "verify", org, "--state", state).exit_code == 0
