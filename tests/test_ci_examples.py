"""The pipelines in examples/ci/ parse as YAML and every `provisioner …` command they run
exists with every flag they pass (`provisioner CMD --help` succeeds and lists the flag)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from provisioner.cli import main

CI = Path(__file__).resolve().parent.parent / "examples" / "ci"
FILES = {"github": CI / "github-actions.yml", "gitlab": CI / "gitlab-ci.yml"}
_SHELL_END = {"|", "||", "&&", ";", ">", "2>", ">>", "<", ")", "}", "then", "fi"}


def _scripts(node) -> list[str]:
    """Every shell script of a workflow: `run:` values (GitHub), `script:` items (GitLab)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            elif key in ("script", "before_script") and isinstance(value, list):
                found += [v for v in value if isinstance(v, str)]
            else:
                found += _scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += _scripts(item)
    return found


def invocations(text: str) -> list[tuple[list[str], list[str]]]:
    """(command path, flags) of each `provisioner …` in a script."""
    text = text.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        for match in re.finditer(r"(?:^|[\s;!(])provisioner\s+([^\n]*)", line):
            try:
                tokens = shlex.split(match.group(1), comments=True)
            except ValueError:
                tokens = match.group(1).split()
            words, flags = [], []
            for token in tokens:
                if token in _SHELL_END or token.startswith((">", "|", "2>")):
                    break
                if token.startswith("--"):
                    flags.append(token.split("=", 1)[0])
                elif not flags and re.fullmatch(r"[a-z]+", token) and len(words) < 2:
                    words.append(token)
            found.append((words, flags))
    return found


def _commands(path: Path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [inv for script in _scripts(doc) for inv in invocations(script)]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_provisioner_command_and_flag_in_the_pipeline_exists(name):
    commands = _commands(FILES[name])
    used = {" ".join(words) for words, _ in commands}
    assert {"validate", "plan", "show", "apply", "state verify"} <= used, used
    for words, flags in commands:
        path = []
        group = main
        for word in words:  # the longest prefix that names a command
            sub = getattr(group, "commands", {}).get(word)
            if sub is None:
                break
            path.append(word)
            group = sub
        assert path, f"{name}: `provisioner {' '.join(words)}` is not a command"
        helped = CliRunner().invoke(main, [*path, "--help"])
        assert helped.exit_code == 0, helped.output
        for flag in flags:
            assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", helped.output), f"{name}: {' '.join(path)} has no {flag}"


def test_the_pipelines_apply_the_saved_plan_and_never_apply_twice_at_once():
    github = yaml.safe_load(FILES["github"].read_text())
    apply = github["jobs"]["apply"]
    assert apply["concurrency"]["group"] and apply["concurrency"]["cancel-in-progress"] is False
    steps = " ".join(s.get("run", "") for s in apply["steps"])
    assert "provisioner apply plans/plan.json" in steps and "--auto-approve" not in steps
    assert github["jobs"]["plan"]["permissions"]["pull-requests"] == "write"
    gitlab = yaml.safe_load(FILES["gitlab"].read_text())
    assert gitlab["apply"]["resource_group"]
    assert any("provisioner apply plans/plan.json" in line for line in gitlab["apply"]["script"])
    assert gitlab["plan"]["artifacts"]["paths"] == ["plans/plan.json"]
    for text in (FILES["github"].read_text(), FILES["gitlab"].read_text()):
        assert "echo $PGPASSWORD" not in text and "set -x" not in text  # no secret is echoed


def test_the_extractor_sees_flags_and_stops_at_the_shell():
    assert invocations('x || provisioner plan "$D" --out p.json --detailed-exitcode > /dev/null || code=$?') == [
        (["plan"], ["--out", "--detailed-exitcode"])]
    assert invocations("provisioner state verify \\\n  --state u") == [(["state", "verify"], ["--state"])]
