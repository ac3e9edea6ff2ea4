"""The auditor's commands on a state that fails verification (an audit row's actor forged in
the database): the reports that attest rights refuse it, as plan and apply do; `log` shows
the rows, flagged, and exits 1; `confirm` records nothing in it."""

from __future__ import annotations

import sqlite3

from .conftest import apply, cli


def _forge(state: str) -> None:
    db = sqlite3.connect(state.removeprefix("sqlite:///"))
    db.execute("UPDATE audit SET actor = 'ceo@forged.example' WHERE seq = 5")
    db.commit()
    db.close()


def _commits(state: str) -> int:
    db = sqlite3.connect(state.removeprefix("sqlite:///"))
    try:
        return db.execute("SELECT COUNT(*) FROM commits").fetchone()[0]
    finally:
        db.close()


def test_reports_refuse_a_state_that_fails_verification_and_log_flags_it(small, tmp_path):
    folder, _, state = small
    apply(folder, state)
    person = "eve"
    assert cli("access", folder, person, "--state", state, "--no-git").exit_code == 0
    _forge(state)
    for args in (("access", folder, person), ("who-can", folder, "client_admin"), ("report", "html", folder, "--out", tmp_path / "r.html"),
                 ("report", "terminations", folder)):
        r = cli(*args, "--state", state, *(("--no-git",) if args[0] != "report" else ()))
        assert r.exit_code == 1, (args, r.output)
        assert "fails verification" in r.output and "audit row 5" in r.output, (args, r.output)
        assert "ceo@forged.example" not in r.output
    assert not (tmp_path / "r.html").exists()

    log = cli("log", "--state", state, "--per-page", "10")
    assert log.exit_code == 1
    assert "ceo@forged.example" in log.stdout  # shown: the investigation starts here
    assert "warning: " in log.stderr and "audit row 5" in log.stderr
    assert "fails verification" in log.stderr


def test_confirm_records_nothing_in_a_state_that_fails_verification(small):
    folder, _, state = small
    apply(folder, state)
    pending = cli("pending", "--state", state, "--format", "json")
    assert pending.exit_code == 2, pending.output
    _forge(state)
    before = _commits(state)
    r = cli("confirm", "emr", "1.1", "--org", folder, "--state", state)
    assert r.exit_code == 1 and "fails verification" in r.output, r.output
    assert _commits(state) == before


def test_confirm_with_the_org_folder_records_the_new_head_in_its_anchor(small):
    folder, _, state = small
    apply(folder, state)
    ops = cli("pending", "--state", state, "--format", "json")
    first = ops.stdout.split('"id": "', 1)[1].split('"', 1)[0]
    target = ops.stdout.split('"target": "', 1)[1].split('"', 1)[0]
    r = cli("confirm", target, first, "--org", folder, "--state", state)
    assert r.exit_code == 0, r.output
    assert "Anchored in" in r.output
    verify = cli("state", "verify", folder, "--state", state)
    assert verify.exit_code == 0 and "not in the anchor" not in verify.output, verify.output
