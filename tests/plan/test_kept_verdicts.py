"""A state's verification verdict kept in the read cache (plan/verdicts.py, `plan --cache`):
taken only for the very bytes verified, with the same anchor, key and code; every outcome is
the one verifying gives; a state changed in any way, one kept beside a journal or in WAL
mode, and a PostgreSQL state are verified again; apply never takes a kept verdict."""

from __future__ import annotations

import hashlib
import sqlite3

import orjson
import pytest

from provisioner.plan import statecheck
from provisioner.plan.statecheck import check_state
from provisioner.readcache import ReadCache
from provisioner.state import StateError, open_state, sqlite_path
from provisioner.state.sqlite import SQLiteBackend
from tests.clihelp import TODAY, run
from tests.plan.test_state_check import BESIDE, HERE, TAMPERINGS, _applied


@pytest.fixture
def applied_file(org_folder, sqlite_url, tmp_path, org_docs):
    return _applied(org_folder, sqlite_url, tmp_path, org_docs)


def _entries(cache) -> list:
    return sorted(p for p in cache.rglob("*") if p.is_file() and len(p.name) == 64)


def _verdicts_kept(cache) -> list:
    """The entries that hold a verdict (a list of problems), not what was read of a file."""
    return [p for p in _entries(cache) if p.read_bytes().split(b"\n", 1)[1] in (b"[]",)
            or p.read_bytes().split(b"\n", 1)[1].startswith(b'[["')]


@pytest.fixture
def counted(monkeypatch):
    """How many times a state was verified (SQLite), in this process."""
    calls = []
    real = SQLiteBackend.integrity
    monkeypatch.setattr(SQLiteBackend, "integrity", lambda self, *a: calls.append(1) or real(self, *a))
    return calls


def _verdict(state_url, org_folder, cache=None):
    """What a plan's check of the state says: its warnings, or the refusal's message."""
    backend = open_state("testorg", state_url)
    try:
        return check_state(backend, org_folder, writing=False, cache=cache)
    except StateError as exc:
        return str(exc)
    finally:
        backend.close()


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_kept_verdict_is_the_verdict(applied_file, tmp_path, counted, tampering):
    org_folder, state_url, _ = applied_file
    if TAMPERINGS[tampering]:
        TAMPERINGS[tampering](state_url)
    uncached = _verdict(state_url, org_folder)
    cache = tmp_path / "cache"
    filling = _verdict(state_url, org_folder, ReadCache(cache))
    assert len(_entries(cache)) == 1
    counted.clear()
    taken = _verdict(state_url, org_folder, ReadCache(cache))
    assert counted == [], "the state was verified again"
    assert filling == taken == uncached
    assert (tampering == "intact") is isinstance(uncached, list)


@pytest.mark.parametrize("tampering", [t for t in TAMPERINGS if TAMPERINGS[t]])
def test_a_state_changed_after_its_verdict_was_kept_is_verified_again(applied_file, tmp_path, counted, tampering):
    org_folder, state_url, _ = applied_file
    cache = tmp_path / "cache"
    assert _verdict(state_url, org_folder, ReadCache(cache)) == []
    TAMPERINGS[tampering](state_url)
    counted.clear()
    refused = _verdict(state_url, org_folder, ReadCache(cache))
    assert counted == [1]
    assert "fails verification" in refused and refused == _verdict(state_url, org_folder)
    assert len(_entries(cache)) == 2  # the clean verdict stays, for those bytes alone


