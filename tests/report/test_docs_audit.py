"""docs/audit.md and the README name the auditor's commands as they exist: every command
line in the page's examples resolves to a real command and uses only its options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from provisioner.cli import main

ROOT = Path(__file__).resolve().parents[2]
AUDITOR = ["access", "who-can", "report", "log", "review", "evidence"]


def _resolve(args: list[str]) -> tuple[click.Command, list[str]]:
    cmd, rest = main, list(args)
    while isinstance(cmd, click.Group):
        name = rest[0] if rest and rest[0] in cmd.commands else next(iter(cmd.commands))
        if rest and rest[0] == name:
            rest = rest[1:]
        cmd = cmd.commands[name]
    return cmd, rest


def _example_lines(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [l.split(" #")[0].strip() for b in blocks for l in b.splitlines() if l.strip().startswith("provisioner ")]


def test_every_example_in_docs_audit_uses_a_real_command_and_options():
    lines = _example_lines((ROOT / "docs" / "audit.md").read_text(encoding="utf-8"))
    assert len(lines) >= 15
    used = set()
    for line in lines:
        args = shlex.split(line.replace("…", ""))[1:]
        used.add(args[0])
        cmd, rest = _resolve(args)
        known = {o for p in cmd.params for o in getattr(p, "opts", [])} | {"--help"}
        for token in rest:
            if token.startswith("--"):
                assert token.split("=")[0] in known, f"{line}: {cmd.name} has no option {token}"
    assert set(AUDITOR) <= used


def test_the_readme_lists_each_auditor_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in AUDITOR:
        assert f"`provisioner {name} " in readme, name
    assert "`provisioner report terminations " in readme and "`provisioner report html " in readme
