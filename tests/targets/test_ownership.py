"""Ownership: the provisioner changes and deactivates only accounts it created or adopted.
Accounts made at the server by someone else survive every apply and sync untouched,
asserted by reading them back from the server itself."""

from __future__ import annotations

from .harness.direct import direct_create
from .scimorg import apply, cli, sync, write_org


def _bare(user: dict) -> dict:
    return {k: v for k, v in user.items() if k != "meta"}


def test_unowned_accounts_survive_every_apply_untouched(scim_server, tmp_path):
    strangers = [
        direct_create(scim_server, {"userName": "contractor@elsewhere.example", "active": True,
                                    "displayName": "A Contractor"}),
        direct_create(scim_server, {"userName": "staff1@scim.example", "active": True,  # a configured login
                                    "displayName": "Hand Made", "emails": [{"value": "staff1@scim.example"}]}),
        direct_create(scim_server, {"userName": "old.admin@scim.example", "active": False}),
    ]
    before = {u["id"]: _bare(u) for u in scim_server.users()}
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", scim_server.base_url, staff=3)
    first = apply(org, state, scim_server.token)
    assert first.exit_code == 4, first.output  # staff-1's login is held by someone else: a conflict
    assert "held at idp by account id" in first.output
    for step in ({"inactive": {"staff-0"}}, {"inactive": {"staff-0", "staff-2"}}, {}):
        apply(write_org(tmp_path / "org", scim_server.base_url, staff=3, **step), state, scim_server.token)
    sync(org, state, scim_server.token, "--retry", "all")
    after = {u["id"]: _bare(u) for u in scim_server.users()}
    for s in strangers:
        assert after[s["id"]] == before[s["id"]], s["userName"]
    mine = [u for u in scim_server.users() if u["id"] not in before]
    assert sorted(u["externalId"] for u in mine) == ["dr-0", "staff-0", "staff-2"]
    d = cli("drift", "--org", org, "--state", state, token=scim_server.token)
    assert d.exit_code == 2
    assert d.output.count("unmanaged user") == 3
