"""The SQLite backend: migrations, URLs, reading and writing, state commands."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.clihelp import plan_and_apply, run
from provisioner.state import Resource, Write, sqlite_path, state_url
from provisioner.state.actor import resolve_actor
from provisioner.state.migrations import LATEST, MIGRATIONS
from provisioner.state.sqlite import SQLiteBackend


def test_migrations_run_in_order_once(tmp_path):
    b = SQLiteBackend(tmp_path / "s.db")
    versions = [r[0] for r in b._conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [m[0] for m in MIGRATIONS] and b.schema_version() == LATEST
    b.close()
    again = SQLiteBackend(tmp_path / "s.db")  # re-opening runs nothing twice
    assert again._conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    again.close()


def test_first_write_makes_lineage_and_bumps_serial(tmp_path):
    b = SQLiteBackend(tmp_path / "s.db")
    assert b.read().lineage is None and b.read().serial == 0
    r = Resource("office.a", "office", {"name": "A"}, "active")
    snap = b.apply([Write("office.a", r, "create", None, {"name": "A"})], expect=(None, 0), actor="t",
                   plan_digest="d", at=dt.datetime(2026, 1, 1))
    assert snap.serial == 1 and snap.lineage and snap.resources["office.a"] == r
    snap2 = b.apply([Write("office.a", None, "delete", {"name": "A"}, None)], expect=(snap.lineage, 1),
                    actor="t", plan_digest="d2", at=dt.datetime(2026, 1, 2))
    assert snap2.serial == 2 and snap2.lineage == snap.lineage and not snap2.resources
    assert b.verify() == []
    b.close()


def test_state_url_precedence(tmp_path, monkeypatch):
    assert state_url("org1", cwd=tmp_path) == f"sqlite:///{tmp_path / '.provisioner' / 'org1.db'}"
    monkeypatch.setenv("PROVISIONER_STATE", "sqlite:///from-env.db")
    assert state_url("org1") == "sqlite:///from-env.db"
    assert state_url("org1", "sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    assert str(sqlite_path("sqlite:////abs/x.db")) == "/abs/x.db"
    assert str(sqlite_path("sqlite:///rel/x.db")) == "rel/x.db"


def test_actor_resolution_order(monkeypatch):
    assert resolve_actor("given", environ={"GITHUB_ACTOR": "ci"}) == "given"
    assert resolve_actor(None, environ={"GITHUB_ACTOR": "ci-bot"}) == "ci-bot"
    assert resolve_actor(None, environ={}) != ""


def test_state_list_and_show(org_folder, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    listed = run("state", "list", "testorg", "--state", state_url, "--kind", "person")
    assert listed.exit_code == 0
    lines = [l for l in listed.stdout.splitlines() if l]
    assert lines[0] == "person.ann\tactive" and len(lines) == 8
    by_dir = run("state", "list", org_folder, "--state", state_url)
    assert "membership.hal@west\tactive" in by_dir.stdout
    shown = run("state", "show", "person.ann", "--state", state_url)
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert data["attributes"]["email"] == "ann@test.example" and data["status"] == "active"
    missing = run("state", "show", "person.nobody", "--state", state_url)
    assert missing.exit_code == 1 and "no resource" in missing.output


def test_state_commands_use_the_default_location(org_folder, tmp_path):
    assert run("apply", org_folder, "--today", "2026-03-01", "--auto-approve").exit_code == 0
    r = run("state", "list", org_folder)
    assert r.exit_code == 0 and "office.east\tactive" in r.stdout
    assert run("state", "verify", "testorg").exit_code == 0
    assert run("state", "show", "office.east").exit_code == 0  # the only database in .provisioner/


def test_state_commands_without_a_database_fail_cleanly(isolated):
    r = run("state", "list", "nosuchorg")
    assert r.exit_code == 1 and "no state database" in r.output and "Traceback" not in r.output


def test_state_list_with_an_unknown_kind_is_a_usage_error(org_folder, sqlite_url, tmp_path):
    plan_and_apply(org_folder, sqlite_url, tmp_path / "p.json")
    r = run("state", "list", "testorg", "--state", sqlite_url, "--kind", "persons")
    assert r.exit_code == 2 and "'persons' is not one of" in r.output and "person" in r.output


@pytest.mark.parametrize("flush_every", [1, 10_000])
def test_an_address_written_twice_in_one_apply_is_replaced(tmp_path, monkeypatch, flush_every):
    """A creation skips the DELETE only where the state held no row and nothing in this
    apply wrote the address before: a person moved away and another created at the old
    address, or an address created twice, in the same bulk write or a later one (one write
    per bulk write here), still ends as the last write says, and the state verifies."""
    from provisioner.plan.changes import resource_dict as d
    from provisioner.state import sqlstore

    monkeypatch.setattr(sqlstore, "FLUSH_EVERY", flush_every)
    b = SQLiteBackend(tmp_path / "s.db")
    ann = Resource("person.x", "person", {"name": "Ann"}, "active")
    first = b.apply([Write("person.x", ann, "create", None, d(ann))], expect=(None, 0), actor="t",
                    plan_digest="d", at=dt.datetime(2026, 1, 1))
    moved = Resource("person.y", "person", {"name": "Ann"}, "active")
    bea = Resource("person.x", "person", {"name": "Bea"}, "active")
    cy = Resource("person.z", "person", {"name": "Cy"}, "active")
    cy_again = Resource("person.z", "person", {"name": "Cy", "title": "RN"}, "active")
    after = b.apply([Write("person.x", None, "move", d(ann), {"moved_to": "person.y"}),
                     Write("person.y", moved, "move", d(ann), d(moved)),
                     Write("person.x", bea, "create", None, d(bea)),
                     Write("person.z", cy, "create", None, d(cy)),
                     Write("person.z", cy_again, "create", None, d(cy_again))],
                    expect=(first.lineage, 1), actor="t", plan_digest="d2", at=dt.datetime(2026, 1, 2))
    assert after.resources == {"person.x": bea, "person.y": moved, "person.z": cy_again}
    assert len(b.audit()) == 6 and b.verify() == []
    b.close()


def test_a_creation_where_the_state_holds_a_row_is_refused_with_what_to_do(tmp_path):
    """A creation skips its DELETE where the plan found no row; if the database holds one
    all the same (edited outside the provisioner, verification skipped), the apply is
    refused with a StateError that says so, and nothing of it is kept."""
    from provisioner.plan.changes import resource_dict as d
    from provisioner.state import StateError

    b = SQLiteBackend(tmp_path / "s.db")
    ann = Resource("person.x", "person", {"name": "Ann"}, "active")
    first = b.apply([Write("person.x", ann, "create", None, d(ann))], expect=(None, 0), actor="t",
                    plan_digest="d", at=dt.datetime(2026, 1, 1))
    bea = Resource("person.x", "person", {"name": "Bea"}, "active")
    with pytest.raises(StateError, match=r"already holds a resource .*run `provisioner state verify`"):
        b.apply([Write("person.x", bea, "create", None, d(bea))], expect=(first.lineage, 1), actor="t",
                plan_digest="d2", at=dt.datetime(2026, 1, 2))
    after = b.read()
    assert (after.serial, after.resources["person.x"].attributes) == (1, {"name": "Ann"})
    assert len(b.audit()) == 1 and b.verify() == [] and b.lock_info() is None
    b.close()
