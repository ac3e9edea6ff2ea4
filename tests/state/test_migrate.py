"""`provisioner state migrate`: a state moves between backends with its history, proven by
a verify on both sides; a damaged source or a non-empty destination moves nothing."""

from __future__ import annotations

import shutil

from tests.clihelp import plan_and_apply, run, snapshot
from tests.orgbuilder import edit, write_org
from tests.statesql import execute

from provisioner.state import open_state


def _history(url):
    b = open_state("testorg", url)
    try:
        return b.audit(), b.commits()
    finally:
        b.close()


def test_sqlite_to_postgresql_and_back_keeps_the_history(org_folder, org_docs, sqlite_url, pg_url, tmp_path):
    plan_and_apply(org_folder, sqlite_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, sqlite_url, tmp_path / "p2.json")
    r = run("state", "migrate", "--from", sqlite_url, "--to", pg_url)
    assert r.exit_code == 0, r.output
    assert "Verified on both sides" in r.output and "serial 2" in r.output
    assert snapshot(pg_url) == snapshot(sqlite_url)
    assert _history(pg_url) == _history(sqlite_url)
    assert run("state", "verify", org_folder, "--state", pg_url).exit_code == 0  # the anchor still matches
    docs["office/west"]["name"] = "Renamed Again"
    write_org(org_folder, docs)
    plan_and_apply(org_folder, pg_url, tmp_path / "p3.json")  # the team carries on in PostgreSQL
    back = tmp_path / "state" / "back.db"
    r = run("state", "migrate", "--from", pg_url, "--to", f"sqlite:///{back}")
    assert r.exit_code == 0, r.output
    assert snapshot(f"sqlite:///{back}").serial == 3
    assert run("state", "verify", org_folder, "--state", f"sqlite:///{back}").exit_code == 0


def test_a_damaged_source_or_a_used_destination_moves_nothing(org_folder, sqlite_url, pg_url, tmp_path):
    other = shutil.copytree(org_folder, tmp_path / "org2")  # its own anchor
    plan_and_apply(org_folder, sqlite_url, tmp_path / "p1.json")
    plan_and_apply(other, pg_url, tmp_path / "p2.json")
    used = run("state", "migrate", "--from", sqlite_url, "--to", pg_url)
    assert used.exit_code == 1 and "already holds a state" in used.output
    fresh = pg_url.rsplit("/", 1)[0] + "/postgres"
    execute(sqlite_url, "UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    damaged = run("state", "migrate", "--from", sqlite_url, "--to", fresh)
    assert damaged.exit_code == 1 and "source state" in damaged.output and "nothing was migrated" in damaged.output
    assert run("state", "list", "testorg", "--state", fresh).exit_code == 1  # no state was created there
