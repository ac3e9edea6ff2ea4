"""A large org's rules run in a child process while plan and apply read the state and plan
(`validate(..., rules_beside=True)`): the findings are the ones the rules give here, a plan
is made only if they find no error, and errors in the config are still reported before
anything about the state, whatever planning met on the way."""

from __future__ import annotations

import os
import re
import time

import pytest

from bench.generate import generate_org, write_org as write_generated
from provisioner import pipeline
from provisioner.pipeline import validate
from provisioner.plan import planner
from tests.clihelp import TODAY, run
from tests.test_lazy_marks import TODAY as GENERATED_DAY, with_mistakes


def rule_mistakes() -> list[tuple]:
    """A provider's NPI removed: an error only the rules find (GOV001)."""
    text = generate_org(600, seed=5, today=GENERATED_DAY)["people-000.yaml"]
    return [("people-000.yaml", re.search(r'npi: "\d+"\n', text).group(0), "", 1)]


def findings(validation):
    return [(d.file, d.line, d.column, d.code, d.severity, d.message, d.subject, d.waived_by)
            for d in validation.diagnostics]


@pytest.fixture
def beside(monkeypatch):
    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", 0)


@pytest.mark.parametrize("mistaken", [False, True], ids=["clean", "rule-mistakes"])
def test_the_rules_beside_give_the_findings_of_the_rules_here(beside, tmp_path, mistaken):
    mistakes = rule_mistakes() if mistaken else []
    write_generated(tmp_path / "org", with_mistakes(600, 5, mistakes))
    here = validate(tmp_path / "org", today=GENERATED_DAY)
    apart = validate(tmp_path / "org", today=GENERATED_DAY, rules_beside=True)
    assert apart.pending and not here.pending
    assert findings(apart) == findings(here) and not apart.pending
    assert apart.ok == here.ok == (not mistakes)
    assert len(findings(here)) >= 5


def test_a_child_that_fails_means_the_rules_run_here(beside, tmp_path, monkeypatch):
    write_generated(tmp_path / "org", with_mistakes(600, 5, rule_mistakes()))
    here = findings(validate(tmp_path / "org", today=GENERATED_DAY))
    parent, real = os.getpid(), pipeline.run_rules

    def rules_here_only(org, today):
        if os.getpid() != parent:
            raise MemoryError("the child gives up")
        return real(org, today)

    monkeypatch.setattr(pipeline, "run_rules", rules_here_only)
    assert findings(validate(tmp_path / "org", today=GENERATED_DAY, rules_beside=True)) == here


def test_a_stopped_validation_is_never_read_as_clean(beside, tmp_path):
    write_generated(tmp_path / "org", with_mistakes(600, 5, rule_mistakes()))
    validation = validate(tmp_path / "org", today=GENERATED_DAY, rules_beside=True)
    validation.cancel()
    with pytest.raises(RuntimeError):
        validation.ok


def _outputs(org, args, monkeypatch, beside_from):
    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", beside_from)
    r = run(*args)
    return r.exit_code, r.output.replace(str(org), "ORG")


@pytest.mark.parametrize("state", ["none", "a folder", "another org's"])
def test_config_errors_come_before_anything_about_the_state(org_folder, org_docs, tmp_path, monkeypatch, state):
    """With the rules beside, the state is opened and read meanwhile; a config with errors
    is still refused for them, with the same output, and never for the state."""
    from tests.orgbuilder import edit, write_org

    docs = edit(org_docs)
    del docs["person/ann"]["npi"]  # GOV001: an error only the rules find
    write_org(org_folder, docs)
    urls = {"none": f"sqlite:///{tmp_path / 'missing.db'}", "a folder": f"sqlite:///{tmp_path}",
            "another org's": f"sqlite:///{tmp_path / 'other.db'}"}
    if state == "another org's":
        other = tmp_path / "other-org"
        write_org(other, {**org_docs, "org": {**org_docs["org"], "id": "otherorg"}})
        assert run("apply", other, "--state", urls[state], "--today", TODAY, "--auto-approve").exit_code == 0
    for command in (["plan", org_folder], ["apply", org_folder, "--auto-approve"]):
        args = [*command, "--state", urls[state], "--today", TODAY]
        here = _outputs(org_folder, args, monkeypatch, 1 << 60)
        apart = _outputs(org_folder, args, monkeypatch, 0)
        assert apart == here
        assert here[0] == 1 and "GOV001" in here[1] and "nothing was planned" in here[1]


