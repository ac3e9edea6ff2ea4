"""Files holding personal data are owner-only whatever the umask: the state database, the
folder made for it, SQLite's journal, and saved plans."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.clihelp import plan, run

from provisioner.state import open_state


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_state_folder_and_database_are_private(org_folder, tmp_path, open_umask):
    r = run("apply", org_folder, "--today", "2026-03-01", "--auto-approve")
    assert r.exit_code == 0, r.output
    folder = tmp_path / ".provisioner"
    assert _mode(folder) == 0o700
    assert {p.name: _mode(p) for p in folder.iterdir()} == {"testorg.db": 0o600, "testorg.db-lock": 0o600}


def test_journal_takes_the_database_mode(tmp_path, open_umask):
    backend = open_state(None, f"sqlite:///{tmp_path / 'state.db'}")
    conn = backend._conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
    journals = [p for p in tmp_path.iterdir() if p.name != "state.db"]
    modes = {p.name: _mode(p) for p in journals}
    conn.execute("ROLLBACK")
    backend.close()
    assert modes == {"state.db-journal": 0o600}
    assert _mode(tmp_path / "state.db") == 0o600


def test_saved_plan_and_its_folder_are_private(org_folder, sqlite_url, tmp_path, open_umask):
    out = tmp_path / "plans" / "next.json"
    assert plan(org_folder, sqlite_url, out=out).exit_code == 0
    assert _mode(out) == 0o600 and _mode(out.parent) == 0o700
    out.write_text("stale")
    os.chmod(out, 0o644)
    assert plan(org_folder, sqlite_url, out=out).exit_code == 0
    assert _mode(out) == 0o600  # replaced by a private file


def test_verify_warns_about_a_readable_database(org_folder, sqlite_url, tmp_path):
    from provisioner.state import sqlite_path

    assert run("apply", org_folder, "--state", sqlite_url, "--today", "2026-03-01", "--auto-approve").exit_code == 0
    os.chmod(sqlite_path(sqlite_url), 0o640)
    r = run("state", "verify", "--state", sqlite_url)
    assert r.exit_code == 0 and "readable by other users (mode 0640)" in r.output
