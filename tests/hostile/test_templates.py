"""Hostile `.yaml.j2` templates (issue 7, item 1): total work and output are capped, runtime
errors and the findings in rendered text point at the template's own line."""

from __future__ import annotations

import pytest

from provisioner.pipeline import validate

from .corpus import Case, check, ids
from .inprocess import check_here
from .test_yaml import person

HEAVY = r"TPL003"


def tpl(body: str, name: str = "t.yaml.j2") -> dict:
    return {name: body}


LOOPED = """\
{% for n in ["a", "b", "c"] %}
---
kind: InsurancePlan
id: plan-{{ n }}
name: Plan {{ n | upper }}
{% endfor %}
---
""" + person(offices="[nowhere]")  # the hostile YAML tests' person, at an office that does not exist

CASES = [
    # -- work and output caps: each of these hung or exhausted memory
    Case("nested-range-loops", HEAVY, tpl("# x\n{% for i in range(100000) %}{% for j in range(100000) %}"
                                           "{% endfor %}{% endfor %}\n"), located=r"t\.yaml\.j2:2"),
    Case("nested-loops-over-list", HEAVY, tpl("{% set xs = range(100000)|list %}\n{% for i in xs %}"
                                              "{% for j in xs %}{% endfor %}{% endfor %}\n"),
         located=r"t\.yaml\.j2:2"),
    Case("huge-power", HEAVY, tpl("# x\n# y\nname: {{ 9**(9**9) }}\n"), located=r"t\.yaml\.j2:3"),
    Case("huge-power-negative", HEAVY, tpl("name: {{ (-7)**(10**8) }}\n"), located=r"t\.yaml\.j2:1"),
    Case("string-repetition", HEAVY, tpl("# x\nname: {{ 'a' * 1000000000 }}\n"), located=r"t\.yaml\.j2:2"),
    Case("string-repetition-left", HEAVY, tpl("name: {{ 1000000000 * 'ab' }}\n"), located=r"t\.yaml\.j2:1"),
    Case("list-repetition", HEAVY, tpl("name: {{ ([1, 2] * 1000000000)|length }}\n"), located=r"t\.yaml\.j2:1"),
    Case("doubling-concat", HEAVY, tpl("{% set ns = namespace(s='ab') %}\n{% for i in range(64) %}"
                                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}\n"), located=r"t\.yaml\.j2:2"),
    Case("doubling-plus", HEAVY, tpl("{% set ns = namespace(s='ab') %}\n{% for i in range(64) %}"
                                     "{% set ns.s = ns.s + ns.s %}{% endfor %}\n"), located=r"t\.yaml\.j2:2"),
    Case("doubling-join", HEAVY, tpl("{% set ns = namespace(s=['ab']) %}\n{% for i in range(64) %}"
                                     "{% set ns.s = [ns.s|join, ns.s|join] %}{% endfor %}\n"),
         located=r"t\.yaml\.j2:2"),
    Case("center-filter", HEAVY, tpl("name: {{ 'x'|center(1000000000) }}\n"), located=r"t\.yaml\.j2:1"),
    Case("center-method", HEAVY, tpl("name: {{ 'x'.center(1000000000) }}\n"), located=r"t\.yaml\.j2:1"),
    Case("format-width", HEAVY, tpl("name: {{ '%1000000000s'|format('x') }}\n"), located=r"t\.yaml\.j2:1"),
    Case("str-format-width", HEAVY, tpl("name: {{ '{:>1000000000}'.format('x') }}\n"), located=r"t\.yaml\.j2:1"),
    Case("indent-filter", HEAVY, tpl("name: {{ 'a\\nb'|indent(1000000000) }}\n"), located=r"t\.yaml\.j2:1"),
    Case("replace-blowup", HEAVY, tpl("{% set s = 'a' * 100000 %}\nname: {{ s|replace('a', s) }}\n"),
         located=r"t\.yaml\.j2:2"),
    Case("output-flood", HEAVY, tpl("# x\n{% for i in range(100000) %}{{ 'x' * 1000 }}\n{% endfor %}"),
         located=r"t\.yaml\.j2:2"),
    Case("wordwrap-width", HEAVY, tpl("name: {{ 'a b'|wordwrap(1000000000) }}{{ 'x'.ljust(10**9) }}\n"),
         located=r"t\.yaml\.j2:1"),
    Case("lipsum-flood", HEAVY, tpl("# x\nname: {{ lipsum(1000000000) }}\n"), located=r"t\.yaml\.j2:2"),
    # -- runtime errors at the template's own line (they had none)
    Case("include-absolute", r"TPL001.*include", tpl("# a\n# b\n{% include '/etc/passwd' %}\n"),
         located=r"t\.yaml\.j2:3"),
    Case("import-absolute", r"TPL001", tpl("# a\n{% import '/etc/passwd' as p %}\n"), located=r"t\.yaml\.j2:2"),
    Case("division-by-zero", r"TPL001.*division", tpl("# a\n# b\n# c\nname: {{ 1 / 0 }}\n"),
         located=r"t\.yaml\.j2:4"),
    Case("modulo-by-zero", r"TPL001.*modulo", tpl("name: {{ 1 % 0 }}\n"), located=r"t\.yaml\.j2:1"),
    Case("macro-recursion", r"TPL003.*recurs", tpl("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n"
                                                  "name: {{ f(0) }}\n"), located=r"t\.yaml\.j2:1"),
    Case("unsafe-attribute", r"TPL001.*unsafe", tpl("# x\nname: {{ ''.__class__.__mro__ }}\n"),
         located=r"t\.yaml\.j2:2"),
    Case("undefined-in-loop", r"TPL002.*nope", tpl("{% for i in [1] %}\n\nname: {{ nope }}\n{% endfor %}\n"),
         located=r"t\.yaml\.j2:3"),
    Case("recursive-loop", r"TPL003.*recurs", tpl("# x\n{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}\n"),
         located=r"t\.yaml\.j2:2"),
    # -- findings inside rendered text point at the template's lines
    Case("ref001-after-loop", r"REF001.*nowhere", tpl(LOOPED), located=r"t\.yaml\.j2:13:\d+"),
    Case("yaml-error-after-loop", r"YAML001", tpl(LOOPED.replace("offices: [nowhere]", "offices: [north")),
         located=r"t\.yaml\.j2:1[34]"),
    Case("deep-nesting-rendered", r"YAML007", tpl("# a\nx: {{ '[' * 100000 }}\n"), located=r"t\.yaml\.j2:2"),
    Case("custom-tag-rendered", r"YAML006", tpl(LOOPED.replace("offices: [nowhere]", "offices: !!set {a}")),
         located=r"t\.yaml\.j2:13"),
]


# Rows that could crash or hang the interpreter if their bound regressed run in a fresh
# process; the rest run in this one (same checks, a fraction of the time).
PROCESS = {'lipsum-flood', 'nested-range-loops', 'nested-loops-over-list', 'huge-power', 'huge-power-negative', 'string-repetition', 'string-repetition-left', 'list-repetition', 'doubling-concat', 'doubling-plus', 'doubling-join', 'center-filter', 'center-method', 'format-width', 'str-format-width', 'indent-filter', 'replace-blowup', 'output-flood', 'wordwrap-width', 'macro-recursion', 'recursive-loop', 'deep-nesting-rendered'}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_hostile_template(case, tmp_path, monkeypatch):
    output = check(case, tmp_path).output if case.id in PROCESS else check_here(case, tmp_path, monkeypatch)
    assert "root:x:0" not in output


def test_rendered_findings_echo_the_template_line(org_dir):
    (org_dir / "t.yaml.j2").write_text(LOOPED)
    result = validate(org_dir)
    [d] = [d for d in result.diagnostics if d.code == "REF001"]
    assert (d.file, d.line) == ("org/t.yaml.j2", 13)
    assert result.source.lines["org/t.yaml.j2"][d.line - 1] == "offices: [nowhere]"


def test_a_loop_within_the_budget_renders(org_dir):
    (org_dir / "t.yaml.j2").write_text(
        "{% for i in range(300) %}\n---\nkind: InsurancePlan\nid: plan-{{ i }}\nname: Plan {{ i }}\n{% endfor %}\n")
    result = validate(org_dir)
    assert result.ok, result.diagnostics[:3]
    assert len(result.org.insurance_plans) == 301


def test_big_numbers_as_values_are_not_work(org_dir):
    (org_dir / "t.yaml.j2").write_text("kind: InsurancePlan\nid: p-{{ 1234567893|string }}\n"
                                       "name: {{ '%s'|format(1234567893) }} {{ (3 * 'ab')|upper }}\n")
    result = validate(org_dir)
    assert result.ok, result.diagnostics[:3]
    assert result.org.insurance_plans["p-1234567893"].name == "1234567893 ABABAB"