def test_another_anchor_or_audit_key_is_another_verdict(applied_file, tmp_path, counted, monkeypatch):
    org_folder, state_url, _ = applied_file
    cache = tmp_path / "cache"
    _verdict(state_url, org_folder, ReadCache(cache))
    anchor = org_folder / ".audit" / "state-anchor.json"
    kept = anchor.read_bytes()
    anchor.write_bytes(kept.replace(b'"serial": ', b'"serial": 9', 1))  # an anchor ahead of the state
    counted.clear()
    assert "fails verification" in _verdict(state_url, org_folder, ReadCache(cache))
    assert counted == [1]
    anchor.write_bytes(kept)
    monkeypatch.setenv("PROVISIONER_AUDIT_KEY", "a key set since")
    counted.clear()
    keyed = _verdict(state_url, org_folder, ReadCache(cache))
    assert counted == [1] and keyed == _verdict(state_url, org_folder)
    monkeypatch.delenv("PROVISIONER_AUDIT_KEY")
    counted.clear()
    assert _verdict(state_url, org_folder, ReadCache(cache)) == []
    assert counted == [], "the first verdict was not taken again"
    assert not any(b"a key set since" in p.read_bytes() for p in cache.rglob("*") if p.is_file())
    copy = tmp_path / "copy.db"
    copy.write_bytes(sqlite_path(state_url).read_bytes())
    counted.clear()
    assert _verdict(f"sqlite:///{copy}", org_folder, ReadCache(cache)) == []
    assert counted == [1], "a state elsewhere took this one's verdict"


@pytest.mark.parametrize("beside", ["journal", "wal"])
def test_a_state_not_whole_in_its_file_is_verified_and_nothing_kept(applied_file, tmp_path, counted, beside):
    org_folder, state_url, _ = applied_file
    path = sqlite_path(state_url)
    if beside == "journal":
        (path.parent / f"{path.name}-journal").write_bytes(b"")  # as a writer in the middle of a transaction
    else:
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode=WAL")  # its readers do not hold writers back
        connection.close()
    cache = tmp_path / "cache"
    for _ in range(2):
        assert _verdict(state_url, org_folder, ReadCache(cache)) == []
    assert counted == [1, 1]
    assert _entries(cache) == []


def test_no_commit_comes_between_the_bytes_hashed_and_the_rows_verified(applied_file, tmp_path, monkeypatch):
    """While the verdict is being made, a writer cannot commit (it waits for the read held)."""
    org_folder, state_url, _ = applied_file
    path = sqlite_path(state_url)
    tried = []
    real = SQLiteBackend.integrity

    def meanwhile(self, *args):
        writer = sqlite3.connect(path, timeout=0.05)
        try:
            writer.execute("UPDATE meta SET value = value WHERE key = 'serial'")
            writer.commit()
            tried.append("committed")
        except sqlite3.OperationalError as exc:
            tried.append(str(exc))
        finally:
            writer.close()
        return real(self, *args)

    monkeypatch.setattr(SQLiteBackend, "integrity", meanwhile)
    assert _verdict(state_url, org_folder, ReadCache(tmp_path / "cache")) == []
    assert tried == ["database is locked"]
    assert _verdict(state_url, org_folder) == []  # without the hold, the same write goes through
    assert tried[-1] == "committed"


@pytest.mark.parametrize("damage", ["not JSON", "not a list", "a problem of another shape"])
def test_a_damaged_verdict_is_a_miss(applied_file, tmp_path, counted, damage):
    org_folder, state_url, _ = applied_file
    TAMPERINGS["resource edited"](state_url)
    cache = tmp_path / "cache"
    refused = _verdict(state_url, org_folder, ReadCache(cache))
    (entry,) = _entries(cache)
    head, _, _ = entry.read_bytes().partition(b"\n")
    body = {"not JSON": b"[[", "not a list": b"{}", "a problem of another shape": b'[["m", 1, ""]]'}[damage]
    key, _, flag = head.split(b" ")
    entry.write_bytes(b"%s %s %s\n%s" % (key, hashlib.blake2b(body, digest_size=32).hexdigest().encode(), flag, body))
    counted.clear()
    assert _verdict(state_url, org_folder, ReadCache(cache)) == refused
    assert counted == [1]


def test_a_postgresql_state_is_always_verified(org_folder, pg_url, tmp_path, org_docs, monkeypatch):
    org_folder, state_url, _ = _applied(org_folder, pg_url, tmp_path, org_docs)
    cache = tmp_path / "cache"
    backend = open_state("testorg", state_url)
    calls = []
    real = backend.integrity
    monkeypatch.setattr(backend, "integrity", lambda *a: calls.append(1) or real(*a))
    try:
        for _ in range(2):
            assert check_state(backend, org_folder, writing=False, cache=ReadCache(cache)) == []
    finally:
        backend.close()
    assert calls == [1, 1] and _entries(cache) == []


