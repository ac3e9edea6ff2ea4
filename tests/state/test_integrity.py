"""Verification beyond the audit rows: commit records, the meta table, resources against the
replay of the audit log, the anchor, the key, the org a state belongs to, and `state unlock`."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3

import pytest

from tests.clihelp import plan_and_apply, run
from tests.orgbuilder import edit, write_org

from provisioner.state import StateError, open_state, sqlite_path
from provisioner.state.anchor import anchor_path
from provisioner.state.sqlite import SQLiteBackend


from tests.statesql import execute as _sql


def test_every_apply_appends_one_commit_that_the_anchor_repeats(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    b = open_state("testorg", state_url)
    commits, head = b.commits(), b.head()
    assert b.integrity() == []
    b.close()
    assert [(c["seq"], c["serial"], c["event"], c["org"]) for c in commits] == [(1, 1, "apply", "testorg"),
                                                                                  (2, 2, "apply", "testorg")]
    anchor = json.loads(anchor_path(org_folder).read_text())
    assert anchor["org"] == "testorg" and list(anchor["states"].values()) == [head]
    r = run("state", "verify", org_folder, "--state", state_url)
    assert r.exit_code == 0 and "matches its anchor" in r.output


def test_a_state_from_before_commit_records_is_adopted(tmp_path):
    from provisioner.state import Resource, Write

    b = SQLiteBackend(tmp_path / "s.db")
    r = Resource("office.a", "office", {"name": "A"}, "active")
    b.apply([Write("office.a", r, "create", None, {"kind": "office", "status": "active", "attributes": {"name": "A"}})],
            expect=(None, 0), actor="t", plan_digest="d", at=dt.datetime(2026, 1, 1))
    b._conn.execute("DROP TABLE commits")
    b._conn.execute("DELETE FROM schema_version WHERE version >= 4")
    b.close()
    again = SQLiteBackend(tmp_path / "s.db")
    assert [c["event"] for c in again.commits()] == ["adopt"]
    assert again.integrity() == []
    again.close()


def test_deleting_every_commit_record_is_found(org_folder, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    _sql(state_url, "DELETE FROM commits")
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 1 and "no commit records (deleted)" in r.output


def test_a_state_records_its_org(org_folder, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    if state_url.startswith("postgresql://"):  # one database, a schema per org: another org's state is its own
        other = open_state("otherorg", state_url)
        assert other.read().serial == 0 and other.stored_org() is None
        other.close()
        assert open_state("testorg", state_url).read().serial == 1
        return
    with pytest.raises(StateError, match="belongs to org testorg, not otherorg"):
        open_state("otherorg", state_url)


def test_unlock_is_recorded_and_the_state_still_verifies(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    _sql(state_url, "INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, 't', 'ci@runner', 99, "
                    "'runner-9', '2026-01-01T00:00:00+00:00')")
    assert socket.gethostname() != "runner-9"
    r = run("state", "unlock", org_folder, "--state", state_url, "--holder", "ci@runner", "--actor",
            "ops@test.example")
    assert r.exit_code == 0, r.output
    assert "Anchored in" in r.output  # given the org folder, the new head is anchored
    v = run("state", "verify", org_folder, "--state", state_url)
    assert v.exit_code == 0 and "not in the anchor" not in v.output
    b = open_state("testorg", state_url)
    last = b.audit()[-1]
    assert (last.action, last.actor, last.before["holder"], last.before["host"]) == (
        "unlock", "ops@test.example", "ci@runner", "runner-9")
    assert b.lock_info() is None and b.integrity() == [] and b.commits()[-1]["event"] == "unlock"
    b.close()
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p2.json")  # applies after the unlock
    assert run("state", "verify", org_folder, "--state", state_url).exit_code == 0


def test_signed_commits_need_the_key(org_folder, org_docs, state_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PROVISIONER_AUDIT_KEY", "secret-1")
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    assert run("state", "verify", "--state", state_url).exit_code == 0
    monkeypatch.delenv("PROVISIONER_AUDIT_KEY")
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 0 and "signatures were not checked" in r.output
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    write_org(org_folder, docs)
    a = run("apply", org_folder, "--state", state_url, "--today", "2026-03-01", "--auto-approve")
    assert a.exit_code == 1 and "PROVISIONER_AUDIT_KEY" in a.output


def test_a_key_set_later_signs_from_the_next_apply(org_folder, org_docs, state_url, tmp_path, monkeypatch):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    monkeypatch.setenv("PROVISIONER_AUDIT_KEY", "secret-1")
    assert "no commit of this state is signed" in run("state", "verify", "--state", state_url).output
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    assert run("state", "verify", org_folder, "--state", state_url).exit_code == 0


def test_cancelled_apply_creates_no_state(org_folder, tmp_path, monkeypatch):
    from provisioner.cli import apply_cmd

    monkeypatch.setattr(apply_cmd, "stdin_is_terminal", lambda: True)
    r = run("apply", org_folder, "--today", "2026-03-01", input="n\n")
    assert r.exit_code == 1 and "cancelled" in r.output
    assert not (tmp_path / ".provisioner").exists()


def test_state_show_finds_the_only_state(org_folder, tmp_path):
    assert run("apply", org_folder, "--today", "2026-03-01", "--auto-approve").exit_code == 0
    r = run("state", "show", "person.ann")
    assert r.exit_code == 0 and json.loads(r.stdout)["address"] == "person.ann"


def test_replace_deactivate_delete_and_reactivate_all_verify(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["person/bob"]["profiles"][0]["user_type"] = "OT"  # replace in place: an archive row appears
    docs["person/dan"]["status"] = "inactive"
    docs["person/dan"]["referral_disposition"] = {"action": "reassign", "to": "ann"}
    docs["group/east-ortho"]["members"] = ["ann"]  # group membership deleted
    write_org(org_folder, docs)
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    assert {"replace", "deactivate", "delete"} <= {c["action"] for c in doc["changes"]}
    docs["person/dan"]["status"] = "active"
    write_org(org_folder, docs)
    third = plan_and_apply(org_folder, state_url, tmp_path / "p3.json")
    assert "reactivate" in {c["action"] for c in third["changes"]}
    r = run("state", "verify", org_folder, "--state", state_url)
    assert r.exit_code == 0, r.output
    _sql(state_url, "UPDATE resources SET status = 'active' WHERE address LIKE 'profile.bob-pt~%'")
    r = run("state", "verify", org_folder, "--state", state_url)
    assert r.exit_code == 1 and "profile.bob-pt~2: differs from the audit log in status (edited)" in r.output


def test_state_show_finds_the_state_holding_the_address(org_folder, org_docs, tmp_path):
    assert run("apply", org_folder, "--today", "2026-03-01", "--auto-approve").exit_code == 0
    other = edit(org_docs)
    other["org"]["id"] = "otherorg"
    other["person/zed"] = {"kind": "Person", "id": "zed", "name": "Zed", "email": "zed@test.example",
                           "account_type": "office_staff", "offices": ["north"]}
    write_org(tmp_path / "other", other)
    assert run("apply", tmp_path / "other", "--today", "2026-03-01", "--auto-approve").exit_code == 0
    r = run("state", "show", "person.zed")
    assert r.exit_code == 0 and json.loads(r.stdout)["attributes"]["email"] == "zed@test.example"
    both = run("state", "show", "person.ann")
    assert both.exit_code == 1 and "otherorg, testorg" in both.output and "--org" in both.output


def test_a_database_made_by_the_library_is_private(tmp_path):
    import os
    import stat

    old = os.umask(0)
    try:
        SQLiteBackend(tmp_path / "lib.db").close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "lib.db").stat().st_mode) == 0o600


def test_a_resource_whose_kind_is_not_its_addresses_is_found(tmp_path):
    """Planning takes a resource's kind from its row: a row (and its audit record) naming
    another kind than its address does is reported, not planned as that kind."""
    from provisioner.state import Resource, Write

    b = SQLiteBackend(tmp_path / "s.db")
    wrong = Resource("invitation.person.a", "person", {"name": "A"}, "active")
    b.apply([Write(wrong.address, wrong, "create", None,
                   {"kind": "person", "status": "active", "attributes": {"name": "A"}})],
            expect=(None, 0), actor="t", plan_digest="d", at=dt.datetime(2026, 1, 1))
    found = [p.message for p in b.integrity()]
    b.close()
    assert found == ["resource invitation.person.a: kind 'person' is not the kind its address names (edited)"]
