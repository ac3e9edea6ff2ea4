"""Hostile YAML (issue 7, items 1, 3 and 9): nesting bombs, huge numbers, `kind:` of the
wrong type, custom tags on every node kind, and line breaks YAML 1.2 does not count.
Each row is one bad org folder run through `provisioner validate` in a fresh process."""

from __future__ import annotations

import pytest

from provisioner.limits import MAX_NESTING
from provisioner.yamlsource import parse

from .corpus import Case, check, ids
from .inprocess import check_here

N = 100_000  # libyaml segfaulted here before the depth was bounded
PERSON = """\
kind: Person
id: dee-fox
name: Dee Fox
email: dee.fox@lakeside.example
template: office-manager
offices: [north]
grants: {approved_by: cmo@lakeside.example, justification: manager, reviewed_on: 2026-10-01}
"""


def person(**fields: str) -> str:
    """PERSON with some lines replaced (`offices="!!str [north]"`) or added."""
    lines = PERSON.splitlines()
    for key, value in fields.items():
        found = [i for i, line in enumerate(lines) if line.startswith(key + ":")]
        if found:
            lines[found[0]] = f"{key}: {value}"
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


def block_mapping(depth: int) -> str:
    return "".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + "b\n"


DEEP = r"YAML007.*nest"
LONG = r"YAML008.*digits"
INFINITE = r"YAML008.*not a finite number"
TAG = r"YAML006.*tag"

