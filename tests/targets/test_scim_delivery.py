"""Apply provisions a real SCIM server (scim2-server and scimmy, each in turn): users once,
with our extension when the server declares it, deactivation by PATCH (never DELETE,
LIFE001), TYPE002 replacement, groups, secrets only from the environment."""

from __future__ import annotations

from .harness import EXTENSION_URN
from .scimorg import apply, outbox, sync, write_org


def by_external(users):
    out = {}
    for u in users:
        out.setdefault(u.get("externalId"), []).append(u)
    return out


def converged(server, state, expected: dict[str, bool]) -> None:
    """Each expected externalId exists exactly once with that `active`; the state's shadows
    name exactly those server ids; nothing is still owed."""
    users = by_external(server.users())
    assert {k: len(v) for k, v in users.items()} == {k: 1 for k in expected}, users.keys()
    assert {k: users[k][0]["active"] for k in expected} == expected
    ops, shadows = outbox(state)
    held = {s.key.split(".", 1)[1]: s.remote_id for s in shadows.values() if s.key.startswith(("person.", "profile."))}
    assert held == {k: users[k][0]["id"] for k in expected}
    assert [op.id for op in ops if op.status == "pending"] == []


def test_apply_creates_each_person_once_with_the_extension(scim_server, tmp_path):
    org = write_org(tmp_path / "org", scim_server.base_url, staff=3)
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    assert "idp: 4 delivered" in r.output and "Delivered: every target" in r.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True, "staff-1": True, "staff-2": True})
    doctor = by_external(scim_server.users())["dr-0"][0]
    assert doctor["userName"] == "dr0@scim.example"
    assert doctor[EXTENSION_URN]["accountType"] == "physician_staff"
    assert doctor[EXTENSION_URN]["offices"] == ["east"]
    assert doctor[EXTENSION_URN]["npi"] == "1000000008" or len(doctor[EXTENSION_URN]["npi"]) == 10
    again = apply(org, state, scim_server.token)
    assert again.exit_code == 0 and "No changes" in again.output
    assert len(scim_server.users()) == 4


def test_deactivation_is_a_patch_to_active_false_never_a_delete(scim_server, tmp_path, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    state = f"sqlite:///{tmp_path}/state.db"
    assert apply(write_org(tmp_path / "org", proxy.base_url), state, scim_server.token).exit_code == 0
    r = apply(write_org(tmp_path / "org", proxy.base_url, inactive={"staff-1"}), state, scim_server.token)
    assert r.exit_code == 0, r.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True, "staff-1": False, "staff-2": True,
                                   "staff-3": True})
    assert proxy.count("DELETE") == 0
    assert proxy.count("PATCH") == 1


def test_a_server_without_our_extension_gets_the_core_user_and_the_report_says_what_it_cannot_hold(
        scim_server_no_extension, tmp_path):
    server = scim_server_no_extension
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(write_org(tmp_path / "org", server.base_url, staff=1), state, server.token)
    assert r.exit_code == 0, r.output
    assert "cannot hold" in r.output and "accountType" in r.output and "npi" in r.output
    users = server.users()
    assert sorted(u["externalId"] for u in users) == ["dr-0", "staff-0"]
    assert all(EXTENSION_URN not in u for u in users)


def test_a_missing_token_is_an_error_at_apply_and_the_operations_stay_owed(scim_server, tmp_path):
    org = write_org(tmp_path / "org", scim_server.base_url, staff=1)
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(org, state, None)
    assert r.exit_code == 3, r.output
    assert "TEST_SCIM_TOKEN" in r.output and "not set" in r.output
    assert scim_server.users() == []
    ops, _ = outbox(state)
    assert sorted(op.status for op in ops) == ["pending", "pending"]
    s = sync(org, state, scim_server.token)
    assert s.exit_code == 0, s.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True})


