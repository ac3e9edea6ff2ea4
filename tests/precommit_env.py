"""The pre-commit hook's environment for tests/test_precommit_hook.py: a snapshot of what the
hook installs (pyproject, provisioner/, schemas/, the hook file) committed with fixed
dates, so its commit id depends only on that content, and pre-commit's store for it under
.venv/pre-commit/<digest>/, where pre-commit builds the hook's virtualenv with pip once per
version of the package.

Building takes pip tens of seconds, so tests/conftest.py starts it in the background as the
session begins (when the hook tests are selected) and the tests wait for it here."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
CACHE = ROOT / ".venv" / "pre-commit"
SHIPPED = ("pyproject.toml", ".pre-commit-hooks.yaml", "provisioner", "schemas")
# pyproject's `readme`: a stand-in, so that editing the README does not rebuild the hook.
README = "# provisioner\n\nA snapshot of the package for the pre-commit hook tests.\n"
HOOK_ID = "provisioner-validate"
GIT_ENV = {"GIT_AUTHOR_NAME": "provisioner tests", "GIT_AUTHOR_EMAIL": "tests@provisioner.invalid",
           "GIT_COMMITTER_NAME": "provisioner tests", "GIT_COMMITTER_EMAIL": "tests@provisioner.invalid",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class HookRepo:
    repo: Path   # the snapshot: a git repository holding the hook
    rev: str     # its commit
    home: Path   # PRE_COMMIT_HOME


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {done.stderr}")
    return done.stdout.strip()


def pre_commit(*args: str, cwd: Path, home: Path, timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([str(PRE_COMMIT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _shipped_files() -> list[Path]:
    files = []
    for name in SHIPPED:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def config(hook: HookRepo) -> str:
    return f"repos:\n  - repo: {hook.repo}\n    rev: {hook.rev}\n    hooks: [{{id: {HOOK_ID}}}]\n"


def snapshot() -> HookRepo:
    """The snapshot repository and store for the current content (older ones are removed)."""
    digest = hashlib.sha256()
    for path in _shipped_files():
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
            for path in _shipped_files():
                target = repo / path.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            (repo / "README.md").write_text(README)
            git("init", "-q", cwd=repo)
            git("add", "-A", cwd=repo)
            git("commit", "-q", "-m", "snapshot", cwd=repo)
        return HookRepo(repo, git("rev-parse", "HEAD", cwd=repo), home)


def install(hook: HookRepo) -> subprocess.CompletedProcess:
    """`pre-commit install-hooks` for the snapshot, from a scratch repository: builds the
    hook's virtualenv into the store unless it is there already."""
    with tempfile.TemporaryDirectory(prefix="precommit-install-") as scratch:
        folder = Path(scratch)
        git("init", "-q", cwd=folder)
        (folder / ".pre-commit-config.yaml").write_text(config(hook))
        return pre_commit("install-hooks", cwd=folder, home=hook.home)


class _Background:
    def __init__(self):
        self.thread: threading.Thread | None = None
        self.result: tuple[HookRepo, subprocess.CompletedProcess] | BaseException | None = None

    def run(self) -> None:
        try:
            hook = snapshot()
            self.result = (hook, install(hook))
        except BaseException as exc:  # handed to the waiting test
            self.result = exc


_background = _Background()


def start_in_background() -> None:
    if _background.thread is None:
        _background.thread = threading.Thread(target=_background.run, name="pre-commit-env", daemon=True)
        _background.thread.start()


def ready() -> HookRepo:
    """The hook repository with its virtualenv built (waits for the background build)."""
    start_in_background()
    _background.thread.join(INSTALL_TIMEOUT)
    result = _background.result
    if result is None:
        raise RuntimeError(f"pre-commit install-hooks did not finish within {INSTALL_TIMEOUT} s")
    if isinstance(result, BaseException):
        raise result
    hook, done = result
    if done.returncode != 0:
        raise RuntimeError(f"pre-commit install-hooks failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return hook
