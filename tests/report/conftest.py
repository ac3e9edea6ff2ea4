"""Fixtures for the auditor's reports: an example org copied into its own git repository
(a known author and subject), applied into a state of its own."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli import main

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
    shutil.copytree(ORGS / org, folder, ignore=shutil.ignore_patterns("ACCESS.md"))
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
