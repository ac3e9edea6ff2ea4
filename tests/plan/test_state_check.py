"""A large state is verified in a child process while plan and apply read it and plan
(plan/statecheck.py): every outcome (exit code, output, what the database holds after) is
the one verifying first in the caller gives, a state failing verification is refused with
the same message whatever the work beside it met, and a child that dies or is interrupted
changes nothing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time

import pytest

from provisioner.plan import statecheck
from provisioner.plan.statecheck import StateCheck, check_state
from provisioner.state import StateError, open_state, sqlite_path
from tests.clihelp import TODAY, plan_and_apply, run
from tests.orgbuilder import write_org
from tests.plan_fixtures import several_changes
from tests.statesql import execute

HERE, BESIDE = 1 << 60, 0  # BESIDE_FROM: never, always


def first_resource(state_url) -> str:
    return execute(state_url, "SELECT address FROM resources ORDER BY address")[0]["address"]


# Each edits an applied state as someone with the database but not the key or the anchor would.
TAMPERINGS = {
    "intact": None,
    "resource edited": lambda url: execute(url, "UPDATE resources SET status = 'inactive' WHERE address = ?",
                                           first_resource(url)),
    "audit row edited": lambda url: execute(url, "UPDATE audit SET actor = 'mallory' WHERE seq = 2"),
    # planning itself fails on this one (the text is no JSON object): verification still speaks first
    "resource text damaged": lambda url: execute(url, "UPDATE resources SET attributes = '[1, 2' WHERE address = ?",
                                                 first_resource(url)),
    "resource deleted": lambda url: execute(url, "DELETE FROM resources WHERE address = ?", first_resource(url)),
}


def _applied(org_folder, state_url, tmp_path, org_docs):
    """An applied state and a saved plan of further changes, made before any tampering."""
    plan_and_apply(org_folder, state_url, tmp_path / "first.json")
    write_org(org_folder, several_changes(org_docs))
    r = run("plan", org_folder, "--state", state_url, "--today", TODAY, "--out", tmp_path / "next.json")
    assert r.exit_code == 0, r.output
    return org_folder, state_url, tmp_path / "next.json"


@pytest.fixture
def applied(org_folder, state_url, tmp_path, org_docs):
    """On each backend."""
    return _applied(org_folder, state_url, tmp_path, org_docs)


@pytest.fixture
def applied_file(org_folder, sqlite_url, tmp_path, org_docs):
    """On SQLite, whose database file is compared byte for byte (PostgreSQL: the test of the child above)."""
    return _applied(org_folder, sqlite_url, tmp_path, org_docs)


def problems_found(state_url, org_folder, beside_from, monkeypatch, writing=False):
    monkeypatch.setattr(statecheck, "BESIDE_FROM", beside_from)
    backend = open_state("testorg", state_url)
    try:
        check = StateCheck(backend, org_folder, writing=writing)  # here: refused at once
        assert check.beside is (beside_from == BESIDE)
        return check.warnings()
    except StateError as exc:
        return str(exc)
    finally:
        backend.close()


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_the_child_finds_what_the_caller_finds(applied, monkeypatch, tampering):
    """On both backends: the child's connection of its own sees what the caller's does."""
    org_folder, state_url, _ = applied
    if TAMPERINGS[tampering]:
        TAMPERINGS[tampering](state_url)
    here = problems_found(state_url, org_folder, HERE, monkeypatch)
    assert problems_found(state_url, org_folder, BESIDE, monkeypatch) == here
    if tampering == "intact":
        assert isinstance(here, list)
    else:
        assert isinstance(here, str) and "fails verification" in here


def _outcome(command: list, state_url, org_folder, saved: dict[str, bytes]) -> tuple:
    """Run `command` from the saved files (state database, anchor) and return what it did."""
    for path, data in saved.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    r = run(*command)
    after = {p: open(p, "rb").read() for p in saved}
    return r.exit_code, _STAMPED.sub(r"\1…", r.output), after


# An apply's audit head hashes the second it ran in: two runs may be a second apart.
_STAMPED = re.compile(r"(Audit head: commit \d+ \(its sha256 )[0-9a-f]{64}")


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
@pytest.mark.parametrize("command", ["plan", "apply saved plan", "apply"])
def test_plan_and_apply_do_the_same_with_the_check_beside(applied_file, monkeypatch, tampering, command):
    org_folder, state_url, saved_plan = applied_file
    if TAMPERINGS[tampering]:
        TAMPERINGS[tampering](state_url)
    anchor = org_folder / ".audit" / "state-anchor.json"
    saved = {str(sqlite_path(state_url)): sqlite_path(state_url).read_bytes(), str(anchor): anchor.read_bytes()}
    args = {"plan": ["plan", org_folder, "--state", state_url, "--today", TODAY],
            "apply saved plan": ["apply", saved_plan, "--state", state_url, "--today", TODAY, "--actor", "ci"],
            "apply": ["apply", org_folder, "--auto-approve", "--state", state_url, "--today", TODAY,
                      "--actor", "ci"]}[command]
    outcomes = {}
    for name, beside_from in (("here", HERE), ("beside", BESIDE)):
        monkeypatch.setattr(statecheck, "BESIDE_FROM", beside_from)
        outcomes[name] = _outcome(args, state_url, org_folder, saved)
    code, output, after = outcomes["here"]
    assert outcomes["beside"][:2] == (code, output)
    if tampering == "intact":
        assert code == 0, output
        if command != "plan":
            assert after[str(sqlite_path(state_url))] != saved[str(sqlite_path(state_url))]  # applied
    else:
        assert code == 1 and "fails verification" in output, output
        assert "Traceback" not in output
        assert after == saved  # nothing written
    if command == "plan" or tampering != "intact":  # an apply stamps its time: the bytes differ run to run
        assert outcomes["beside"][2] == after


def test_a_child_that_dies_leaves_the_caller_to_verify(applied, monkeypatch):
    org_folder, state_url, _ = applied
    TAMPERINGS["resource edited"](state_url)
    expected = problems_found(state_url, org_folder, HERE, monkeypatch)

    def killed(*_):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(statecheck, "_problems_opened", killed)
    assert problems_found(state_url, org_folder, BESIDE, monkeypatch) == expected


@pytest.mark.parametrize("beside_from", [HERE, BESIDE], ids=["here", "beside"])
def test_verification_speaks_before_what_the_work_met(applied, monkeypatch, beside_from):
    """The work's own error stands only when the state passes verification."""
    org_folder, state_url, _ = applied
    monkeypatch.setattr(statecheck, "BESIDE_FROM", beside_from)
    backend = open_state("testorg", state_url)
    try:
        with pytest.raises(KeyError, match="the work's own"):
            with StateCheck(backend, org_folder, writing=False).around():
                raise KeyError("the work's own")
        TAMPERINGS["audit row edited"](state_url)
        with pytest.raises(StateError, match="fails verification: audit row 2"):
            check = StateCheck(backend, org_folder, writing=False)
            with check.around():
                raise KeyError("the work's own")
    finally:
        backend.close()


