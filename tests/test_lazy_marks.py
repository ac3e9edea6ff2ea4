"""Values are located only when a finding needs them (LazyMarks re-reads the file with
marks): every finding's file:line:column, message and the YAML reading it quotes are the
same as when every value is marked while parsing."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest

from bench.generate import generate_org, write_org
from provisioner import loader, yamlsource
from provisioner.pipeline import validate
from provisioner.yamlsource import LazyMarks, parse

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 23)

# Deliberate mistakes in a generated org: refused files and schema errors (which stop the
# rules), and mistakes only the rules find (duplicate ids, unknown references).
PARSE_AND_SCHEMA = [
    ("people-000.yaml", "account_type: master_group_staff", "account_type: bogus_staff", 2),
    ("people-000.yaml", "work_queue_chat: true", "work_queue_chat: no", 2),
    ("people-000.yaml", "reviewed_on: 2026-05-06", "reviewed_on: 2026-13-45", 1),
    ("people-000.yaml", "call_center: patient-access-center", "call_center: 010", 1),
    ("people-001.yaml", "---\nkind: Person", "---\nkind: Person\nkind: Person", 1),
    ("groups.yaml", "---\n", "---\nextra: [1, 2\n---\n", 1),
]
RULES = [
    ("people-000.yaml", "id: james-lopez-000001", "id: maria-lopez-000000", 1),
    ("people-000.yaml", "call_center: patient-access-center", "call_center: no-such-center", 1),
]


def with_mistakes(people: int, seed: int, mistakes) -> dict[str, str]:
    """A generated org's files with each (file, old, new, count) replacement made."""
    files = generate_org(people, seed=seed, today=TODAY)
    for name, old, new, count in mistakes:
        assert old in files[name], (name, old)
        files[name] = files[name].replace(old, new, count)
    return files


def _findings(folder) -> list[tuple]:
    result = validate(folder, today=TODAY)
    return [(d.file, d.line, d.column, d.code, d.severity, d.message, d.subject) for d in result.diagnostics]


def _both(folder, monkeypatch, marks: str = "eager") -> tuple[list, list]:
    """The findings as validate gives them, and as it gives them reading with `marks`."""
    lazy = _findings(folder)
    with monkeypatch.context() as m:
        m.setattr(loader, "parse", functools.partial(parse, marks=marks))
        other = _findings(folder)
    return lazy, other


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy"])
def test_example_orgs_locate_the_same(org, monkeypatch):
    lazy, eager = _both(REPO / "orgs" / org, monkeypatch)
    assert lazy == eager


@pytest.mark.parametrize("mistakes", [PARSE_AND_SCHEMA, RULES], ids=["parse-and-schema", "rules"])
def test_generated_org_with_mistakes_locates_the_same(mistakes, tmp_path, monkeypatch):
    write_org(tmp_path / "org", with_mistakes(600, 5, mistakes))
    lazy, eager = _both(tmp_path / "org", monkeypatch)
    codes = {f[3] for f in eager}
    located = [f for f in eager if f[0].endswith("people-000.yaml") and f[1] and f[2]]
    assert len(codes) >= 2 and len(located) >= 2, eager
    assert lazy == eager


def test_every_mark_and_reading_is_the_same():
    text = (REPO / "orgs" / "riverside-health").glob("**/*.yaml")
    for path in text:
        source = path.read_text(encoding="utf-8")
        lazy, _ = parse(source, path.name)
        eager, _ = parse(source, path.name, marks="eager")
        assert [d.data for d in lazy] == [d.data for d in eager]
        assert all(isinstance(d.marks, LazyMarks) for d in lazy)
        assert [dict(d.marks) for d in lazy] == [d.marks for d in eager]


def test_marks_are_read_again_only_when_asked(monkeypatch):
    calls = []
    real = yamlsource._parse
    monkeypatch.setattr(yamlsource, "_parse", lambda *a, **k: calls.append(k) or real(*a, **k))
    docs, _ = parse("a: 1\n---\nb: [x, 'y']\n", "f.yaml")
    assert calls == [{"with_marks": False}]
    assert docs[1].mark(("b", 1))[:4] == (3, 8, None, None) and docs[1].marks[("b", 1)].raw == "y"
    assert docs[0].marks[("a",)][:4] == (1, 4, 1, 1)
    assert calls == [{"with_marks": False}]  # each document read again alone, not the file


TRICKY = ("# lead\n%YAML 1.1\n---\na: 1\n...\n--- &root\nb: [&x x, *x]\n---\n  c: &x 2\n  d: *x\n--- |\n  block\n"
          "---\n# only a comment\n---\n{e: 'f', g: [1,\n  2]}\n--- !!map\nh: 010\n---\ni: {j: k}\n")


def test_documents_read_alone_have_the_marks_of_the_whole_file():
    eager, problems = parse(TRICKY, "t.yaml", marks="eager")
    assert not problems and len(eager) >= 6
    for wanted in range(len(eager)):  # each document asked for first, alone
        lazy, _ = parse(TRICKY, "t.yaml")
        assert lazy[wanted].marks == eager[wanted].marks
        assert [d.data for d in lazy] == [d.data for d in eager]


def test_only_the_document_with_a_finding_is_read_again(monkeypatch):
    text = "".join(f"---\nkind: Person\nid: p{i}\nname: [N, {i}]\n" for i in range(50))
    lazy, _ = parse(text, "p.yaml")
    whole = []
    real = yamlsource._parse
    monkeypatch.setattr(yamlsource, "_parse", lambda *a, **k: whole.append(1) or real(*a, **k))
    assert lazy[37].mark(("name", 1))[:2] == (4 * 37 + 4, 11)
    assert lazy[37].marks == parse(text, "p.yaml", marks="eager")[0][37].marks
    assert whole == [1]  # only the eager comparison read the whole file
