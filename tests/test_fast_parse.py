"""The fast reader (`fastyaml`, yaml-rs) and the exact one (`yamlsource`, libyaml) read
every file the same: the same documents, numbered the same, with the same values, and the
same findings at the same file:line:column, or the fast one leaves the file to the exact
one. Checked on the example orgs, every file of the hostile-input corpus, a generated org
with deliberate mistakes, and generated snippets built to sit on the readers' edges."""

from __future__ import annotations

import importlib
import random
import textwrap
from pathlib import Path

import pytest

from bench.generate import write_org
from provisioner import fastyaml
from provisioner.yamlsource import parse

from .test_lazy_marks import PARSE_AND_SCHEMA, RULES, _both, with_mistakes

REPO = Path(__file__).resolve().parents[1]
HOSTILE_MODULES = ["test_yaml", "test_identities", "test_templates", "test_validate_files", "test_filesystem",
                   "test_reconcile", "test_report"]

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="yaml-rs has no wheel for this platform")


def _read(text: str, file: str = "f.yaml", exact: bool = False) -> tuple[list, list]:
    docs, problems = parse(text, file, marks="exact" if exact else "lazy")
    return [(d.file, d.index, d.data) for d in docs], problems


def _same_reading(text: str) -> bool:
    """Assert both readers agree on `text`; True when the fast one read it."""
    assert repr(_read(text)) == repr(_read(text, exact=True)), text[:300]  # repr: nan is not nan
    return fastyaml.documents(text) is not None


def _findings_both_ways(folder, monkeypatch) -> tuple[list, list]:
    return _both(folder, monkeypatch, marks="exact")  # (fast reader where it can, exact reader only)


def _corpus_texts() -> list[tuple[str, str]]:
    out = []
    for name in HOSTILE_MODULES:
        module = importlib.import_module(f"tests.hostile.{name}")
        for attr in vars(module).values():
            if not isinstance(attr, list):
                continue
            for case in attr:
                for path, content in getattr(case, "files", {}).items():
                    if isinstance(content, bytes):
                        content = content.decode("utf-8", "replace")
                    if isinstance(content, str) and path.endswith((".yaml", ".yml")):
                        out.append((f"{name}:{case.id}:{path}", textwrap.dedent(content).lstrip("\n")))
    return out


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy"])
def test_example_orgs_read_the_same(org, monkeypatch):
    files = sorted((REPO / "orgs" / org).rglob("*.y*ml"))
    read_fast = [_same_reading(f.read_text(encoding="utf-8")) for f in files]
    assert any(read_fast), "the fast reader took none of the example's files"
    fast, exact = _findings_both_ways(REPO / "orgs" / org, monkeypatch)
    assert fast == exact


def test_every_hostile_corpus_file_reads_the_same():
    texts = _corpus_texts()
    assert len(texts) > 50
    for _, text in texts:
        _same_reading(text)


@pytest.mark.parametrize("mistakes", [PARSE_AND_SCHEMA, RULES], ids=["parse-and-schema", "rules"])
def test_generated_org_with_mistakes_finds_the_same(mistakes, tmp_path, monkeypatch):
    files = with_mistakes(5000, 11, mistakes)
    write_org(tmp_path, files)
    assert fastyaml.documents(files["people-002.yaml"]) is not None  # the fast path is what is compared
    fast, exact = _findings_both_ways(tmp_path, monkeypatch)
    assert fast == exact
    assert fast, "the mistakes were found"


# Pieces of YAML on the edges where two readers could part: numbers in every spelling,
# YAML 1.1 booleans, dates, quoting, flow collections, comments, empty and null documents.
SCALARS = ["0X1F", "0x1F", "1_000", "0b11", "0o17", "-0o7", "+0x1F", ".naN", ".nan", ".inf", "-.Inf", "1e3",
           "12", "-0", "010", "1:30", "no", "on", "Yes", "true", "False", "~", "null", "", "2026-01-01",
           "2026-01-01T10:00:00Z", "'quoted # not a comment'", '"dq: text"', "plain text", "a#b", "O'Brien",
           "Smith & Jones", "100%", "x!", "[a, b]", "{a: b}", "[]", "{}", "'multi\n  line'", "-", "?", ":",
           "'--- not a marker'", "\"\\u00e9\"", "é", "👩‍⚕️", "a: b", "|", ">-\n  folded\n  text", "*alias",
           "&anchor x", "!!str 1", "[a, [b, [c]]]", "{a: [1, 2], b: {c: d}}", "'it''s'", "\"tab\tinside\"",
           # flow collections, where libyaml and yaml-rs part (`?`, `:`, `|`, `>`, `-`, `@`, empties, lines)
           "[?b]", "{?b: c}", "[b:]", "[:b]", "{:b}", "[-:]", "[b, >c]", "{b: >c}", "[|]", "{b\n  : c}",
           "[a,,b]", "[a, b,]", "{b: }", "[-b]", "[@b]", "[harbor-downtown, harbor-westside:]", "[a, b] x",
           "{approved_by\n    : x@y.example, justification: text}", "[a,\n  b]"]