def test_an_interrupt_stops_the_child_at_once(applied, monkeypatch):
    org_folder, state_url, _ = applied
    monkeypatch.setattr(statecheck, "BESIDE_FROM", BESIDE)
    monkeypatch.setattr(statecheck, "_problems_opened", lambda *_: time.sleep(60))
    backend = open_state("testorg", state_url)
    try:
        check = StateCheck(backend, org_folder)
        pid = check._beside.pid
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            with check.around():
                raise KeyboardInterrupt
        assert time.monotonic() - started < 10
        with pytest.raises(ProcessLookupError):  # killed and reaped: no such process, not a zombie
            os.kill(pid, 0)
    finally:
        backend.close()


def test_a_small_state_is_verified_in_the_caller_before_any_work(applied, monkeypatch):
    """Below BESIDE_FROM audit rows nothing is forked, and a failing state is refused at once."""
    org_folder, state_url, _ = applied
    monkeypatch.setattr(statecheck, "BESIDE_FROM", 10_000)
    TAMPERINGS["resource deleted"](state_url)
    backend = open_state("testorg", state_url)
    try:
        assert backend.size_hint() < 10_000
        with pytest.raises(StateError, match="fails verification") as refused:
            StateCheck(backend, org_folder)
        with pytest.raises(StateError) as again:
            check_state(backend, org_folder)
        assert str(refused.value) == str(again.value)
    finally:
        backend.close()


