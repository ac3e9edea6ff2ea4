"""`plan --out`: a large text plan is rendered in a child while the plan file is written,
and printed after it, the same bytes as rendered in one process; a child that fails (or no
child at all) only means the text is rendered here, and a plan file that cannot be written
prints no plan."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from provisioner.cli import main, plantext
from provisioner.plan.render import render_text

from ..conftest import TODAY


@pytest.fixture
def many(monkeypatch):
    """Every plan is rendered beside (the threshold lowered to one change)."""
    monkeypatch.setattr(plantext, "BESIDE_FROM", 1)


def plan(org, tmp_path, out="plan.json", colour=False):
    args = ["plan", str(org), "--out", str(tmp_path / out), "--state", f"sqlite:///{tmp_path / 's.db'}",
            "--today", TODAY.isoformat()]
    return CliRunner().invoke(main, args, color=colour)


def expected_text(tmp_path, colour=False):
    document = json.loads((tmp_path / "plan.json").read_text())
    return render_text(document, colour)


@pytest.mark.parametrize("colour", [False, True])
def test_rendered_beside_prints_the_same_text(many, make_org, tmp_path, monkeypatch, colour):
    monkeypatch.setattr(plantext, "use_colour", lambda: colour)
    calls = []
    monkeypatch.setattr(plantext, "echo_plan", lambda *a: calls.append(a))  # rendered here: recorded, not printed
    result = plan(make_org(), tmp_path, colour=colour)
    assert result.exit_code == 0, result.output
    assert calls == []  # the child's text was printed
    text = expected_text(tmp_path, colour)
    assert "will be created" in text
    assert result.stdout.startswith(text)
    assert result.stdout[len(text):].startswith("\nSaved the plan to")


def test_a_failing_child_means_the_text_is_rendered_here(many, make_org, tmp_path, monkeypatch):
    def broken(*args):
        raise OSError("no space left on device")

    monkeypatch.setattr(plantext, "_render_into", broken)
    result = plan(make_org(), tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(expected_text(tmp_path))


def test_small_plans_are_rendered_here(make_org, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(plantext, "Rendered", lambda *a: started.append(a))
    result = plan(make_org(), tmp_path)
    assert result.exit_code == 0, result.output
    assert started == [] and result.stdout.startswith(expected_text(tmp_path))


def test_no_plan_is_printed_when_the_file_cannot_be_written(many, make_org, tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    result = plan(make_org(), tmp_path, out="taken/plan.json")
    assert result.exit_code == 1
    assert "will be created" not in result.output
    assert "error:" in result.output


def test_the_child_renders_into_its_file(make_org, tmp_path):
    """_render_into alone: the text plan, UTF-8, into the file it is given."""
    assert plan(make_org(), tmp_path).exit_code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    with open(tmp_path / "text.out", "wb") as out:
        assert plantext._render_into(document, out.fileno(), False) is True
    assert (tmp_path / "text.out").read_text(encoding="utf-8") == render_text(document, False)