def test_a_replaced_emr_profile_is_a_new_user_and_the_old_one_deactivated_with_its_marked_email(
        scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    kw = dict(staff=0, receives=("emr_profiles",))
    assert apply(write_org(tmp_path / "org", scim_server.base_url, **kw), state, scim_server.token).exit_code == 0
    r = apply(write_org(tmp_path / "org", scim_server.base_url, user_type="OT", **kw), state, scim_server.token)
    assert r.exit_code == 0, r.output
    users = by_external(scim_server.users())
    assert sorted(users) == ["dr-0-emr", "dr-0-emr~2"]
    new, old = users["dr-0-emr"][0], users["dr-0-emr~2"][0]
    assert (new["userName"], new["active"], new[EXTENSION_URN]["userType"]) == ("dr0.emr@scim.example", True, "OT")
    assert (old["userName"], old["active"], old[EXTENSION_URN]["userType"]) == ("x-dr0.emr@scim.example", False, "PT")


def test_offices_become_groups_with_their_members(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(write_org(tmp_path / "org", scim_server.base_url, staff=2, groups=True), state, scim_server.token)
    assert r.exit_code == 0, r.output
    groups = scim_server.groups()
    assert [g["displayName"] for g in groups] == ["East Clinic"]
    ids = {u["id"] for u in scim_server.users()}
    assert {m["value"] for m in groups[0]["members"]} == ids
    r = apply(write_org(tmp_path / "org", scim_server.base_url, staff=2, groups=True, inactive={"staff-0"}),
              state, scim_server.token)
    assert r.exit_code == 0, r.output
    left = {u["id"] for u in scim_server.users() if u["externalId"] != "staff-0"}
    assert {m["value"] for m in scim_server.groups()[0]["members"]} == left


def test_the_next_plan_says_which_attributes_a_target_without_the_extension_cannot_hold(
        scim_server_no_extension, tmp_path):
    from .scimorg import TODAY, cli

    server = scim_server_no_extension
    state = f"sqlite:///{tmp_path}/state.db"
    assert apply(write_org(tmp_path / "org", server.base_url, staff=1), state, server.token).exit_code == 0
    p = cli("plan", write_org(tmp_path / "org", server.base_url, staff=2), "--state", state, "--today", TODAY)
    assert p.exit_code == 0, p.output
    assert "idp (scim): 1 user to create" in p.output
    assert "idp cannot hold (no extension schema there): accountType" in p.output


def test_a_right_taken_away_in_the_config_is_taken_away_at_the_target(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=1,
                    receives=("referral_accounts", "front_office_roles"))
    people = org / "org.yaml"
    people.write_text(people.read_text().replace("account_type: office_staff\n",
                                                 "account_type: office_staff\nfront_office: scheduler\n"))
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    ext = by_external(scim_server.users())["staff-0"][0][EXTENSION_URN]
    assert ext.get("frontOfficeRole") == "scheduler"
    people.write_text(people.read_text().replace("front_office: scheduler\n", ""))
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    ext = by_external(scim_server.users())["staff-0"][0].get(EXTENSION_URN, {})
    assert "frontOfficeRole" not in ext


def test_delivery_results_are_audited_and_the_state_still_verifies(scim_server, tmp_path):
    from .scimorg import cli

    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=2)
    assert apply(org, state, scim_server.token).exit_code == 0
    assert apply(write_org(tmp_path / "org", scim_server.base_url, staff=2, inactive={"staff-1"}), state,
                 scim_server.token).exit_code == 0
    v = cli("state", "verify", org, "--state", state)
    assert v.exit_code == 0, v.output
    from provisioner.state import open_state

    backend = open_state(None, state, create=False)
    rows = [r for r in backend.audit() if r.action.startswith("deliver:")]
    backend.close()
    owed = [r for r in rows if r.action == "deliver:owed"]  # each apply's operations, owed in its transaction
    assert [(r.address, r.after["operations"]) for r in owed] == [("outbox", 3), ("outbox", 1)]
    reached = [r for r in rows if r.action == "deliver:reached"]  # the url and token it was first reached with
    assert [(r.address, r.after["info"]["url"]) for r in reached] == [("target.idp", scim_server.base_url)]
    rows = [r for r in rows if r not in owed and r not in reached]
    assert [(r.address, r.action, r.after["target"]) for r in rows][-1] == ("person.staff-1", "deliver:delivered", "idp")
    assert len(rows) == 4


def test_a_renamed_person_keeps_their_account_at_the_target(scim_server, tmp_path, fault_proxy):
    """ID001: `previously:` moves the account to a new id. At the target the same account is
    moved (its externalId and attributes patched), never deactivated and created again,
    which would lock the person out (the new account's login is held by the old one)."""
    proxy = fault_proxy(scim_server.base_url)
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", proxy.base_url, staff=2)
    assert apply(org, state, scim_server.token).exit_code == 0
    before = by_external(scim_server.users())["staff-1"][0]
    posts, deletes = proxy.count("POST"), proxy.count("DELETE")
    text = (org / "org.yaml").read_text(encoding="utf-8")
    (org / "org.yaml").write_text(text.replace("id: staff-1\nname: Staff Member1\n",
                                               "id: staff-one\npreviously: staff-1\nname: Staff Member1\n"),
                                  encoding="utf-8")
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    assert "idp (scim): 1 user to move" in r.output, r.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True, "staff-one": True})
    after = by_external(scim_server.users())["staff-one"][0]
    assert after["id"] == before["id"] and after["userName"] == before["userName"] and after["active"] is True
    assert (proxy.count("POST"), proxy.count("DELETE")) == (posts, deletes)  # no account made or removed
    ops, _ = outbox(state)
    moved = [op for op in ops if op.action == "move"]
    assert [(op.key, op.takes_over, op.status) for op in moved] == [("person.staff-one", "person.staff-1", "delivered")]