def test_size_hint_counts_the_audit_rows(applied):
    _, state_url, _ = applied
    rows = execute(state_url, "SELECT COUNT(*) AS n FROM audit")[0]["n"]
    backend = open_state("testorg", state_url)
    try:
        assert backend.size_hint() == rows > 0
    finally:
        backend.close()


def test_the_anchor_is_read_by_the_child(applied, monkeypatch, tmp_path):
    """An anchor recording another lineage (the database replaced) is found beside as here."""
    org_folder, state_url, _ = applied
    anchor = org_folder / ".audit" / "state-anchor.json"
    shutil.copy(anchor, tmp_path / "anchor.bak")
    text = anchor.read_text()
    lineage = execute(state_url, "SELECT value FROM meta WHERE key = 'lineage'")[0]["value"]
    anchor.write_text(text.replace(lineage, "00000000-0000-0000-0000-000000000000"))
    here = problems_found(state_url, org_folder, HERE, monkeypatch)
    assert "the database was replaced" in here
    assert problems_found(state_url, org_folder, BESIDE, monkeypatch) == here


def _children() -> set[int]:
    """This process's child processes, zombies included."""
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                out.add(int(entry))
    return out


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_child_forked_early_finds_what_the_caller_finds(applied, monkeypatch, tampering):
    """plan and apply fork the child before they read the org (early_child), and tell it
    which state to verify once they know."""
    org_folder, state_url, _ = applied
    if TAMPERINGS[tampering]:
        TAMPERINGS[tampering](state_url)
    here = problems_found(state_url, org_folder, HERE, monkeypatch)
    monkeypatch.setattr(statecheck, "BESIDE_FROM", BESIDE)
    with statecheck.early_child() as early:
        child = early._beside
        backend = open_state("testorg", state_url)
        try:
            check = StateCheck(backend, org_folder, writing=False, early=early)
            assert check._beside is child
            found = check.warnings()
        except StateError as exc:
            found = str(exc)
        finally:
            backend.close()
    assert found == here


def _checked_early(state_url, org_folder, between=None):
    """StateCheck with the early child started on the state before the config is read
    (`EarlyChild.start`, as plan and apply do when --state names it); `between` runs after
    the start. (whether the early child's answer was used, what the check found)"""
    with statecheck.early_child() as early:
        child = early._beside
        early.start(state_url, org_folder)
        started = early._sent is not None
        if between:
            between()
        backend = open_state("testorg", state_url)
        try:
            check = StateCheck(backend, org_folder, writing=False, early=early)
            used = started and check._beside is child
            try:
                return used, check.warnings()
            except StateError as exc:
                return used, str(exc)
        finally:
            backend.close()


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_state_verified_while_the_config_is_read_finds_what_the_caller_finds(applied, monkeypatch, tampering,
                                                                              state_url):
    """On SQLite the state named by --state is verified from the start; on PostgreSQL (no
    way to tell that nothing was committed meanwhile) it is sent once the config is read."""
    org_folder, state_url, _ = applied
    if TAMPERINGS[tampering]:
        TAMPERINGS[tampering](state_url)
    here = problems_found(state_url, org_folder, HERE, monkeypatch)
    monkeypatch.setattr(statecheck, "BESIDE_FROM", BESIDE)
    used, found = _checked_early(state_url, org_folder)
    assert found == here
    assert used is state_url.startswith("sqlite")


