"""The streamed text plan (render_text) equals, byte for byte, the one Jinja2 template
(render_text_template) it replaced: on the example orgs, on a generated org with warnings,
and on every action and line shape, with and without colour."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bench.generate import generate_org, write_org
from provisioner.plan import make_plan
from provisioner.plan.render import render_text, render_text_template
from provisioner.state import Snapshot
from tests.plan.test_render import SAMPLE, change, document

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)


def _same(doc):
    for colour in (False, True):
        assert render_text(doc, colour) == render_text_template(doc, colour)


def _plan(folder) -> dict:
    result = make_plan(folder, snapshot=Snapshot(None, 0), today=TODAY)
    assert result.document is not None, [d.code for d in result.diagnostics]
    return result.document


def _every_action(doc: dict) -> dict:
    """The plan's creates turned into every other action, diff and reason, with real values."""
    out = []
    actions = ("update", "replace", "deactivate", "reactivate", "delete")
    for i, c in enumerate(doc["changes"]):
        out.append(c)
        attrs = (c["after"] or {}).get("attributes") or {}
        action = actions[i % len(actions)]
        diff = [{"path": k, "before": v, "after": None if i % 3 == 0 else "é\n\"x\""} for k, v in attrs.items()]
        if i % 4 == 0:
            diff.append({"path": "added", "before": None, "after": [1, {"b": True, "a": 2.5}]})
        before = {k: v for k, v in attrs.items()}
        out.append(change(c["address"], action, before=before, after=None if action == "delete" else attrs,
                          diff=[] if action == "delete" else diff, reason="why (TYPE002)" if i % 2 else ""))
    more = document(out, doc.get("diagnostics", []))
    more["changes"].append(change("invitation.person.x", "create", after={"sent_on": None, "to": "x@e.example"}))
    more["changes"].append(change("membership.p@a", "move", before={"office": "a"}, after={"office": "b"},
                                  diff=[{"path": "office", "before": "a", "after": "b"}]))
    more["summary"]["move"] = 1
    return more


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy"])
def test_example_orgs(org, isolated):
    doc = _plan(REPO / "orgs" / org)
    assert doc["changes"]
    _same(doc)
    _same(_every_action(doc))


def test_generated_org_with_findings(isolated, tmp_path):
    files = generate_org(300, seed=3, today=TODAY)
    write_org(tmp_path / "org", files)
    doc = _plan(tmp_path / "org")
    doc["diagnostics"] = [
        {"severity": "warning", "code": "LIFE004", "message": "too soon", "file": "people-000.yaml", "line": 3,
         "column": 5, "subject": "p1", "waived": False, "waiver": None},
        {"severity": "error", "code": "PERM004", "message": "m", "file": None, "line": None, "column": None,
         "subject": None, "waived": True, "waiver": "w-1"},
        {"severity": "info", "code": "X", "message": "n", "file": "f.yaml", "line": 9, "column": None,
         "subject": "", "waived": False, "waiver": None}]
    _same(doc)
    _same(_every_action(doc))


def test_hand_built_shapes():
    _same(SAMPLE)
    _same(document([]))
    empty_with_findings = document([], SAMPLE["diagnostics"])
    _same(empty_with_findings)
    with_targets = dict(SAMPLE, targets={"okta": {"type": "scim", "operations": [
        {"count": 2, "object": "user", "action": "create"}], "cannot_hold": ["x"]}})
    _same(with_targets)


def _same_markdown(doc):
    from provisioner.plan.render import MARKDOWN_LIMIT, render_markdown, render_markdown_template

    for limit in (300, 5_000, MARKDOWN_LIMIT):
        assert render_markdown(doc, limit) == render_markdown_template(doc, limit), limit


def test_markdown_equals_the_template_at_every_size(isolated, tmp_path):
    from tests.plan.test_render import change as make

    _same_markdown(SAMPLE)
    _same_markdown(document([]))
    _same_markdown(document([], SAMPLE["diagnostics"] * 1200))
    _same_markdown(document([make(f"person.p{i:05d}", "create", after={"name": "x" * 200}) for i in range(400)]))
    _same_markdown(document([make(f"person.p{i}", "create", after={"blob": "y" * 2000}) for i in range(50)]))
    write_org(tmp_path / "org", generate_org(60, seed=3, today=TODAY))
    doc = _plan(tmp_path / "org")
    _same_markdown(doc)
    _same_markdown(_every_action(doc))



def test_markdown_summary_with_people_is_predicted_not_searched(isolated, tmp_path, monkeypatch):
    """A plan too long for one comment names its first people ("Who changes"): the summary's
    size is predicted with their lines, so it is rendered three times, never searched for by
    the reference (which renders it up to dozens of times, each over the whole plan)."""
    from provisioner.plan import render

    write_org(tmp_path / "org", generate_org(200, seed=5, today=TODAY))
    doc = _plan(tmp_path / "org")
    expected = {limit: render.render_markdown_template(doc, limit) for limit in (3_000, 20_000)}
    assert all("more people" in text or "more person" in text for text in expected.values())

    def searched(*_a, **_k):
        raise AssertionError("the summary was searched for, not predicted")

    monkeypatch.setattr(render, "render_markdown_template", searched)
    for limit, text in expected.items():
        assert render.render_markdown(doc, limit) == text, limit


