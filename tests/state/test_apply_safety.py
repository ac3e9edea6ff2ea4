"""Applies are atomic and exclusive: a failure half-way leaves the state as it was, two
concurrent applies never both run, and a held lock is reported with its holder."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading

import pytest

from tests.clihelp import plan, plan_and_apply, run, snapshot
from tests.orgbuilder import edit, write_org
from tests.plan_fixtures import audit_count, several_changes

from provisioner.plan import apply_document, read_plan
from provisioner.state import LockTimeout, StaleState, open_state
from provisioner.state.sqlite import SQLiteBackend
from provisioner.state.sqlstore import SQLStore




def test_exception_mid_apply_leaves_state_exactly_as_before(org_folder, org_docs, state_url, tmp_path, monkeypatch):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    before = snapshot(state_url)
    audit_before = audit_count(state_url)
    docs = several_changes(edit(org_docs))
    write_org(org_folder, docs)
    out = tmp_path / "p2.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    assert len(read_plan(out)["changes"]) >= 4

    real = SQLStore._write_resource
    calls = {"n": 0}

    def failing(self, write, serial):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(self, write, serial)

    monkeypatch.setattr(SQLStore, "_write_resource", failing)
    r = run("apply", out, "--state", state_url)
    assert r.exit_code != 0
    assert calls["n"] == 3
    monkeypatch.setattr(SQLStore, "_write_resource", real)
    after = snapshot(state_url)
    assert after == before
    assert audit_count(state_url) == audit_before
    # The lock was released and the same plan still applies.
    ok = run("apply", out, "--state", state_url)
    assert ok.exit_code == 0, ok.output
    assert snapshot(state_url).resources["office.west"].attributes["name"] == "Renamed"


def test_two_concurrent_applies_never_both_run(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    document = read_plan(out)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def worker(name):
        backend = open_state("testorg", state_url)
        try:
            barrier.wait()
            results.append(apply_document(document, backend, actor=name, lock_timeout=5,
                                          today=dt.date(2026, 3, 1)))
        except (StaleState, LockTimeout) as exc:
            results.append(exc)
        finally:
            backend.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(applied) == 1 and len(refused) == 1
    assert isinstance(refused[0], StaleState)  # it waited for the lock, then saw the new serial
    assert snapshot(state_url).serial == 1
    assert audit_count(state_url) == len(document["changes"])


def test_lock_timeout_names_the_holder(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    holder = open_state("testorg", state_url)
    try:
        with holder.lock("alice@ops.example", timeout=1):
            r = run("apply", out, "--state", state_url, "--lock-timeout", "0.3")
            assert r.exit_code == 1
            assert "alice@ops.example" in r.output and "pid" in r.output and "0.3s" in r.output
    finally:
        holder.close()
    assert snapshot(state_url).serial == 0
    assert run("apply", out, "--state", state_url).exit_code == 0


def test_lock_held_by_a_dead_process_is_taken_over(tmp_path):
    b = SQLiteBackend(tmp_path / "s.db")
    b._conn.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, 't', 'ghost', ?, ?, 'x')",
                    (2 ** 22 + 12345, __import__("socket").gethostname()))
    with b.lock("me", timeout=0):
        assert b.lock_info().holder == "me"
    assert b.lock_info() is None
    b.close()


def test_a_lock_whose_pid_was_reused_by_a_later_process_is_taken_over(tmp_path):
    """The pid in the lock row is alive, but that process started after the lock was taken
    (pid reuse: a `sleep`, or pid 1 in a container): it holds no lock, so the lock is stale."""
    import subprocess

    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        b = SQLiteBackend(tmp_path / "s.db")
        b._conn.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, 't', 'ci-runner', ?, ?, "
                        "'2026-01-01T00:00:00+00:00')", (sleeper.pid, __import__("socket").gethostname()))
        with b.lock("me", timeout=0):
            assert b.lock_info().holder == "me"
        assert b.lock_info() is None
        b._conn.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, 't', 'me-now', ?, ?, "
                        "?)", (os.getpid(), __import__("socket").gethostname(),
                               dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
        with pytest.raises(LockTimeout):  # a live holder that started before its lock still holds it
            with b.lock("other", timeout=0):
                pass
        b.close()
    finally:
        sleeper.kill()
        sleeper.wait()


def _holding_the_lock_file(db) -> "subprocess.Popen":
    """Another process holding the database's lock file (flock) until its stdin closes: a live
    apply whose pid this process cannot see (another container, another pid namespace)."""
    import subprocess
    import sys

    from provisioner.state.sqlite import lock_file

    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()", str(lock_file(db))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def _row(b, token: str, pid: int, since: str | None = None) -> None:
    since = since or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    b._conn.execute("INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES (1, ?, 'ci-job-1', ?, ?, ?)",
                    (token, pid, __import__("socket").gethostname(), since))


def _file_token(db) -> str:
    """The token a holder of `db`'s lock file writes: the file's device and inode, then its own."""
    from provisioner.state.sqlite import FILE_LOCKED, lock_file

    path = lock_file(db)
    path.touch()
    info = os.stat(path)
    return f"{FILE_LOCKED}{info.st_dev:x}:{info.st_ino:x}:t"


def test_a_live_holder_whose_pid_is_not_seen_here_keeps_its_lock(tmp_path):
    """Two containers on one host name sharing a state file: the holder's pid means nothing in
    the other's pid namespace, but the file lock it holds does, so the row is not taken over
    and `state unlock` refuses to break it while it runs."""
    from provisioner.state import StateError

    b = SQLiteBackend(tmp_path / "s.db")
    holder = _holding_the_lock_file(tmp_path / "s.db")
    try:
        _row(b, _file_token(tmp_path / "s.db"), 2 ** 22 + 12345)  # a pid that does not run here
        with pytest.raises(LockTimeout, match="locked by ci-job-1"):
            with b.lock("ci-job-2", timeout=0.2):
                pass
        with pytest.raises(StateError, match="still running"):
            b.break_lock("ci-job-1", "ops", dt.datetime(2026, 11, 24))
    finally:
        holder.stdin.close()
        holder.wait()
    with b.lock("ci-job-2", timeout=0):  # its process ended, and the kernel let go of its file lock
        assert b.lock_info().holder == "ci-job-2"
    assert b.lock_info() is None
    b.close()


def test_a_row_written_under_the_file_lock_is_stale_once_the_file_lock_is_free(tmp_path):
    """The file lock, not the pid, tells: a pid alive since before the lock (reused, or seen
    from another pid namespace) holds nothing once its lock file is free. Every path to the
    database (a symlink, a relative path) shares one lock file."""
    b = SQLiteBackend(tmp_path / "s.db")
    _row(b, _file_token(tmp_path / "s.db"), os.getpid())
    with b.lock("me", timeout=0):
        assert b.lock_info().holder == "me"
        assert b.lock_info().token.startswith(_file_token(tmp_path / "s.db")[:-1])  # flock:<device>:<inode>:
        (tmp_path / "link.db").symlink_to(tmp_path / "s.db")
        for path in (tmp_path / "s.db", tmp_path / "link.db", os.path.relpath(tmp_path / "s.db")):
            other = SQLiteBackend(path)
            with pytest.raises(LockTimeout):
                with other.lock("other", timeout=0):
                    pass
            other.close()
    assert b.lock_info() is None
    b.close()


def test_a_row_naming_another_lock_file_is_not_taken_over(tmp_path):
    """A holder that locked another file (the database reached through a hard link or a
    bind-mounted file, or the lock file replaced since) is not known to be gone: its row is
    kept, and `state unlock` judges it by its pid."""
    from provisioner.state.sqlite import FILE_LOCKED, lock_file

    b = SQLiteBackend(tmp_path / "s.db")
    _row(b, f"{FILE_LOCKED}1:2:t", 2 ** 22 + 12345)
    with pytest.raises(LockTimeout, match="locked by ci-job-1"):
        with b.lock("ci-job-2", timeout=0):
            pass
    b.break_lock("ci-job-1", "ops", dt.datetime(2026, 11, 24))  # its pid is dead here: stale
    with b.lock("ci-job-2", timeout=0):
        assert b.lock_info().holder == "ci-job-2"
    # a live holder's lock file removed: a new one is made, but the row names the one still held
    holder = _holding_the_lock_file(tmp_path / "s.db")
    try:
        _row(b, _file_token(tmp_path / "s.db"), 2 ** 22 + 12345)
        lock_file(tmp_path / "s.db").unlink()
        with pytest.raises(LockTimeout, match="locked by ci-job-1"):
            with b.lock("ci-job-2", timeout=0):
                pass
        assert lock_file(tmp_path / "s.db").exists()  # the new file, whose flock was free
    finally:
        holder.stdin.close()
        holder.wait()
    b.close()


@pytest.mark.parametrize("planted", ["directory", "symlink", "hard link to the database"])
def test_a_lock_file_that_is_not_a_plain_file_of_its_own_is_refused(tmp_path, planted):
    """Never a silent fall back to the pid: that would let a holder in another pid namespace
    be taken over. A hard link to the database itself is refused before it is opened (closing
    it would drop SQLite's locks)."""
    from provisioner.state import StateError
    from provisioner.state.sqlite import lock_file

    b = SQLiteBackend(tmp_path / "s.db")
    where = lock_file(tmp_path / "s.db")
    if planted == "directory":
        where.mkdir()
    elif planted == "symlink":
        where.symlink_to(tmp_path / "elsewhere")
    else:
        os.link(tmp_path / "s.db", where)
    with pytest.raises(StateError, match="lock file"):
        with b.lock("me", timeout=0):
            pass
    assert b.lock_info() is None
    assert b.integrity() == []
    b.close()


def test_a_child_forked_while_the_lock_is_held_does_not_keep_it(tmp_path):
    """The lock ends with its holder: a child forked meanwhile closes its copy of the lock
    file, so one that outlives the apply keeps no lock."""
    b = SQLiteBackend(tmp_path / "s.db")
    with b.lock("me", timeout=0):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child waits until the parent has let go
            os.close(write)
            os.read(read, 1)
            os._exit(0)
        os.close(read)
    try:
        other = SQLiteBackend(tmp_path / "s.db")
        with other.lock("other", timeout=0):  # while the child still runs
            assert other.lock_info().holder == "other"
        other.close()
    finally:
        os.close(write)
        os.waitpid(pid, 0)
    b.close()


def test_stale_write_is_refused_inside_the_transaction(tmp_path):
    b = SQLiteBackend(tmp_path / "s.db")
    with pytest.raises(StaleState):
        b.apply([], expect=("some-lineage", 4), actor="x", plan_digest="d", at=dt.datetime(2026, 1, 1))
    assert b.read().serial == 0
    b.close()


def test_a_serial_without_a_lineage_is_named_for_what_it_is():
    """A plan edited to claim serial 5 of no lineage, against an empty state: stale, and the
    message does not call both sides "an empty state"."""
    message = str(StaleState((None, 5), (None, 0)))
    assert "serial 5 without a lineage" in message and "the plan was edited" in message
    assert "but the state is now empty (nothing applied yet)" in message
    assert str(StaleState((None, 0), ("L", 1))) == (
        "stale plan: it was made against an empty state (nothing applied yet), but the state is now at lineage L "
        "serial 1; run `provisioner plan` again")
    assert "made against the state at lineage L serial 1, but the state is now at lineage L serial 2;" in str(
        StaleState(("L", 1), ("L", 2)))


def test_audit_rows_record_actor_digest_before_and_after(org_folder, org_docs, state_url, tmp_path):
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["office/west"]["name"] = "Renamed"
    write_org(org_folder, docs)
    doc2 = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    b = open_state("testorg", state_url)
    rows = b.audit()
    b.close()
    assert rows[0].actor == "tester@test.example"
    assert rows[0].plan_digest == doc["checksum"]
    last = rows[-1]
    assert last.address == "office.west" and last.action == "update"
    assert last.plan_digest == doc2["checksum"]
    assert last.before["attributes"]["name"] == "West Clinic" and last.after["attributes"]["name"] == "Renamed"
    assert json.dumps(last.after)


def test_two_apply_processes_never_both_run(org_folder, state_url, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    exe = Path(sys.executable).parent / "provisioner"
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [subprocess.Popen([str(exe), "apply", str(out), "--state", state_url, "--actor", f"p{i}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for i in range(2)]
    results = [(p.wait(timeout=60), p.stdout.read() + p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(text for code, text in results if code == 1)
    assert "stale plan" in loser or "locked by" in loser
    assert "Traceback" not in loser
    assert snapshot(state_url).serial == 1
    assert audit_count(state_url) == len(read_plan(out)["changes"])


def test_an_apply_sent_in_parts_writes_what_one_part_writes(org_docs, state_url, tmp_path, monkeypatch):
    """FLUSH_EVERY: a large apply sends its rows in parts, within the one transaction; the
    state, the audit log and verification come out as when everything goes at once."""
    from provisioner.state import sqlstore

    def applied(parts: int | None, name: str) -> tuple:
        url = state_url if name == "parts" else f"sqlite:///{tmp_path / 'whole.db'}"
        folder = write_org(tmp_path / name, org_docs)  # each its own org folder (and anchor)
        with monkeypatch.context() as m:
            if parts:
                m.setattr(sqlstore, "FLUSH_EVERY", parts)
            plan_and_apply(folder, url, tmp_path / f"{name}-1.json")
            write_org(folder, several_changes(edit(org_docs)))
            plan_and_apply(folder, url, tmp_path / f"{name}-2.json")
        backend = open_state("testorg", url)
        try:
            rows = [(r.seq, r.address, r.action, r.before, r.after) for r in backend.audit()]
            return dict(backend.read().resources), rows, backend.verify()
        finally:
            backend.close()

    whole = applied(None, "whole")
    parts = applied(2, "parts")
    assert parts == whole
    assert not parts[2] and len(parts[1]) > 6  # verified, and more rows than one part holds


def test_a_failure_after_a_part_was_sent_leaves_the_state_as_before(org_folder, org_docs, state_url, tmp_path,
                                                                     monkeypatch):
    from provisioner.state import sqlstore

    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    before, audit_before = snapshot(state_url), audit_count(state_url)
    write_org(org_folder, several_changes(edit(org_docs)))
    out = tmp_path / "p2.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    real, calls = SQLStore._write_resource, {"n": 0}

    def failing(self, write, serial):
        calls["n"] += 1
        if calls["n"] == 4:  # after the first part of two was sent
            raise RuntimeError("disk on fire")
        return real(self, write, serial)

    monkeypatch.setattr(sqlstore, "FLUSH_EVERY", 2)
    monkeypatch.setattr(SQLStore, "_write_resource", failing)
    assert run("apply", out, "--state", state_url).exit_code != 0
    assert calls["n"] == 4
    assert snapshot(state_url) == before
    assert audit_count(state_url) == audit_before


def test_a_backend_that_never_awaits_the_comparison_is_reported(org_folder, state_url, tmp_path, monkeypatch):
    """Apply awaits the comparison of many re-derived changes with the saved plan in the
    store's transaction (`before_commit`); a backend that dropped the hook would commit an
    unchecked plan, so apply says so instead of completing quietly."""
    from provisioner.plan import apply as apply_module

    monkeypatch.setattr(apply_module, "SAME_BESIDE_FROM", 0)
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    real = SQLStore.apply
    monkeypatch.setattr(SQLStore, "apply", lambda self, writes, before_commit=None, **kw: real(self, writes, **kw))
    r = run("apply", out, "--state", state_url)
    assert r.exit_code == 1 and "committed without awaiting the comparison" in r.output, r.output
    assert "provisioner state verify" in r.output and "Traceback" not in r.output
