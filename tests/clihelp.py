"""Run the CLI in-process and read the state back through the library."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from provisioner.cli import main
from provisioner.state import open_state

TODAY = "2026-03-01"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def plan(org_folder, state_url, *extra, out: Path | None = None, today: str = TODAY):
    args = ["plan", org_folder, "--state", state_url, "--today", today, *extra]
    if out is not None:
        args += ["--out", out]
    return run(*args)


def plan_and_apply(org_folder, state_url, out: Path, *extra, today: str = TODAY):
    r = plan(org_folder, state_url, *extra, out=out, today=today)
    assert r.exit_code == 0, r.output
    a = run("apply", out, "--state", state_url, "--today", today)
    assert a.exit_code == 0, a.output
    return json.loads(Path(out).read_text())


def snapshot(state_url):
    backend = open_state("testorg", state_url)
    try:
        return backend.read()
    finally:
        backend.close()


def actions(document) -> dict[str, str]:
    return {c["address"]: c["action"] for c in document["changes"]}