@pytest.mark.parametrize("tampering", [t for t in TAMPERINGS if TAMPERINGS[t]])
def test_a_state_tampered_with_after_the_early_start_is_still_refused(applied_file, monkeypatch, tampering):
    """The early answer (an intact state) is not used once anything was committed to the
    state since: the state is verified again, as it stands, and refused."""
    org_folder, state_url, _ = applied_file
    monkeypatch.setattr(statecheck, "BESIDE_FROM", BESIDE)
    used, found = _checked_early(state_url, org_folder, between=lambda: TAMPERINGS[tampering](state_url))
    assert not used
    assert isinstance(found, str) and "fails verification" in found
    monkeypatch.setattr(statecheck, "BESIDE_FROM", HERE)
    assert found == problems_found(state_url, org_folder, HERE, monkeypatch)


def test_a_state_file_replaced_after_the_early_start_is_still_refused(applied_file, monkeypatch, tmp_path):
    """Swapped for a tampered copy (os.replace: another inode, which the kept connection's
    data_version cannot see) while the config is read: verified again, and refused."""
    org_folder, state_url, _ = applied_file
    path = sqlite_path(state_url)
    copy = tmp_path / "tampered.db"
    shutil.copy(path, copy)
    TAMPERINGS["resource edited"](f"sqlite:///{copy}")
    monkeypatch.setattr(statecheck, "BESIDE_FROM", BESIDE)
    used, found = _checked_early(state_url, org_folder, between=lambda: os.replace(copy, path))
    assert not used
    assert isinstance(found, str) and "fails verification" in found


def test_a_state_unchanged_since_the_early_start_takes_its_answer(applied_file, monkeypatch):
    org_folder, state_url, _ = applied_file
    monkeypatch.setattr(statecheck, "BESIDE_FROM", BESIDE)
    assert _checked_early(state_url, org_folder) == (True, [])


@pytest.mark.parametrize("beside_from", [HERE, BESIDE], ids=["here", "beside"])
@pytest.mark.parametrize("command", ["plan", "apply saved plan", "validate fails", "rules fail"])
def test_no_child_is_left_behind(applied_file, monkeypatch, beside_from, command, tmp_path):
    """Used or not, refused or not, the early child is gone when the command returns."""
    from provisioner import pipeline

    org_folder, state_url, saved_plan = applied_file
    monkeypatch.setattr(statecheck, "BESIDE_FROM", beside_from)
    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", beside_from)
    if command == "validate fails":
        (org_folder / "broken.yaml").write_text("kind: Person\nid: [\n")
    if command == "rules fail":  # found by the rules (beside, with the state verified beside meanwhile)
        from tests.orgbuilder import edit, small_org

        docs = edit(small_org())
        del docs["person/ann"]["npi"]
        write_org(org_folder, docs)
    args = {"plan": ["plan", org_folder, "--state", state_url, "--today", TODAY],
            "validate fails": ["plan", org_folder, "--state", state_url, "--today", TODAY],
            "rules fail": ["plan", org_folder, "--state", state_url, "--today", TODAY],
            "apply saved plan": ["apply", saved_plan, "--state", state_url, "--today", TODAY, "--actor", "ci"]}
    before = _children()
    r = run(*args[command])
    assert r.exit_code == (1 if command in ("validate fails", "rules fail") else 0), r.output
    assert _children() - before == set()


def test_only_a_current_sqlite_state_is_opened_before_the_config_is_read(applied_file, tmp_path):
    """Opening an older state migrates it: a write a config with errors must not cause, so
    such a state waits for the config (asked read-only, nothing written)."""
    _, state_url, _ = applied_file
    path = sqlite_path(state_url)
    assert statecheck._current(state_url)
    before = path.read_bytes()
    older = tmp_path / "older.db"
    shutil.copy(path, older)
    execute(f"sqlite:///{older}", "DELETE FROM schema_version WHERE version = (SELECT MAX(version) FROM schema_version)")
    assert not statecheck._current(f"sqlite:///{older}")
    (tmp_path / "not-a-db").write_text("hello")
    assert not statecheck._current(f"sqlite:///{tmp_path / 'not-a-db'}")
    assert not statecheck._current(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not statecheck._current("postgresql://localhost/x")
    assert path.read_bytes() == before
