"""Run a corpus `Case` in this process (click's CliRunner) instead of a fresh one: for rows
that cannot crash or hang the interpreter (pure parsing, messages), checked exactly as
`corpus.check` checks a subprocess, at a fraction of the cost."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from provisioner.cli import main

from .corpus import MINIMAL, TRACEBACK, Case, _state_fingerprint, write_files


def check_here(case: Case, tmp: Path, monkeypatch) -> str:
    org = tmp / "org"
    shutil.copytree(MINIMAL, org)
    write_files(org, case.files)
    if case.setup is not None:
        case.setup(tmp, org)
    monkeypatch.chdir(tmp)
    for key in [k for k in os.environ if k.startswith("PROVISIONER_")]:
        monkeypatch.delenv(key)
    for key, value in {"NO_COLOR": "1", **case.env}.items():
        monkeypatch.setenv(key, value)
    subst = {"{org}": "org", "{tmp}": str(tmp), "{state}": "sqlite:///state.db"}
    args = [a.replace("{org}", subst["{org}"]).replace("{tmp}", subst["{tmp}"]).replace("{state}", subst["{state}"])
            for a in case.args]
    before = _state_fingerprint(tmp)
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    output = result.output
    tail = output[-3000:]
    unexpected = result.exception if not isinstance(result.exception, SystemExit) else None
    assert unexpected is None, f"{case.id}: {type(unexpected).__name__}: {unexpected}\n{tail}"
    assert not TRACEBACK.search(output), f"{case.id}: traceback\n{tail}"
    assert len(output) <= case.max_output, f"{case.id}: {len(output)} characters of output"
    assert result.exit_code == case.exit, f"{case.id}: exit {result.exit_code}, expected {case.exit}\n{tail}"
    assert re.search(case.expect, output, re.S), f"{case.id}: /{case.expect}/ not in\n{tail}"
    if case.located:
        assert re.search(case.located, output), f"{case.id}: not located at /{case.located}/\n{tail}"
    if not case.state_written:
        assert _state_fingerprint(tmp) == before, f"{case.id}: state was written"
    return output
