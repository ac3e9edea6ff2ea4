"""`provisioner state verify` detects an edited or deleted audit row, naming it."""

from __future__ import annotations

from tests.clihelp import plan_and_apply, run
from tests.statesql import execute


def test_intact_log_verifies(org_folder, state_url, tmp_path):
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 0
    assert f"intact: {len(doc['changes'])} rows" in r.output


def test_edited_row_is_named(org_folder, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    execute(state_url, "UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 1
    assert "audit row 3" in r.output and "edited" in r.output


def test_edited_row_with_recomputed_hash_breaks_the_next_link(org_folder, state_url, tmp_path):
    from provisioner.state.audit import row_content, row_hash

    plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    row = execute(state_url, "SELECT * FROM audit WHERE seq = 2")[0]
    row["after_json"] = row["after_json"].replace("active", "inactive")
    new_hash = row_hash(row["prev_hash"], row_content(2, row["at"], row["actor"], row["plan_digest"],
                                                       row["address"], row["action"], row["before_json"],
                                                       row["after_json"]))
    execute(state_url, "UPDATE audit SET after_json = ?, hash = ? WHERE seq = 2", row["after_json"], new_hash)
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 1
    assert "audit row 3: its link to the previous row is broken" in r.output


def test_deleted_row_is_named(org_folder, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    execute(state_url, "DELETE FROM audit WHERE seq = 5")
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 1
    assert "audit row 5 is missing" in r.output


def test_deleted_last_row_is_named(org_folder, state_url, tmp_path):
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    n = len(doc["changes"])
    execute(state_url, "DELETE FROM audit WHERE seq = ?", n)
    r = run("state", "verify", "--state", state_url)
    assert r.exit_code == 1
    assert f"audit rows {n}-{n} are missing" in r.output