def test_planning_that_fails_on_a_config_with_errors_reports_the_errors(org_folder, org_docs, monkeypatch):
    """Planned before the rules answered, a config with errors may make planning fail: the
    errors are what is reported, as when the rules ran first."""
    from tests.orgbuilder import edit, write_org

    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", 0)

    def broken(*args, **kwargs):
        raise KeyError("what a config with errors can do to planning")

    monkeypatch.setattr(planner, "desired_resources", broken)
    docs = edit(org_docs)
    del docs["person/ann"]["npi"]
    write_org(org_folder, docs)
    r = run("plan", org_folder, "--today", TODAY)
    assert r.exit_code == 1
    assert "GOV001" in r.output and "nothing was planned" in r.output and "internal error" not in r.output


def _alone(tmp_path, monkeypatch, mistaken: bool) -> list:
    """A generated org written to tmp_path/org; its findings, the rules run in one process."""
    write_generated(tmp_path / "org", with_mistakes(600, 5, rule_mistakes() if mistaken else []))
    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", 1 << 60)
    return findings(validate(tmp_path / "org", today=GENERATED_DAY))


def _shared_with(monkeypatch, wrap) -> None:
    """From now on, the rules are shared with a child and half the locating goes to another;
    `wrap` wraps the work of each rule and of each half."""
    from provisioner import rules

    monkeypatch.setattr(rules, "_checked", wrap(rules._checked))
    monkeypatch.setattr(pipeline, "_each_located", wrap(pipeline._each_located))
    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", 0)
    monkeypatch.setattr(pipeline, "LOCATE_APART_FROM", 0)


@pytest.mark.parametrize("mistaken", [False, True], ids=["clean", "rule-mistakes"])
def test_rules_and_locating_shared_with_a_child_give_the_findings_of_one_process(tmp_path, monkeypatch, mistaken):
    """`validate` in line: for a large org, the rules are shared with a child (each taken by
    whichever is free first) and half the locating is done by another meanwhile; the
    findings, their order and places are those of one process."""
    alone = _alone(tmp_path, monkeypatch, mistaken)
    workers = tmp_path / "workers"

    def noted(real):
        def run(*args):
            with open(workers, "a") as f:
                f.write(f"{real.__name__} {os.getpid()}\n")
            time.sleep(0.01)  # the rules are shared as each process is free: both get some
            return real(*args)
        return run

    _shared_with(monkeypatch, noted)
    shared = validate(tmp_path / "org", today=GENERATED_DAY)
    assert not shared.pending
    assert findings(shared) == alone and len(alone) >= 5
    seen = workers.read_text().split("\n")[:-1]
    assert {line.split()[0] for line in seen} == {"_checked", "_each_located"}
    assert len({line.split()[1] for line in seen}) == 3  # this process, and a child for each


def test_a_child_that_fails_at_its_half_of_the_rules_or_locating_means_it_is_done_here(tmp_path, monkeypatch):
    alone = _alone(tmp_path, monkeypatch, True)
    parent = os.getpid()

    def failing(real):
        def run(*args):
            if os.getpid() != parent:
                raise MemoryError("the child gives up")
            return real(*args)
        return run

    _shared_with(monkeypatch, failing)
    assert findings(validate(tmp_path / "org", today=GENERATED_DAY)) == alone
