"""`provisioner adopt` against real SCIM servers: accounts made by hand before the
provisioner took over are linked to the configured people (by externalId, then by
normalised e-mail) without creating anything; the plan then has no changes, and no
person ever gets a second account."""

from __future__ import annotations

import json

from .harness.direct import direct_create
from .scimorg import TODAY, apply, cli, outbox, sync, write_org


def adopt(org, state, token, *extra):
    return cli("adopt", "idp", "--org", org, "--state", state, "--today", TODAY, *extra, token=token)


def test_adopt_links_existing_accounts_and_never_creates_a_second_one(scim_server, tmp_path):
    made = {
        "dr-0": direct_create(scim_server, {"userName": "dr0@scim.example", "externalId": "dr-0", "active": True}),
        "staff-0": direct_create(scim_server, {"userName": "Staff0@SCIM.example", "active": True}),  # case variant
        "staff-1": direct_create(scim_server, {"userName": "s.one@scim.example", "active": True,
                                               "emails": [{"value": "staff1@scim.example"}]}),
    }
    twin_a = direct_create(scim_server, {"userName": "staff2@scim.example", "active": True})
    twin_b = direct_create(scim_server, {"userName": "staff2.old@scim.example", "active": False,
                                         "emails": [{"value": "STAFF2@scim.example"}]})
    stranger = direct_create(scim_server, {"userName": "temp@agency.example", "active": True})
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=4)
    dry = adopt(org, state, scim_server.token, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    doc = json.loads(dry.stdout)
    assert doc["counts"] == {"linked": 0, "matched": 4, "disputed": 1, "unmatched": 1}
    assert doc["missing"] == ["person.staff-3"]
    situations = {a["remote_id"]: (a["situation"], a["key"]) for a in doc["accounts_by_situation"]}
    assert situations[made["staff-0"]["id"]] == ("matched", "person.staff-0")
    assert situations[twin_a["id"]] == ("matched", "person.staff-2")  # it holds the login: the one
    assert situations[twin_b["id"]][0] == "disputed"  # an old account sharing only the e-mail
    assert situations[stranger["id"]] == ("unmatched", None)
    assert outbox(state)[1] == {}  # a dry run records nothing

    r = adopt(org, state, scim_server.token)
    assert r.exit_code == 0, r.output
    assert "Linked 4 accounts" in r.output and "disputed" in r.output
    _, shadows = outbox(state)
    made["staff-2"] = twin_a
    assert {k: s.remote_id for k, s in shadows.items()} == {f"person.{k}": u["id"] for k, u in made.items()}
    plan = cli("plan", org, "--state", state, "--today", TODAY, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output  # the state holds the config now
    count = len(scim_server.users())
    s = sync(org, state, scim_server.token)
    users = scim_server.users()
    assert len(users) == count + 1, [u["userName"] for u in users]  # only staff-3, who had no account
    held = {u["id"]: u for u in users}
    for key, u in made.items():
        assert held[u["id"]]["externalId"] == key  # the adopted account, brought up to date
    assert held[stranger["id"]]["userName"] == "temp@agency.example"
    assert s.exit_code == 0, s.output
    assert held[twin_b["id"]]["active"] is False and "externalId" not in held[twin_b["id"]]  # disputed: untouched
    again = adopt(org, state, scim_server.token, "--format", "json")
    assert json.loads(again.stdout)["counts"]["linked"] == 5
