"""`provisioner drift` against real SCIM servers: edits made at the server behind the
provisioner's back are reported exactly (changed, deactivated, re-activated, vanished,
unmanaged), with Terraform-style exit codes; an unreachable target is an error, named."""

from __future__ import annotations

import json

from .harness import EXTENSION_URN
from .harness.direct import direct_create, direct_patch
from .scimorg import apply, cli, write_org


def ids_by_external(server):
    return {u.get("externalId"): u["id"] for u in server.users()}


def drift(org, state, token, *extra):
    return cli("drift", "--org", org, "--state", state, *extra, token=token)


def test_no_drift_right_after_apply_then_exactly_the_edits_made_at_the_server(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    assert apply(write_org(tmp_path / "org", scim_server.base_url, staff=4), state, scim_server.token).exit_code == 0
    org = write_org(tmp_path / "org", scim_server.base_url, staff=4, inactive={"staff-3"})
    assert apply(org, state, scim_server.token).exit_code == 0
    clean = drift(org, state, scim_server.token)
    assert clean.exit_code == 0, clean.output
    assert "idp: no drift (5 owned objects compared" in clean.output
    ids = ids_by_external(scim_server)
    direct_patch(scim_server, ids["staff-0"], [{"op": "replace", "path": "displayName", "value": "Someone Else"}])
    direct_patch(scim_server, ids["dr-0"], [{"op": "replace", "path": f"{EXTENSION_URN}:offices",
                                             "value": ["east", "west"]}])
    direct_patch(scim_server, ids["staff-1"], [{"op": "replace", "path": "active", "value": False}])
    direct_patch(scim_server, ids["staff-3"], [{"op": "replace", "path": "active", "value": True}])
    assert scim_server.client().delete(f"/Users/{ids['staff-2']}").status_code == 204
    stranger = direct_create(scim_server, {"userName": "stranger@scim.example", "active": True})
    r = drift(org, state, scim_server.token, "--format", "json")
    assert r.exit_code == 2, r.output
    found = {(f["kind"], f["key"] or f["remote_id"], tuple(f["attributes"]))
             for t in json.loads(r.stdout)["targets"] for f in t["findings"]}
    assert found == {
        ("changed", "person.staff-0", ("displayName",)),
        ("changed", "person.dr-0", ("offices",)),
        ("deactivated", "person.staff-1", ("active",)),
        ("reactivated", "person.staff-3", ("active",)),
        ("vanished", "person.staff-2", ()),
        ("unmanaged", stranger["id"], ()),
    }
    text = drift(org, state, scim_server.token)
    assert text.exit_code == 2
    assert "person.staff-0 (staff0@scim.example): changed at idp: displayName" in text.output
    assert f"unmanaged user {stranger['id']} (stranger@scim.example) at idp" in text.output
    gh = drift(org, state, scim_server.token, "--format", "github")
    assert gh.output.count("::warning title=drift idp") == 6
    md = drift(org, state, scim_server.token, "--format", "markdown")
    assert "| deactivated | person.staff-1 | staff1@scim.example | active |" in md.output


def test_an_unreachable_target_is_an_error_named_exit_1(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=1)
    assert apply(org, state, scim_server.token).exit_code == 0
    write_org(tmp_path / "org", "http://127.0.0.1:9/v2", staff=1, timeout=1)
    r = drift(org, state, scim_server.token)
    assert r.exit_code == 1, r.output
    assert "idp: error: target idp (http://127.0.0.1:9/v2) cannot be reached" in r.output
    missing = drift(org, state, None)
    assert missing.exit_code == 1 and "TEST_SCIM_TOKEN" in missing.output


def test_a_merged_attribute_is_left_to_the_target_and_never_drift(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=1, extra="merge: [displayName, name]\n")
    assert apply(org, state, scim_server.token).exit_code == 0
    ids = ids_by_external(scim_server)
    direct_patch(scim_server, ids["staff-0"], [{"op": "replace", "path": "displayName", "value": "Chosen There"}])
    assert drift(org, state, scim_server.token).exit_code == 0
    people = org / "org.yaml"
    people.write_text(people.read_text().replace("name: Staff Member0", "name: Staff Renamed0")
                      .replace("email: staff0@scim.example", "email: staff0.new@scim.example"))
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    held = {u["externalId"]: u for u in scim_server.users()}["staff-0"]
    assert held["displayName"] == "Chosen There"  # merged: ours only at creation
    assert held["userName"] == "staff0.new@scim.example"  # authoritative


def test_a_group_edited_at_the_server_is_drift(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=2, groups=True)
    assert apply(org, state, scim_server.token).exit_code == 0
    assert drift(org, state, scim_server.token).exit_code == 0
    (group,) = scim_server.groups()
    direct_patch(scim_server, group["id"], [{"op": "replace", "path": "displayName", "value": "Renamed"}],
                 endpoint="/Groups")
    r = drift(org, state, scim_server.token, "--format", "json")
    assert r.exit_code == 2, r.output
    (finding,) = [f for t in json.loads(r.stdout)["targets"] for f in t["findings"]]
    assert (finding["kind"], finding["object"], finding["key"], finding["attributes"]) == (
        "changed", "group", "office.east", ["displayName"])
