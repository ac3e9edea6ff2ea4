"""The pre-commit hook of .pre-commit-hooks.yaml, run for real, the way `pre-commit try-repo`
runs it: the README's three lines point a throwaway git repository holding two orgs at this
repository and a rev, and pre-commit runs the hook from the virtualenv it built from this
repository with pip, as on a team's machine. (`try-repo` itself builds into a new temporary
store on every call, 40 s or more here; tests/precommit_env.py keeps the store instead.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.exampleorgs import copy_example
from tests.precommit_env import PRE_COMMIT, ROOT, config, git, pre_commit, ready


@pytest.fixture(scope="module")
def hook_repo():
    hook = ready()
    assert readme_config(hook.repo, hook.rev) == config(hook)  # what was installed is what teams write
    return hook.repo, hook.rev, hook.home


@pytest.fixture
def team_repo(tmp_path) -> Path:
    """A team's repository: the two example orgs under orgs/, committed."""
    repo = tmp_path / "team"
    for org in ("riverside-health", "harbor-therapy"):
        copy_example(org, repo / "orgs" / org)
    (repo / "notes").mkdir()
    (repo / "notes" / "ideas.yaml").write_text("not: [valid\n")  # outside orgs/: not the hook's
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "orgs", cwd=repo)
    return repo


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