@pytest.mark.parametrize("colour", [False, True])
def test_cli_streams_the_same_bytes_in_batches(colour, monkeypatch):
    import click
    from click.testing import CliRunner

    from provisioner.cli import plan_cmd, plantext

    monkeypatch.setattr(plantext, "use_colour", lambda: colour)
    monkeypatch.setattr(plantext, "ECHO_BATCH", 200)
    doc = _every_action(document([change(f"person.p{i}", "create", after={"name": f"N{i}"}) for i in range(60)],
                                 SAMPLE["diagnostics"]))
    writes = []
    real = click.echo
    monkeypatch.setattr(click, "echo", lambda text, **k: writes.append(text) or real(text, **k))
    out = CliRunner().invoke(click.command()(lambda: plan_cmd.echo_plan(doc, "text")), [], color=True)
    assert out.exit_code == 0 and len(writes) > 10
    assert out.output == render_text(doc, colour) == render_text_template(doc, colour)


def test_json_in_pieces_equals_one_indented_dump(isolated, tmp_path):
    import json

    from provisioner.plan.render import iter_json, render_json

    write_org(tmp_path / "org", generate_org(60, seed=3, today=TODAY))
    doc = _plan(tmp_path / "org")
    odd = document([change("person.é", "create", after={"name": "Zoë \u2028 \"q\"\n", "n": [1, 2.5, {"b": None}]})],
                   SAMPLE["diagnostics"])
    for d in (SAMPLE, document([]), doc, _every_action(doc), odd, {}):
        assert render_json(d) == json.dumps(d, indent=2, ensure_ascii=False) + "\n"
        assert len(list(iter_json(d))) >= len(d.get("changes", ()))


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_show_prints_what_the_whole_plan_renders(fmt, isolated, tmp_path):
    """`show` walks the saved changes a piece at a time (savedplan.read_for_show): the bytes
    are those of rendering the plan read whole."""
    from click.testing import CliRunner

    from provisioner.cli import main
    from provisioner.plan.planfile import read_plan, seal, write_plan
    from provisioner.plan.render import RENDERERS

    write_org(tmp_path / "org", generate_org(120, seed=4, today=TODAY))
    doc = _every_action(_plan(tmp_path / "org"))
    path = tmp_path / "plan.json"
    write_plan(seal({k: v for k, v in doc.items() if k != "checksum"}), path)
    out = CliRunner().invoke(main, ["show", str(path), "--format", fmt])
    assert out.exit_code == 0, out.output
    assert out.output == RENDERERS[fmt](read_plan(path)) and len(out.output) > 10_000


def test_a_plan_names_the_people_it_changes_only_through_their_profiles(isolated, tmp_path):
    import shutil

    from click.testing import CliRunner

    from provisioner.cli import main

    org = tmp_path / "org"
    shutil.copytree(REPO / "orgs" / "riverside-health", org, ignore=shutil.ignore_patterns(".audit", "out"))
    state = f"sqlite:///{tmp_path / 's.db'}"
    run = lambda *a: CliRunner().invoke(main, [*map(str, a), "--state", state])  # noqa: E731
    cold = run("plan", org, "--today", TODAY.isoformat(), "--out", tmp_path / "cold.json")
    assert cold.exit_code == 0 and "names" not in json.loads((tmp_path / "cold.json").read_text())
    assert run("apply", tmp_path / "cold.json", "--auto-approve").exit_code == 0
    therapy = org / "people" / "therapy.yaml"
    text = therapy.read_text(encoding="utf-8")
    old = "permissions: [view_patients, start_soap_notes"
    assert old in text
    therapy.write_text(text.replace(old, "permissions: [view_patients, edit_patients, start_soap_notes", 1),
                       encoding="utf-8")
    r = run("plan", org, "--today", TODAY.isoformat(), "--out", tmp_path / "p.json", "--format", "markdown")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "p.json").read_text())
    assert [c["kind"] for c in doc["changes"]] == ["profile"]
    person = doc["changes"][0]["after"]["attributes"]["person"]
    name = {c["address"]: c["after"]["attributes"]["name"]
            for c in json.loads((tmp_path / "cold.json").read_text())["changes"] if c["kind"] == "person"}[
                f"person.{person}"]
    assert doc["names"] == {person: name} and name != person
    assert f"- **{name}** (`{person}`): gains" in r.output


def test_values_are_written_as_json_dumps_writes_them():
    """render.value spells out strings, integers and lists of strings; every shape gives
    exactly json.dumps(v, ensure_ascii=False, sort_keys=True)."""
    import enum

    from provisioner.plan.render import value

    class Level(enum.IntEnum):
        HIGH = 2

    class Word(str):
        pass

    shapes = ["", "é\n\"x\"\\", "\u2028\x00", 0, -7, 2**70, True, False, None, 1.5, [], ["a", "é\"", "\x1f"],
              ["a", 1], [None], [["a"]], {"b": 1, "a": ["x"]}, {}, Level.HIGH, Word("w"), [Word("w")], (1, "a")]
    for v in shapes:
        assert value(v) == json.dumps(v, ensure_ascii=False, sort_keys=True), v
