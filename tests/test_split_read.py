"""A large org's files are read on two cores (loader.py: the second half by a child process
forked before anything is read): the findings, each at its file:line:column, and the plan
are the same as read in one process, on the example orgs and on a generated org with
deliberate mistakes, and whatever happens to the child."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
from pathlib import Path

import pytest

from bench.generate import write_org
from provisioner import fastyaml, loader
from provisioner.pipeline import validate
from provisioner.plan.planner import make_plan
from provisioner.reporters import render_text
from provisioner.state import Snapshot

from .test_lazy_marks import PARSE_AND_SCHEMA, RULES, with_mistakes

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-11-23"

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="yaml-rs has no wheel for this platform")


def _outcome(folder: Path) -> tuple:
    today = dt.date.fromisoformat(TODAY)
    result = validate(folder, today=today)
    findings = [(d.file, d.line, d.column, d.code, d.severity, d.message, d.subject, d.waived_by)
                for d in result.diagnostics]
    shown = render_text(result.diagnostics, lines=result.source.lines)  # each with its source line
    plan = None
    if result.ok:
        made = make_plan(folder, snapshot=Snapshot(None, 0, {}), today=today, validation=result,
                         now=dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc))
        plan = made.document if made.ok else [d.message for d in made.diagnostics]
    return findings, plan, shown


def _both(folder: Path, monkeypatch) -> tuple:
    taken = []
    real = loader._take
    with monkeypatch.context() as m:
        m.setattr(loader, "SPLIT_FROM", 1 << 62)
        alone = _outcome(folder)
        m.setattr(loader, "SPLIT_FROM", 0)
        m.setattr(loader, "_take", lambda source, read: taken.append(read.file) or real(source, read))
        split = _outcome(folder)
    return alone, split, taken


def _org(kind: str, tmp_path: Path) -> Path:
    folder = tmp_path / "org"
    if kind in ("riverside-health", "harbor-therapy"):
        shutil.copytree(REPO / "orgs" / kind, folder, ignore=shutil.ignore_patterns(".audit"))
    else:
        # a schema mistake in the last file too: the child's half has findings to give
        late = [("people-009.yaml", "account_type: office_staff", "account_type: bogus_staff", 1)]
        write_org(folder, with_mistakes(5000, 11, {"parse-and-schema": PARSE_AND_SCHEMA + late, "rules": RULES,
                                                   "none": []}[kind]))
    return folder


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy", "none", "parse-and-schema", "rules"])
def test_read_on_two_cores_or_one_the_findings_and_plan_are_the_same(org, tmp_path, monkeypatch):
    folder = _org(org, tmp_path)
    alone, split, taken = _both(folder, monkeypatch)
    assert split == alone
    assert taken, "the child read nothing: nothing was compared"
    if org == "parse-and-schema":
        assert any(f[0].endswith("people-009.yaml") for f in alone[0]) and "people-009.yaml" in str(taken)
    if org in ("parse-and-schema", "rules"):
        assert alone[0], "the mistakes were found"
    else:
        assert alone[1] is not None and isinstance(alone[1], dict), "a plan was made"


def test_a_child_that_dies_leaves_the_caller_to_read(tmp_path, monkeypatch):
    folder = _org("parse-and-schema", tmp_path)
    alone, _, _ = _both(folder, monkeypatch)

    def killed(*_):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(loader, "SPLIT_FROM", 0)
    monkeypatch.setattr(loader, "_read_apart", killed)
    assert _outcome(folder) == alone


def test_the_halves_keep_the_order_and_split_the_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "SPLIT_FROM", 0)
    paths = []
    for i, size in enumerate([10, 500, 100, 100, 290]):
        paths.append(tmp_path / f"f{i}.yaml")
        paths[-1].write_text("x" * size)
    first, second = loader._halves(paths)
    assert first + second == paths and first == paths[:2]  # 510 of 1,000 bytes
    assert loader._halves(paths[:1]) == (paths[:1], [])  # one file: nothing to split
    monkeypatch.setattr(loader, "SPLIT_FROM", 1001)
    assert loader._halves(paths) == (paths, [])  # too small to be worth a child


def test_an_interrupt_while_the_caller_reads_stops_the_child(tmp_path, monkeypatch):
    from tests.plan.test_state_check import _children

    folder = _org("none", tmp_path)
    monkeypatch.setattr(loader, "SPLIT_FROM", 0)
    calls = []
    real = loader._load_text

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(loader, "_load_text", interrupted)
    before = _children()
    with pytest.raises(KeyboardInterrupt):
        validate(folder)
    assert _children() - before == set()  # killed and reaped, not left to finish


def test_without_a_process_to_fork_the_caller_reads_everything(tmp_path, monkeypatch):
    folder = _org("parse-and-schema", tmp_path)
    alone, _, _ = _both(folder, monkeypatch)
    monkeypatch.setattr(loader, "SPLIT_FROM", 0)

    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    assert _outcome(folder) == alone


@pytest.mark.parametrize("split_from", [1 << 62, 0], ids=["one process", "two"])
def test_a_file_swapped_for_a_link_out_of_the_folder_after_the_walk_is_refused(tmp_path, monkeypatch, split_from):
    """The walk refuses links that leave the folder; a file swapped for one after the walk
    is refused when read, never read through the link."""
    folder = _org("riverside-health", tmp_path)
    secret = tmp_path / "secret.yaml"
    secret.write_text("kind: Office\nid: exfiltrated-secret\nname: SECRET CONTENT\n")
    real_walk = loader.walk

    def walk_then_swap(root):
        found = real_walk(root)
        victim = sorted(folder.glob("*.yaml"))[-1]
        victim.unlink()
        victim.symlink_to(secret)
        return found

    monkeypatch.setattr(loader, "walk", walk_then_swap)
    monkeypatch.setattr(loader, "SPLIT_FROM", split_from)
    result = validate(folder)
    shown = render_text(result.diagnostics, lines=result.source.lines)
    assert "points outside the org folder" in shown and "LOAD002" in shown
    assert "SECRET" not in shown and "exfiltrated" not in shown
    assert not any("SECRET" in text for text in result.source.lines._texts.values())