def test_a_target_url_changed_in_the_config_is_named_by_the_plan(scim_server, tmp_path):
    """The token goes where the url says: a plan with nothing else to do still names the
    change of a target's url and token_env since it was last reached."""
    from .scimorg import cli

    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=1)
    assert apply(org, state, scim_server.token).exit_code == 0
    targets = org / "targets.yaml"
    targets.write_text(targets.read_text().replace(scim_server.base_url, "https://elsewhere.example/v2")
                       .replace("token_env: TEST_SCIM_TOKEN", "token_env: OTHER_TOKEN"))
    p = cli("plan", org, "--state", state, "--today", "2026-11-23")
    assert p.exit_code == 0, p.output
    assert "No changes." in p.output and "Targets changed in the config:" in p.output
    assert f"idp: url changes from {scim_server.base_url} to https://elsewhere.example/v2" in p.output
    assert "idp: token_env changes from TEST_SCIM_TOKEN to OTHER_TOKEN" in p.output


def test_a_rename_not_yet_delivered_then_a_deactivation_deactivates_the_one_account(scim_server, tmp_path,
                                                                                   fault_proxy):
    """The target was down when the rename was applied (the move still owed); the person then
    leaves. What supersedes the move goes on taking over the old account: it is deactivated,
    never left active beside a second one."""
    from .harness import Fault

    proxy = fault_proxy(scim_server.base_url)
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", proxy.base_url, staff=2)
    assert apply(org, state, scim_server.token).exit_code == 0
    account = by_external(scim_server.users())["staff-1"][0]["id"]
    text = (org / "org.yaml").read_text(encoding="utf-8")
    renamed = text.replace("id: staff-1\nname: Staff Member1\n", "id: staff-one\npreviously: staff-1\nname: Staff Member1\n")
    (org / "org.yaml").write_text(renamed, encoding="utf-8")
    proxy.add(Fault(path=r".*", times=None, status=503))
    assert apply(org, state, scim_server.token, "--today", "2026-11-23").exit_code == 3
    proxy.clear()
    (org / "org.yaml").write_text(renamed.replace("id: staff-one\npreviously: staff-1\nname: Staff Member1\nemail: "
                                                  "staff1@scim.example\nstatus: active",
                                                  "id: staff-one\npreviously: staff-1\nname: Staff Member1\nemail: "
                                                  "staff1@scim.example\nstatus: inactive"), encoding="utf-8")
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    users = by_external(scim_server.users())
    assert "staff-1" not in users and [u["id"] for u in users["staff-one"]] == [account]
    assert users["staff-one"][0]["active"] is False


def test_an_operation_changed_in_the_outbox_by_hand_is_never_sent(scim_server, tmp_path):
    """The outbox is in the audit log (outboxcheck.py): a pending create pointed at another
    login in the database is found by verification, and sync sends nothing."""
    import sqlite3

    org = write_org(tmp_path / "org", scim_server.base_url, staff=1)
    state = f"sqlite:///{tmp_path}/state.db"
    assert apply(org, state, None).exit_code == 3  # no token: both creates stay owed
    db = sqlite3.connect(tmp_path / "state.db")
    with db:
        db.execute("UPDATE operations SET payload = replace(payload, 'staff0@scim.example', 'ceo@scim.example')")
    db.close()
    s = sync(org, state, scim_server.token)
    assert s.exit_code == 1, s.output
    assert "fails verification" in s.output and "differ from what was owed (edited)" in s.output
    assert scim_server.users() == []