# ...and the everyday values the fast reader takes, so that enough snippets test it.
EVERYDAY = ["dee.fox@lakeside.example", "north-clinic", "Dee Fox", "2026-10-01", "true", "false", "~", "",
            "[north, south]", "{by: cmo@x.example, date: 2026-01-01}", "'010'", '"1:30"', "front desk: day",
            "a - b", "x # comment", "[]", "{a: [b, c]}", "'#hash'", "Ear, Nose & Throat"]
KEYS = ["id", "name", "kind", "email", "offices", "'quoted key'", "a b", "x-y", "1", "null", "? complex"]


def _snippet(rnd: random.Random) -> str:
    docs = []
    for _ in range(rnd.randint(1, 4)):
        def value() -> str:
            return rnd.choice(SCALARS if rnd.random() < 0.15 else EVERYDAY)

        lines = [f"{rnd.choice(KEYS)}: {value()}" for _ in range(rnd.randint(0, 4))]
        if rnd.random() < 0.3:
            lines.append(f"list:\n  - {value()}\n  - {value()}")
        if rnd.random() < 0.2:
            lines.append("# a comment line")
        if rnd.random() < 0.1:
            lines = ["~"]
        docs.append("\n".join(lines))
    text = "\n---\n".join(docs)
    if rnd.random() < 0.3:
        text = "---\n" + text
    if rnd.random() < 0.2:
        text += "\n---\n"
    return text + "\n"


def test_generated_snippets_read_the_same():
    rnd = random.Random(20261124)
    read_fast = sum(_same_reading(_snippet(rnd)) for _ in range(3000))
    assert read_fast > 400, "too few snippets took the fast path to compare anything"


@pytest.mark.parametrize("text, fast", [
    ("kind: Person\nid: a\n", True),
    ("---\nkind: Person\n---\n# only a comment\n---\nkind: Office\n", True),
    ("seats: 0X1F\n", False),  # yaml-rs reads 31, YAML 1.2 core a string
    ("id: 1_000\n", False),
    ("a: &x [b]\nc: *x\n", False),
    ("note: |\n  text\n", False),
    ("---\n~\n", False),
    ("- a\n- b\n", False),
    ("a: b\na: c\n", False),  # duplicate key: the exact reader names both lines
    ("---          {a: b}\n", False),  # content on the marker's line, however far along
    ("offices: [harbor-downtown, harbor-westside]\ngrants: {by: x@y.example, why: a reason}\n", True),
    ("offices: [harbor-downtown, harbor-westside:]\n", False),
    ("a: &\xa0 b\n", False),  # an anchor for yaml-rs, a refused one for libyaml
    ("a: &\u3000x c\nb: *\u3000x\n", False),
    ("a: x &", False),
    ("a: Smith & Jones\n", True),
    ("---#:\na:\n", False),  # `---#` is a key, not a marker
    ("---   # a comment\nkind: Person\n", True),
    ("offices: [?harbor-downtown]\n", False),
    ("grants: {approved_by\n    : nora@x.example, why: text}\n", False),
    ("--- # a comment\nkind: Person\n", True),
    ("%YAML 1.2\n---\nkind: Person\n", False),
    ("a: " + "[" * 99 + "]" * 99 + "\n", False),  # near the nesting limit
    ("a: b\x7f\n", False),  # ASCII outside YAML's printable set (checked apart from the rest)
    ("a: b\x01c\n", False),
    ("a: caf\xe9 \x85\n", False),
    ("a: caf\xe9\n", True),
    ("a: x > y\nb: p | q\n", True),  # `>` and `|` that start no block scalar
    ("a: x >\n  folded\n", False),
    ("a: x---\nb: ---\n", True),  # `---` not at a line's start is no marker
    ("kind: A\n---\nkind: B\n--- \nkind: C\n", True),
    ("kind: A\n--- x\n", False),
    ("a: [b, c]\nd: [b, c]\ne: [b, c:]\n", False),  # a line repeated is checked once, another still
])
def test_what_the_fast_reader_takes(text, fast):
    assert (fastyaml.documents(text) is not None) is fast
    assert repr(_read(text)) == repr(_read(text, exact=True))
