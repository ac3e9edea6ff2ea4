"""Shell completion as the README tells users to turn it on: click's scripts for bash, zsh
and fish come out of the installed `provisioner`, and the bash one, evaluated in a real bash,
completes commands and option values."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.cli import main

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

SCRIPTS = {
    "bash": r"complete -o nosort -F _provisioner_completion provisioner",
    "zsh": r"#compdef provisioner",
    "fish": r"complete --no-files --command provisioner --arguments",
}


def completion_script(shell: str) -> subprocess.CompletedProcess:
    return subprocess.run(["provisioner"], env={**ENV, "_PROVISIONER_COMPLETE": f"{shell}_source"},
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_the_completion_script_is_produced_and_documented(shell):
    done = completion_script(shell)
    assert done.returncode == 0, done.stderr
    assert SCRIPTS[shell] in done.stdout
    assert f"_PROVISIONER_COMPLETE={shell}_source provisioner" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_bash_completes_commands_and_option_values():
    bash = shutil.which("bash")
    assert bash, "bash is needed to prove the bash completion"
    script = """
        eval "$(_PROVISIONER_COMPLETE=bash_source provisioner)"
        complete -p provisioner
        COMP_WORDS=(provisioner val); COMP_CWORD=1; COMPREPLY=()
        _provisioner_completion provisioner; echo "commands: ${COMPREPLY[*]}"
        COMP_WORDS=(provisioner validate orgs/x --format ""); COMP_CWORD=4; COMPREPLY=()
        _provisioner_completion provisioner; echo "formats: ${COMPREPLY[*]}"
    """
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", script], env=ENV, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    commands = re.search(r"^commands: (.*)$", done.stdout, re.M).group(1).split()
    assert commands == sorted(name for name in main.commands if name.startswith("val"))
    assert commands == ["validate", "validate-files"]
    assert re.search(r"^formats: text json github$", done.stdout, re.M), done.stdout