CASES = [
    # -- nesting (item 1): refused before composing, located at the first level too deep
    Case("flow-seq-100k", DEEP, {"deep.yaml": "x: " + "[" * N}, located=r"deep\.yaml:1:\d+"),
    Case("flow-map-100k", DEEP, {"deep.yaml": "{a: " * N}, located=r"deep\.yaml:1:\d+"),
    Case("block-seq-100k", DEEP, {"deep.yaml": "- " * N + "x\n"}, located=r"deep\.yaml:1:\d+"),
    Case("block-map-keys-100k", DEEP, {"deep.yaml": "? " * N + "x\n"}, located=r"deep\.yaml:1:\d+"),
    Case("mixed-100k", DEEP, {"deep.yaml": "[{a: " * (N // 2)}, located=r"deep\.yaml:1:\d+"),
    Case("block-map-1000", DEEP, {"deep.yaml": block_mapping(1000)},
         located=rf"deep\.yaml:{MAX_NESTING + 1}:"),
    Case("block-map-in-person", DEEP, {"deep.yaml": person(grants="\n" + block_mapping(400))},
         located=r"deep\.yaml:\d+"),
    Case("flow-seq-just-over", DEEP, {"deep.yaml": "x: " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)},
         located=r"deep\.yaml:1:\d+"),
    Case("deep-second-document", DEEP, {"deep.yaml": "kind: InsurancePlan\nid: p\nname: P\n---\nx: " + "[" * N},
         located=r"deep\.yaml:5:\d+"),
    Case("deep-with-anchor", DEEP, {"deep.yaml": "x: &a " + "[" * N}, located=r"deep\.yaml:1:\d+"),
    # -- numbers (item 1): more than 4,300 digits was a ValueError traceback
    Case("int-4301-digits", LONG, {"n.yaml": "kind: InsurancePlan\nid: p\nname: P\nx: " + "7" * 4301 + "\n"},
         located=r"n\.yaml:4:4"),
    Case("int-100k-digits", LONG, {"n.yaml": "kind: InsurancePlan\nid: p\nname: " + "9" * N + "\n"},
         located=r"n\.yaml:3:7"),
    Case("negative-int-5000", LONG, {"n.yaml": "kind: InsurancePlan\nid: p\nname: -" + "1" * 5000 + "\n"},
         located=r"n\.yaml:3:7"),
    Case("npi-unquoted-5000", LONG, {"n.yaml": person(npi="1" * 5000)}, located=r"n\.yaml:8:6"),
    Case("int-in-flow-seq", LONG, {"n.yaml": person(offices="[north, " + "4" * 4400 + "]")},
         located=r"n\.yaml:6:18"),
    # a hexadecimal or octal literal is read without Python's limit, then could not be written in decimal
    Case("hex-int-4000-digits", LONG, {"n.yaml": "kind: Organization\nid: o\nname: O\nmaster_group: o\n"
                                               "policy: {mass_change_limit: 0x" + "f" * 4000 + "}\n"},
         located=r"n\.yaml:5:29"),
    Case("octal-int-in-a-list", LONG, {"n.yaml": person(offices="[north, 0o" + "7" * 200 + "]")},
         located=r"n\.yaml:6:18"),
    # -- display names that would forge lines: a line break, an escape sequence, a bidirectional override
    Case("name-with-a-line-break", r"SCHEMA001.*no control characters, line breaks or bidirectional overrides",
         {"n.yaml": 'kind: InsurancePlan\nid: p\nname: "Plan\\n```\\n**No changes.** <!--"\n'},
         located=r"n\.yaml:3:7"),
    Case("name-with-an-escape-sequence", r"SCHEMA001.*no control characters",
         {"n.yaml": 'kind: InsurancePlan\nid: p\nname: "Plan \\e]0;title\\a"\n'}, located=r"n\.yaml:3:7"),
    Case("name-with-a-bidi-override", r"SCHEMA001.*bidirectional overrides",
         {"n.yaml": 'kind: InsurancePlan\nid: p\nname: "Plan \\u202eevil"\n'}, located=r"n\.yaml:3:7"),
    # -- numbers that are no number: a NaN limit switches a guard off (every comparison is false)
    Case("nan", INFINITE, {"n.yaml": "kind: InsurancePlan\nid: p\nname: P\nx: .nan\n"}, located=r"n\.yaml:4:4"),
    Case("minus-infinity", INFINITE, {"n.yaml": "kind: InsurancePlan\nid: p\nname: P\nx: -.Inf\n"},
         located=r"n\.yaml:4:4"),
    Case("overflowing-float", INFINITE, {"n.yaml": person(grants="{approved_by: a@b.example, justification: x, "
                                                          "reviewed_on: 2026-10-01, n: 1e999}")},
         located=r"n\.yaml:7:\d+"),
    Case("int-as-key-5000", r"YAML00[38]", {"n.yaml": PERSON + "? " + "5" * 5000 + "\n: x\n"},
         located=r"n\.yaml:8:3"),
    # -- kind of the wrong type (item 1): a list was a TypeError traceback
    Case("kind-list", r"DOC00[12].*kind", {"k.yaml": "kind: [Person]\nid: x\n"}, located=r"k\.yaml:1:7"),
    Case("kind-mapping", r"DOC00[12].*kind", {"k.yaml": "kind: {Person: 1}\nid: x\n"}, located=r"k\.yaml:1:7"),
    Case("kind-number", r"DOC00[12].*kind", {"k.yaml": "kind: 7\nid: x\n"}, located=r"k\.yaml:1:7"),
    Case("kind-bool", r"DOC00[12].*kind", {"k.yaml": "kind: true\nid: x\n"}, located=r"k\.yaml:1:7"),
    Case("kind-null", r"DOC001.*kind", {"k.yaml": "kind:\nid: x\n"}, located=r"k\.yaml:1"),
    Case("kind-nested-list", r"DOC00[12].*kind", {"k.yaml": "kind: [[Person]]\n"}, located=r"k\.yaml:1:7"),
    Case("document-is-list", r"DOC001", {"k.yaml": "- kind: Person\n"}, located=r"k\.yaml:1"),
    # -- custom tags (item 3): refused on scalars, sequences, mappings, keys, documents
    Case("tag-apply-on-seq", TAG, {"t.yaml": person(offices='!!python/object/apply:os.system ["echo pwned"]')},
         located=r"t\.yaml:6:10"),
    Case("tag-object-on-map", TAG, {"t.yaml": person(grants="!!python/object:builtins.dict {a: 1}")},
         located=r"t\.yaml:7:9"),
    Case("tag-name-on-map", TAG, {"t.yaml": person(grants="!!python/name:os.system {}")}, located=r"t\.yaml:7:9"),
    Case("tag-local-on-map", TAG, {"t.yaml": "--- !Person\nkind: Person\nid: x\n"}, located=r"t\.yaml:1:5"),
    Case("tag-on-document", TAG, {"t.yaml": "--- !!python/object/new:os.system\n- ls\n"}, located=r"t\.yaml:1:5"),
    Case("tag-str-on-seq", TAG, {"t.yaml": person(offices="!!str [north]")}, located=r"t\.yaml:6:10"),
    Case("tag-map-on-seq", TAG, {"t.yaml": person(offices="!!map [north]")}, located=r"t\.yaml:6:10"),
    Case("tag-seq-on-map", TAG, {"t.yaml": person(grants="!!seq {a: 1}")}, located=r"t\.yaml:7:9"),
    Case("tag-set", TAG, {"t.yaml": person(offices="!!set {north}")}, located=r"t\.yaml:6:10"),
    Case("tag-omap", TAG, {"t.yaml": person(offices="!!omap [a: 1]")}, located=r"t\.yaml:6:10"),
    Case("tag-pairs", TAG, {"t.yaml": person(offices="!!pairs [a: 1]")}, located=r"t\.yaml:6:10"),
    Case("tag-binary", TAG, {"t.yaml": person(name="!!binary aGk=")}, located=r"t\.yaml:3:7"),
    Case("tag-timestamp", TAG, {"t.yaml": person(name="!!timestamp 2026-01-01")}, located=r"t\.yaml:3:7"),
    Case("tag-include", TAG, {"t.yaml": person(name="!include /etc/passwd")}, located=r"t\.yaml:3:7"),
    Case("tag-on-key", TAG, {"t.yaml": "kind: Person\n!!python/str id: x\n"}, located=r"t\.yaml:2:1"),
    Case("tag-directive", TAG, {"t.yaml": "%TAG !p! tag:yaml.org,2002:python/\n---\nkind: Person\n"
                                          "offices: !p!object/apply:os.system [ls]\n"}, located=r"t\.yaml:4:10"),
    Case("tag-verbatim", TAG, {"t.yaml": person(offices="!<tag:yaml.org,2002:python/tuple> [north]")},
         located=r"t\.yaml:6:10"),
    Case("tag-on-null", TAG, {"t.yaml": person(name="!!python/none")}, located=r"t\.yaml:3:7"),
    Case("tag-int-on-text", TAG, {"t.yaml": person(name="!!int abc")}, located=r"t\.yaml:3:7"),
    Case("tag-float-on-text", TAG, {"t.yaml": person(name="!!float abc")}, located=r"t\.yaml:3:7"),
    Case("tag-bool-on-text", TAG, {"t.yaml": person(name="!!bool maybe")}, located=r"t\.yaml:3:7"),
    Case("tag-null-on-text", TAG, {"t.yaml": person(name="!!null something")}, located=r"t\.yaml:3:7"),
    Case("tag-on-anchor-alias", TAG, {"t.yaml": "kind: Person\nx: &a !!python/tuple [1]\ny: *a\n"},
         located=r"t\.yaml:2:4"),
    # -- line breaks YAML 1.2 does not count (item 9): U+2028, U+2029, NEL
    Case("ls-in-comment", r"REF001", {"people.yaml": None, "p.yaml": "# note\u2028more\n"
                                      + person(offices="[nowhere]")}, located=r"p\.yaml:7:11"),
    Case("ps-in-string", r"REF001", {"people.yaml": None, "p.yaml": person(name='"Dee\u2029Fox"', offices="[nowhere]")},
         located=r"p\.yaml:6:11"),
    Case("nel-in-string", r"REF001", {"people.yaml": None, "p.yaml": "# a note\x85still the note\n" + person(
        grants='{approved_by: cmo@lakeside.example, justification: "man\x85ager", reviewed_on: 2026-10-01}',
        offices="[nowhere]")},
         located=r"p\.yaml:7:11"),  # (a name may not hold it: a NEL in a comment and in a justification)
    Case("ls-before-syntax-error", r"YAML001", {"p.yaml": "# a\u2028b\u2028c\nkind: Person\nid: x: y\n"},
         located=r"p\.yaml:3:"),
    Case("ls-echoes-right-line", r"offices: \[nowhere\]", {"people.yaml": None,
         "p.yaml": "# \u2028\u2028\u2028\n" + person(offices="[nowhere]")}, located=r"p\.yaml:7:11"),
]


# Rows that could crash or hang the interpreter if their bound regressed run in a fresh
# process; the rest run in this one (same checks, a fraction of the time).
PROCESS = {'flow-seq-100k', 'flow-map-100k', 'block-seq-100k', 'block-map-keys-100k', 'mixed-100k', 'block-map-1000', 'deep-second-document', 'deep-with-anchor', 'int-100k-digits'}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_hostile_yaml(case, tmp_path, monkeypatch):
    output = check(case, tmp_path).output if case.id in PROCESS else check_here(case, tmp_path, monkeypatch)
    assert "pwned" not in output.replace("echo pwned", "")


# In-process checks of the parser itself (no subprocess needed).
@pytest.mark.parametrize("text", [
    "x: " + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1),
    "".join(" " * i + "a:\n" for i in range(MAX_NESTING - 1)) + " " * MAX_NESTING + "b\n",
])
def test_nesting_up_to_the_limit_is_read(text):
    docs, problems = parse(text, "f.yaml")
    assert problems == [] and len(docs) == 1


def test_depth_scan_ignores_brackets_in_quotes_and_comments():
    text = 'x: "' + "[" * N + '"\n# ' + "{" * N + "\ny: '" + "[" * N + "'\n"
    docs, problems = parse(text, "f.yaml")
    assert problems == [] and docs[0].data["x"] == "[" * N


def test_line_separators_do_not_shift_marks():
    docs, _ = parse('a: "x\u2028y"\nb: 1\n', "f.yaml")
    assert docs[0].data["a"] == "x\u2028y"
    assert docs[0].marks[("b",)][:2] == (2, 4)


@pytest.mark.parametrize("tail", [
    "y: [O'a, [[[[b]]]]]\n", 'y: ["x]]", [[c]]]\n', "y: ['it''s ]', [[d]]]\n", "y: [a #c]]]\n  , [[e]]]\n",
    'y: "multi\n  ]]]] line"\nz: [[[f]]]\n', "y: a[b\nz: [[g]]\n", "y: x]]]]\nz: [[[h]]]\n",
    "y: [a#b, [[[i]]]]\n", "y: ['a\n  ]]]] b', [[[j]]]]\n",
])
def test_flow_bound_is_never_below_the_real_depth(tail):
    """The cheap bound decides whether the event scan runs: it must never undercount."""
    import yaml

    from provisioner.limits import COMPOSE_SAFE_NESTING, flow_upper_bound

    text = "x: [a]\n" * (COMPOSE_SAFE_NESTING + 1) + tail
    stack, deepest = [], 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append(bool(event.flow_style))
            deepest = max(deepest, sum(stack))
        elif isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
    assert deepest >= 2 and flow_upper_bound(text) >= deepest
