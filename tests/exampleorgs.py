"""The example orgs as the repository holds them, for tests that copy one. `make run`
leaves a demo state anchor (`.audit/`) and change files (`out/`) beside them, git-ignored;
a copy leaves them out, so an earlier `make run` never changes what a test sees."""

from __future__ import annotations

import shutil
from pathlib import Path

ORGS = Path(__file__).resolve().parents[1] / "orgs"
RUN_OUTPUTS = (".audit", "out")


def copy_example(org: str, dest: Path, *also_ignore: str) -> Path:
    shutil.copytree(ORGS / org, dest, ignore=shutil.ignore_patterns(*RUN_OUTPUTS, *also_ignore))
    return dest