def _forged_clean(cache) -> None:
    """The kept verdict of a refused state, rewritten to say the state is sound."""
    (entry,) = _verdicts_kept(cache)
    head, _, _ = entry.read_bytes().partition(b"\n")
    key, _, flag = head.split(b" ")
    body = orjson.dumps([])
    entry.write_bytes(b"%s %s %s\n%s" % (key, hashlib.blake2b(body, digest_size=32).hexdigest().encode(), flag, body))


@pytest.mark.parametrize("beside_from", [HERE, BESIDE], ids=["here", "beside"])
@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_plan_with_a_kept_verdict_says_what_plan_without_it_says(applied_file, tmp_path, monkeypatch, beside_from,
                                                                  tampering):
    org_folder, state_url, _ = applied_file
    monkeypatch.setattr(statecheck, "BESIDE_FROM", beside_from)
    if TAMPERINGS[tampering]:
        TAMPERINGS[tampering](state_url)
    args = ["plan", org_folder, "--state", state_url, "--today", TODAY]
    bare = run(*args)
    cache = tmp_path / "cache"
    outcomes = [run(*args, "--cache", cache) for _ in range(2)]
    for r in outcomes:
        assert (r.exit_code, r.stdout, r.stderr) == (bare.exit_code, bare.stdout, bare.stderr)
    assert (bare.exit_code == 0) is (tampering == "intact"), bare.output
    assert "Traceback" not in bare.output
    assert len(_verdicts_kept(cache)) == 1


def test_apply_never_takes_a_kept_verdict(applied_file, tmp_path, monkeypatch):
    """A verdict forged to call a tampered state sound misleads `plan --cache` (as a forged
    read-cache entry would); apply verifies the state itself and refuses it."""
    org_folder, state_url, saved_plan = applied_file
    TAMPERINGS["resource edited"](state_url)
    cache = tmp_path / "cache"
    args = ["plan", org_folder, "--state", state_url, "--today", TODAY, "--cache", cache]
    assert run(*args).exit_code == 1
    _forged_clean(cache)
    misled = run(*args)
    assert misled.exit_code == 0, misled.output  # the kept verdict was taken...
    monkeypatch.setenv("PROVISIONER_CACHE", str(cache))
    before = sqlite_path(state_url).read_bytes()
    for apply in (["apply", saved_plan], ["apply", org_folder, "--auto-approve"]):
        refused = run(*apply, "--state", state_url, "--today", TODAY, "--actor", "ci")
        assert refused.exit_code == 1 and "fails verification" in refused.output, refused.output  # ...never by apply
    assert sqlite_path(state_url).read_bytes() == before


def test_a_state_being_committed_to_is_verified_as_without_a_cache(applied_file, tmp_path, counted):
    """A writer in the middle of its commit holds the file: the verdict is neither taken nor
    kept, and the state is verified once the commit is done (waited for once, not twice)."""
    import threading
    import time

    org_folder, state_url, _ = applied_file
    cache = tmp_path / "cache"
    _verdict(state_url, org_folder, ReadCache(cache))
    backend = open_state("testorg", state_url)
    writer = sqlite3.connect(sqlite_path(state_url), isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN EXCLUSIVE")  # as a commit under way: no reader gets in
    release = threading.Timer(0.5, lambda: writer.execute("ROLLBACK"))
    counted.clear()
    started = time.monotonic()
    release.start()
    try:
        assert check_state(backend, org_folder, writing=False, cache=ReadCache(cache)) == []
    finally:
        release.join()
        writer.close()
        backend.close()
    assert counted == [1], "the kept verdict was taken while the file was being written"
    assert time.monotonic() - started < 20
    assert len(_verdicts_kept(cache)) == 1
