"""Applies against both backends under stress: eight processes applying the same plan (one
writes), the applying process killed with SIGKILL mid-transaction (the state is as before
and the lock is free), and, on PostgreSQL, the server restarted mid-apply (a clear error,
nothing half-written, a re-apply converges)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.clihelp import plan, run, snapshot
from tests.orgbuilder import edit, write_org
from tests.plan_fixtures import audit_count, several_changes

from provisioner.plan import read_plan
from provisioner.state.sqlstore import SQLStore

EXE = Path(sys.executable).parent / "provisioner"




def test_eight_apply_processes_exactly_one_writes(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [subprocess.Popen([str(EXE), "apply", str(out), "--state", state_url, "--actor", f"p{i}",
                               "--lock-timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=tmp_path) for i in range(8)]
    results = [(p.wait(timeout=120), p.stdout.read() + p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0] + [1] * 7, results
    for code, text in results:
        assert "Traceback" not in text
        if code:
            assert "stale plan" in text, text  # each waited for the lock, then saw the new serial
    assert snapshot(state_url).serial == 1
    assert audit_count(state_url) == len(read_plan(out)["changes"])
    assert run("state", "verify", "--state", state_url).exit_code == 0


# Applies the plan, stopping for good half-way through the transaction: says so, then sleeps.
_STALLING_APPLY = textwrap.dedent("""
    import sys, time
    from provisioner.state.sqlstore import SQLStore
    from provisioner.cli import main
    real, count = SQLStore._write_resource, [0]
    def stalling(self, write, serial):
        count[0] += 1
        if count[0] == 3:
            print("MID-TRANSACTION", flush=True)
            time.sleep(600)
        return real(self, write, serial)
    SQLStore._write_resource = stalling
    main(["apply", sys.argv[1], "--state", sys.argv[2], "--actor", "doomed"])
""")


def test_kill_9_mid_transaction_leaves_the_state_as_before_and_the_lock_free(org_folder, org_docs, state_url,
                                                                                tmp_path):
    first = tmp_path / "p1.json"
    assert plan(org_folder, state_url, out=first).exit_code == 0
    assert run("apply", first, "--state", state_url).exit_code == 0
    before, audit_before = snapshot(state_url), audit_count(state_url)
    docs = several_changes(edit(org_docs))
    write_org(org_folder, docs)
    out = tmp_path / "p2.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    proc = subprocess.Popen([sys.executable, "-c", _STALLING_APPLY, str(out), state_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"}, cwd=tmp_path)
    try:
        line = ""
        while "MID-TRANSACTION" not in line:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(state_url) == before and audit_count(state_url) == audit_before
    again = run("apply", out, "--state", state_url, "--lock-timeout", "10")  # the dead holder's lock is gone
    assert again.exit_code == 0, again.output
    assert snapshot(state_url).resources["office.west"].attributes["name"] == "Renamed"
    assert run("state", "verify", "--state", state_url).exit_code == 0


def test_server_restart_mid_apply_is_a_clear_error_and_a_reapply_converges(org_folder, org_docs, pg_url,
                                                                            pg_cluster, tmp_path, monkeypatch):
    first = tmp_path / "p1.json"
    assert plan(org_folder, pg_url, out=first).exit_code == 0
    assert run("apply", first, "--state", pg_url).exit_code == 0
    before, audit_before = snapshot(pg_url), audit_count(pg_url)
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    docs["person/hal"]["name"] = "Hal Renamed"
    write_org(org_folder, docs)
    out = tmp_path / "p2.json"
    assert plan(org_folder, pg_url, out=out).exit_code == 0
    real, count = SQLStore._write_resource, [0]

    def restarting(self, write, serial):
        count[0] += 1
        if count[0] == 2:
            pg_cluster.restart()  # every connection drops, the open transaction with them
        return real(self, write, serial)

    monkeypatch.setattr(SQLStore, "_write_resource", restarting)
    r = run("apply", out, "--state", pg_url)
    monkeypatch.setattr(SQLStore, "_write_resource", real)
    assert r.exit_code == 1 and r.exception is None or isinstance(r.exception, SystemExit)
    assert "lost the connection to the PostgreSQL state" in r.output and "nothing of it was written" in r.output
    assert "Traceback" not in r.output
    assert snapshot(pg_url) == before and audit_count(pg_url) == audit_before
    again = run("apply", out, "--state", pg_url)
    assert again.exit_code == 0, again.output
    assert snapshot(pg_url).serial == before.serial + 1
    assert run("state", "verify", "--state", pg_url).exit_code == 0
