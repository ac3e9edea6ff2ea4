"""Loader rejections: each is a located error and the file contributes no documents."""

from __future__ import annotations

from tests.conftest import TODAY, write
from provisioner.loader import load_folder
from provisioner.pipeline import validate
from provisioner.yamlsource import ALIAS_EXPANSION_LIMIT, parse


def codes(result):
    return [(d.code, d.file, d.line, d.column) for d in result.diagnostics]


def test_minimal_org_is_valid(org_dir):
    result = validate(org_dir, today=TODAY)
    assert [d for d in result.diagnostics if d.is_error] == []
    assert result.ok
    assert set(result.org.offices) == {"north", "access-center"}


def test_duplicate_key_names_both_lines(org_dir):
    write(org_dir, "dup.yaml", """
        kind: InsurancePlan
        id: aetna
        name: Aetna
        id: aetna-2
    """)
    result = validate(org_dir, today=TODAY)
    [d] = result.diagnostics
    assert (d.code, d.file, d.line, d.column) == ("YAML002", "org/dup.yaml", 4, 1)
    assert "first defined on line 2, again on line 4" in d.message


def test_non_string_key_is_rejected(org_dir):
    write(org_dir, "keys.yaml", """
        kind: InsurancePlan
        id: aetna
        name: Aetna
        2026: reviewed
    """)
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column) == ("YAML003", 4, 1)
    assert "'2026' is read as a number" in d.message


def test_alias_bomb_is_refused():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        levels.append(f"a{i}: &a{i} [{refs}]")
    docs, problems = parse("\n".join(levels) + "\n", "bomb.yaml")
    assert docs == []
    [d] = problems
    assert d.code == "YAML004"
    assert str(ALIAS_EXPANSION_LIMIT) in d.message


def test_small_aliases_are_fine():
    docs, problems = parse("base: &b {a: 1}\ncopy: *b\n", "ok.yaml")
    assert problems == []
    assert docs[0].data == {"base": {"a": 1}, "copy": {"a": 1}}


def test_recursive_alias_is_refused():
    docs, problems = parse("a: &x [1, *x]\n", "rec.yaml")
    assert docs == [] and problems[0].code == "YAML004"


def test_not_utf8_is_located(org_dir):
    write(org_dir, "latin1.yaml", "kind: InsurancePlan\nid: x\nname: Caf\xe9\n".encode("latin-1"))
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.file, d.line, d.column) == ("YAML005", "org/latin1.yaml", 3, 10)
    assert "0xe9" in d.message


def test_syntax_error_is_located(org_dir):
    write(org_dir, "broken.yaml", "kind: InsurancePlan\nid: [x\nname: y\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert d.code == "YAML001" and d.file == "org/broken.yaml" and d.line == 3


def test_custom_tags_are_refused(org_dir):
    write(org_dir, "tag.yaml", "kind: InsurancePlan\nid: x\nname: !!python/object:os.system echo\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column) == ("YAML006", 3, 7)


def test_document_without_kind(org_dir):
    write(org_dir, "nokind.yaml", "id: x\nname: y\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column) == ("DOC001", 1, 1)


def test_unknown_kind_suggests(org_dir):
    write(org_dir, "kind.yaml", "kind: Ofice\nid: x\nname: y\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column) == ("DOC002", 1, 7)
    assert "did you mean 'Office'" in d.message


def test_scalar_document_is_rejected(org_dir):
    write(org_dir, "scalar.yaml", "just text\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert d.code == "DOC001"


def test_yaml_1_1_surprises_do_not_happen():
    [doc], problems = parse("a: no\nb: on\nc: 1:30\nd: 2026-03-02\ne: 0o17\nf: 010\n", "x.yaml")
    assert problems == []
    assert doc.data == {"a": "no", "b": "on", "c": "1:30", "d": "2026-03-02", "e": 15, "f": 10}


def test_unquoted_npi_is_explained(org_dir):
    people = (org_dir / "people.yaml").read_text().replace('npi: "1234567893"', "npi: 0234567893")
    (org_dir / "people.yaml").write_text(people)
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column) == ("SCHEMA001", 7, 6)
    assert "YAML read the unquoted `0234567893` as the number 234567893" in d.message
    assert 'quote it: "0234567893"' in d.message


def test_hidden_and_non_yaml_files_are_ignored(org_dir):
    write(org_dir, ".hidden/x.yaml", "not: [valid")
    write(org_dir, "notes.txt", "anything")
    assert validate(org_dir, today=TODAY).ok


def test_nested_folders_are_read(org_dir):
    write(org_dir, "more/plans/aetna.yml", "kind: InsurancePlan\nid: aetna\nname: Aetna\n")
    result = validate(org_dir, today=TODAY)
    assert "aetna" in result.org.insurance_plans


def test_missing_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = load_folder("nowhere")
    assert [d.code for d in source.diagnostics] == ["LOAD001"]


def test_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    source = load_folder("empty")
    assert [d.code for d in source.diagnostics] == ["LOAD001"]


def test_control_character_is_located():
    docs, [d] = parse("a: 1\nb: \x07\n", "ctl.yaml")
    assert docs == [] and (d.code, d.line, d.column) == ("YAML001", 2, 4)


def test_pure_python_and_libyaml_parsers_agree():
    from provisioner import yamlsource

    text = 'a: no\nb: "010"\nc: [1, {d: 0x1f}]\ne: |\n  text\n'
    fast = yamlsource.parse(text, "x.yaml")[0][0]
    composer = yamlsource._Composer
    try:
        yamlsource._Composer = yamlsource._PyComposer
        slow = yamlsource.parse(text, "x.yaml")[0][0]
    finally:
        yamlsource._Composer = composer
    assert fast.data == slow.data
    assert fast.marks == slow.marks


def test_trailing_separator_and_commented_out_document_are_skipped(org_dir):
    path = org_dir / "org.yaml"
    path.write_text(path.read_text() + "---\n# kind: InsurancePlan\n# id: retired-plan\n---\n")
    result = validate(org_dir, today=TODAY)
    assert result.ok and result.diagnostics == []


def test_tab_indentation_is_named(org_dir):
    write(org_dir, "tabs.yaml", "kind: InsurancePlan\nid: x\nname:\n\tAetna\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column) == ("YAML001", 4, 1)
    assert "tab character" in d.message and "spaces" in d.message
