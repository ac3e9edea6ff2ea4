"""The command line through click's runner: formats, exit codes, paths, help."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from tests.conftest import write
from provisioner import __version__
from provisioner.cli import main

BAD_PERSON = """
    kind: Person
    id: eve
    name: Eve
    email: eve@lakeside.example
    account_type: nurse
"""


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def test_valid_org_exits_0(org_dir):
    result = run("validate", "org", "--today", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("0 errors")


def test_errors_exit_1_with_relative_paths(org_dir):
    write(org_dir, "eve.yaml", BAD_PERSON)
    result = run("validate", "org")
    assert result.exit_code == 1
    assert result.output.startswith("org/eve.yaml:5:15: error SCHEMA001: 'nurse' is not allowed")


def test_usage_error_exits_2(org_dir):
    assert run("validate").exit_code == 2
    assert run("validate", "org", "--format", "xml").exit_code == 2
    assert run("validate", "org", "--today", "tomorrow").exit_code == 2


def test_json_format(org_dir):
    write(org_dir, "eve.yaml", BAD_PERSON)
    result = run("validate", "org", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["valid"] is False and doc["error_count"] == 1
    assert (doc["diagnostics"][0]["file"], doc["diagnostics"][0]["line"]) == ("org/eve.yaml", 5)


def test_github_format(org_dir):
    write(org_dir, "eve.yaml", BAD_PERSON)
    result = run("validate", "org", "--format", "github")
    assert result.exit_code == 1
    assert result.output.startswith("::error file=org/eve.yaml,line=5,col=15,title=SCHEMA001::")


def test_no_color_is_honoured(org_dir):
    write(org_dir, "eve.yaml", BAD_PERSON)
    result = run("validate", "org", env={"NO_COLOR": "1"})
    assert "\033[" not in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_with_an_example():
    for path, cmd in _commands(main):
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert cmd.help and "Example" in cmd.help, f"{' '.join(path)} needs help text with an example"


def test_console_script_runs_without_traceback(org_dir):
    write(org_dir, "eve.yaml", BAD_PERSON)
    proc = subprocess.run([sys.executable, "-m", "provisioner", "validate", "org"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "org/eve.yaml:5:15" in proc.stdout
