"""Fixtures for the auditor's reports: an example org copied into its own git repository
(a known author and subject), applied into a state of its own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli import main
from tests.exampleorgs import copy_example

ORGS = Path(__file__).resolve().parents[2] / "orgs"
TODAY = "2026-11-23"
AUTHOR = ("Ada Auditor", "ada@audit.example")
SUBJECT = "Riverside: initial access"
ACTOR = "release@ci.example"


def cli(*args, env: dict | None = None):
    return CliRunner().invoke(main, [str(a) for a in args],
                              env={"NO_COLOR": "1", "PROVISIONER_ACTOR": ACTOR, **(env or {})})


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": AUTHOR[0], "GIT_AUTHOR_EMAIL": AUTHOR[1], "GIT_COMMITTER_NAME": AUTHOR[0],
           "GIT_COMMITTER_EMAIL": AUTHOR[1], "HOME": str(repo), "PATH": "/usr/bin:/bin",
           "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def git_repo_with(tmp: Path, org: str = "riverside-health") -> Path:
    """tmp/repo holding orgs/<org>, committed once; returns the org folder."""
    repo = tmp / "repo"
    folder = repo / "orgs" / org
    copy_example(org, folder, "ACCESS.md")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", SUBJECT)
    return folder


def apply(folder: Path, state: str, today: str = TODAY):
    r = cli("apply", folder, "--auto-approve", "--state", state, "--today", today)
    assert r.exit_code in (0, 3), r.output  # 3: deliveries pending (change files)
    return r


@pytest.fixture(scope="module")
def riverside(tmp_path_factory):
    """(org folder in a git repo, state URL): Riverside applied once, shared by a module."""
    tmp = tmp_path_factory.mktemp("riverside")
    folder = git_repo_with(tmp)
    state = f"sqlite:///{tmp / 'state.db'}"
    apply(folder, state)
    return folder, state


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """1-based number of the first line containing `needle` (after the line containing `after`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, l in enumerate(lines) if after in l) if after else 0
    return next(i for i, l in enumerate(lines) if i >= start and needle in l) + 1


def access_json(*args) -> dict:
    r = cli("access", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def apply_at(folder: Path, state: str, when: str, actor: str = ACTOR, today: str | None = None):
    """Plan and apply `folder` into `state` as if at `when` (ISO time, UTC), by `actor`;
    returns the plan document."""
    import datetime as dt

    from provisioner.plan.apply import apply_plan
    from provisioner.plan.planner import make_plan
    from provisioner.state import open_state

    now = dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc)
    day = dt.date.fromisoformat(today) if today else now.date()
    backend = open_state(None, state)
    try:
        result = make_plan(folder, backend, today=day, now=now, allow_mass_change=True)
        assert result.document is not None, [str(d) for d in result.diagnostics if d.is_error]
        apply_plan(result.document, backend, actor=actor, org_dir=folder, today=day, now=now)
        return result.document
    finally:
        backend.close()


def deliver_at(state: str, when: str, keys: set[str] | None = None, actor: str = "it@example.org") -> list:
    """Mark pending operations (for `keys`, or all) delivered at `when`; returns them."""
    from provisioner.state import open_state
    from provisioner.targets.operations import OpResult

    backend = open_state(None, state)
    try:
        ops = [op for op in backend.operations(statuses=["pending"]) if keys is None or op.key in keys]
        backend.record([OpResult(op.id, "delivered", 1) for op in ops], at=when + "+00:00", actor=actor)
        return ops
    finally:
        backend.close()


def two_departures(folder: Path, docs: dict, state: str) -> None:
    """Applied and delivered on 2 March; eve and fay leave with end date 6 March, applied on
    the 7th at 08:00 (8 h into the clock); eve delivered at 12:00 (12 h), fay on the 9th (57 h,
    past a 24 h policy)."""
    from tests.orgbuilder import edit, write_org

    apply_at(folder, state, "2026-03-02T09:00:00")
    deliver_at(state, "2026-03-02T10:00:00")
    changed = edit(docs)
    for pid in ("eve", "fay"):
        changed[f"person/{pid}"].update(status="inactive", end_date="2026-03-06")
    write_org(folder, changed)
    apply_at(folder, state, "2026-03-07T08:00:00", today="2026-03-07")
    deliver_at(state, "2026-03-07T12:00:00", keys={"person.eve", "profile.eve-clerical"})
    deliver_at(state, "2026-03-09T09:00:00")


@pytest.fixture
def small(tmp_path):
    """(org folder, docs, state URL) of a small org written by tests.orgbuilder."""
    from tests.orgbuilder import small_org, write_org

    docs = small_org()
    docs["target/emr"] = {"kind": "Target", "id": "emr", "name": "EMR", "type": "changefile",
                          "receives": ["emr_profiles"]}
    docs["target/referrals"] = {"kind": "Target", "id": "referrals", "name": "Referrals", "type": "changefile",
                                "receives": ["referral_accounts", "front_office_roles"]}
    folder = write_org(tmp_path / "org", docs)
    return folder, docs, f"sqlite:///{tmp_path / 'state.db'}"
