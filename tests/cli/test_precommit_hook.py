"""The pre-commit hook of .pre-commit-hooks.yaml, run for real, the way `pre-commit try-repo`
runs it: the README's three lines point a throwaway git repository holding two orgs at this
repository and rev, and pre-commit builds the hook's virtualenv from it with pip, as on a
team's machine. (`try-repo` itself builds into a new temporary store on every call, 60 s
or more here, so the test writes the configuration it would write and keeps the store.)

The repository is handed to pre-commit as a snapshot of what the hook installs (pyproject,
README, provisioner/, schemas/, the hook file), committed with fixed dates, so its commit id
depends only on that content: pre-commit's store (.venv/pre-commit/<digest>/) builds the
virtualenv once per version of the package, not once per test run."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
CACHE = ROOT / ".venv" / "pre-commit"
SHIPPED = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "provisioner", "schemas")
GIT_ENV = {"GIT_AUTHOR_NAME": "provisioner tests", "GIT_AUTHOR_EMAIL": "tests@provisioner.invalid",
           "GIT_COMMITTER_NAME": "provisioner tests", "GIT_COMMITTER_EMAIL": "tests@provisioner.invalid",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def shipped_files() -> list[Path]:
    files = []
    for name in SHIPPED:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo() -> tuple[Path, str, Path]:
    """(snapshot repository, its commit id, PRE_COMMIT_HOME), built once per package content."""
    digest = hashlib.sha256()
    for path in shipped_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    home = CACHE / digest.hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in CACHE.iterdir():
            if stale.is_dir() and stale != home:
                shutil.rmtree(stale, ignore_errors=True)
        repo = home / "provisioner"
        if not (repo / ".git").is_dir():
            shutil.rmtree(repo, ignore_errors=True)
            for path in shipped_files():
                target = repo / path.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            git("init", "-q", cwd=repo)
            git("add", "-A", cwd=repo)
            git("commit", "-q", "-m", "snapshot", cwd=repo)
        return repo, git("rev-parse", "HEAD", cwd=repo), home


@pytest.fixture
def team_repo(tmp_path) -> Path:
    """A team's repository: the two example orgs under orgs/, committed."""
    repo = tmp_path / "team"
    for org in ("riverside-health", "harbor-therapy"):
        shutil.copytree(ROOT / "orgs" / org, repo / "orgs" / org)
    (repo / "notes").mkdir()
    (repo / "notes" / "ideas.yaml").write_text("not: [valid\n")  # outside orgs/: not the hook's
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "orgs", cwd=repo)
    return repo


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([str(PRE_COMMIT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def readme_config(repo: Path, rev: str) -> str:
    """The README's three lines under `repos:`, pointed at the snapshot."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    three = re.search(r"```yaml\n(repos:\n(?:  .*\n){3})```", readme)
    assert three, "the README shows the three lines a team adds under `repos:`"
    config = re.sub(r"repo: \S+", f"repo: {repo}", three.group(1))
    return re.sub(r"rev: \S+", f"rev: {rev}", config)


def test_the_hook_manifest_is_valid():
    done = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_good_orgs_pass_and_files_outside_orgs_are_not_the_hooks(hook_repo, team_repo):
    repo, rev, home = hook_repo
    (team_repo / ".pre-commit-config.yaml").write_text(readme_config(repo, rev))
    done = pre_commit("run", "--files", "orgs/harbor-therapy/offices.yaml", "orgs/riverside-health/people/staff.yaml",
                      cwd=team_repo, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^provisioner validate\.+Passed$", done.stdout, re.M), done.stdout

    done = pre_commit("run", "--files", "notes/ideas.yaml", cwd=team_repo, home=home)
    assert done.returncode == 0 and re.search(r"^provisioner validate\.+\(no files to check\)Skipped$",
                                              done.stdout, re.M), done.stdout


def test_the_readme_three_lines_fail_a_commit_that_breaks_an_org(hook_repo, team_repo):
    repo, rev, home = hook_repo
    (team_repo / ".pre-commit-config.yaml").write_text(readme_config(repo, rev))
    staff = team_repo / "orgs" / "harbor-therapy" / "people" / "staff.yaml"
    text = staff.read_text(encoding="utf-8")
    line = text[:text.index("account_type:")].count("\n") + 1
    staff.write_text(text.replace("account_type:", "acount_type:", 1), encoding="utf-8")
    git("add", "-A", cwd=team_repo)

    done = pre_commit("run", cwd=team_repo, home=home)  # the staged files, as on `git commit`
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"^provisioner validate\.+Failed$", done.stdout, re.M), done.stdout
    assert f"orgs/harbor-therapy/people/staff.yaml:{line}:1: error SCHEMA001" in done.stdout, done.stdout
    assert "riverside" not in done.stdout  # only the org the change touches is validated
