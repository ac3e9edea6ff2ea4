"""The hostile-input corpus runner: one table row per bad input, one assertion set for all.

A `Case` writes files over a copy of the minimal org (or sets the filesystem up with a
function), runs one CLI command in a fresh Python process with a time limit, and checks
what every bad input must get: the expected exit code, a message naming the cause (and,
where there is one, `file:line`), no traceback, bounded output and no state written.
Tables live in the `test_*.py` files beside this one; each row is its own test.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

MINIMAL = Path(__file__).resolve().parent.parent / "fixtures" / "minimal"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w+Error: |Segmentation fault|core dumped", re.M)


@dataclass(frozen=True)
class Case:
    """One bad input. `files` maps a path under the org folder to text (dedented), bytes, or
    None (delete that file of the minimal org). `args` is the command line; `{org}`, `{tmp}`
    and `{state}` are replaced by the org folder, the test's folder and a state URL there.
    `expect` is a regex the combined output must match; `located` a regex for the place
    (e.g. r"people\\.yaml:12"). `setup(tmp, org)` prepares what files cannot (symlinks,
    permissions, FIFOs, an existing state). `state_written` says the command may write state."""

    id: str
    expect: str
    files: dict[str, str | bytes | None] = field(default_factory=dict)
    args: tuple[str, ...] = ("validate", "{org}")
    exit: int = 1
    located: str | None = None
    setup: Callable[[Path, Path], None] | None = None
    timeout: float = 30.0
    max_output: int = 100_000
    state_written: bool = False
    env: dict[str, str] = field(default_factory=dict)


def write_files(org: Path, files: dict[str, str | bytes | None]) -> None:
    for name, content in files.items():
        path = org / name
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


def _state_fingerprint(tmp: Path) -> dict[str, str]:
    """Every file under tmp/.provisioner and tmp/state*, with a digest of its bytes."""
    out: dict[str, str] = {}
    for root in [tmp / ".provisioner", *tmp.glob("state*")]:
        paths = [root] if root.is_file() else (sorted(root.rglob("*")) if root.is_dir() else [])
        for p in paths:
            if p.is_file() and not p.is_symlink():
                out[str(p.relative_to(tmp))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@dataclass
class Outcome:
    code: int | None
    output: str
    timed_out: bool


def run_case(case: Case, tmp: Path) -> Outcome:
    org = tmp / "org"
    shutil.copytree(MINIMAL, org)
    write_files(org, case.files)
    if case.setup is not None:
        case.setup(tmp, org)
    subst = {"{org}": "org", "{tmp}": str(tmp), "{state}": "sqlite:///state.db"}
    args = []
    for a in case.args:
        for k, v in subst.items():
            a = a.replace(k, v)
        args.append(a)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    env.update({"NO_COLOR": "1", "PYTHONFAULTHANDLER": "", **case.env})
    before = _state_fingerprint(tmp)
    try:
        proc = subprocess.run([sys.executable, "-m", "provisioner", *args], cwd=tmp, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=case.timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        return Outcome(None, out.decode("utf-8", "replace"), True)
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    if not case.state_written:
        assert _state_fingerprint(tmp) == before, f"{case.id}: state was written\n{output[-2000:]}"
    return Outcome(proc.returncode, output, False)


def check(case: Case, tmp: Path) -> Outcome:
    """Run `case` and assert everything a bad input must get."""
    got = run_case(case, tmp)
    tail = got.output[-3000:]
    assert not got.timed_out, f"{case.id}: no answer within {case.timeout}s\n{tail}"
    assert got.code is not None and got.code >= 0, f"{case.id}: killed by signal {got.code}\n{tail}"
    assert not TRACEBACK.search(got.output), f"{case.id}: traceback\n{tail}"
    assert len(got.output) <= case.max_output, f"{case.id}: {len(got.output)} characters of output"
    assert got.code == case.exit, f"{case.id}: exit {got.code}, expected {case.exit}\n{tail}"
    assert re.search(case.expect, got.output, re.S), f"{case.id}: /{case.expect}/ not in\n{tail}"
    if case.located:
        assert re.search(case.located, got.output), f"{case.id}: not located at /{case.located}/\n{tail}"
    return got


def ids(cases: list[Case]) -> list[str]:
    seen = [c.id for c in cases]
    assert len(seen) == len(set(seen)), "case ids must be unique"
    return seen
